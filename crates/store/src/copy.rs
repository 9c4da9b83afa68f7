//! `provisio db copy`: moving a whole installation from one backend to another, row by row.
//!
//! Both backends keep the same tables with the same column names; only the column types
//! differ (SQLite's text instants, 0/1 flags; PostgreSQL's `timestamptz`, `boolean`). The
//! source reads its rows as backend-neutral [`Value`]s and the target converts each one to
//! its column's own type, so neither knows the other. [`TABLES`] lists every table in an
//! order in which every reference a row makes exists before it (foreign keys hold at each
//! insert), and says which tables the target's migrations fill already ([`Seeded`]).

use std::fmt;

use crate::StoreError;

/// One stored value, as the source read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// The bytes this value takes (for the size of a page).
    pub fn size(&self) -> usize {
        match self {
            Value::Null | Value::Int(_) => 8,
            Value::Text(s) => s.len(),
            Value::Blob(b) => b.len(),
        }
    }

    /// What kind of value it is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
        }
    }
}

/// A row: its values in the order of its table's columns as the source named them.
pub type Row = Vec<Value>;

/// What the target's migrations put into a table before any copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    /// Nothing: the table must be empty and receives every row of the source.
    No,
    /// Starting values (the counters of `sequences`, the default offer policies): the
    /// target's own rows must still be those, and are replaced by the source's.
    Replaced,
    /// A fixed list both backends' migrations write (the kinds of mail): the source's rows
    /// must equal the target's; nothing is copied.
    Equal,
}

/// A table of an installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub seeded: Seeded,
    /// The order rows were added in, which lists page by, is a `seq` column in PostgreSQL
    /// and the rowid in SQLite (companies, users): SQLite's rowid is read as `seq`.
    pub rowid_is_seq: bool,
}

const fn table(name: &'static str, seeded: Seeded) -> Table {
    Table {
        name,
        seeded,
        rowid_is_seq: false,
    }
}

const fn ordered_by_rowid(name: &'static str) -> Table {
    Table {
        name,
        seeded: Seeded::No,
        rowid_is_seq: true,
    }
}

/// The column a table's order is kept in where it is a column (see [`Table::rowid_is_seq`]).
pub const SEQ: &str = "seq";

/// Every table of an installation, each after the tables its rows refer to: users after
/// companies; cases after orders and lines; emails after cases and case_comments (an email
/// names the comment it reports); setup_links after emails; events after cases.
pub const TABLES: &[Table] = &[
    ordered_by_rowid("companies"),
    ordered_by_rowid("users"),
    table("api_keys", Seeded::No),
    table("distributor_partners", Seeded::No),
    table("sequences", Seeded::Replaced),
    table("offer_policies", Seeded::Replaced),
    table("settings", Seeded::No),
    table("email_kinds", Seeded::Equal),
    table("orders", Seeded::No),
    table("lines", Seeded::No),
    table("cases", Seeded::No),
    table("case_comments", Seeded::No),
    table("case_attachments", Seeded::No),
    table("emails", Seeded::No),
    table("setup_links", Seeded::No),
    table("events", Seeded::No),
    table("idempotency_keys", Seeded::No),
    table("web_sessions", Seeded::No),
    table("sign_in_failures", Seeded::No),
];

/// The table of this name.
pub fn table_named(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// Tables a backend keeps for itself (its migration log, SQLite's counters) or derives from
/// the others (the search index, which the target builds itself): never copied.
pub fn is_internal(name: &str) -> bool {
    name.starts_with("_sqlx")
        || name.starts_with("sqlite_")
        || name.starts_with("line_search")
        || name == "search_backfill"
}

/// What both sides of a copy measure of a table to compare: its rows, and the bytes of its
/// blobs (the attachments' files).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub rows: u64,
    pub blob_bytes: u64,
}

/// A table as the source has it: its columns and what it holds.
#[derive(Debug, Clone)]
pub struct SourceTable {
    pub table: &'static Table,
    pub columns: Vec<String>,
    pub tally: Tally,
}

/// Rows of one table, in the order the source read them.
#[derive(Debug, Clone)]
pub struct Page {
    pub table: &'static Table,
    pub rows: Vec<Row>,
}

/// A table after the copy: what the source held and what the target holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCheck {
    pub table: &'static Table,
    pub source: Tally,
    pub target: Tally,
}

impl TableCheck {
    pub fn matches(&self) -> bool {
        self.source == self.target
    }
}

/// Why a copy was refused or failed. Nothing was written to the target in any case.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target holds data already: a copy writes only into a new installation.
    #[error(
        "the target database is not empty: table {table} holds {rows} row(s) its migrations \
         did not write; db copy writes only into a database no installation has used yet"
    )]
    TargetNotEmpty { table: &'static str, rows: u64 },
    /// The two databases do not have the same tables and columns (different versions?).
    #[error("the two databases' schemas differ: {0}")]
    Schema(String),
    /// A stored value the target's column cannot take.
    #[error("{table}.{column}, row {row}: {problem}")]
    Value {
        table: &'static str,
        column: String,
        row: u64,
        problem: String,
    },
    /// The source changed while it was being copied, so the copy would miss what was written
    /// meanwhile.
    #[error(
        "the source database was written to during the copy; stop everything that writes to \
         it (provisio serve, other commands) and copy again"
    )]
    SourceChanged,
    /// The tables counted after the copy differ from the source's.
    #[error("the copy does not match the source: {}", Mismatches(.0))]
    Mismatch(Vec<TableCheck>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Mismatches<'a>(&'a [TableCheck]);

impl fmt::Display for Mismatches<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self
            .0
            .iter()
            .filter(|c| !c.matches())
            .map(|c| {
                format!(
                    "{} has {} row(s) ({} blob bytes) in the source, {} ({}) in the target",
                    c.table.name,
                    c.source.rows,
                    c.source.blob_bytes,
                    c.target.rows,
                    c.target.blob_bytes
                )
            })
            .collect();
        f.write_str(&words.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_listed_once() {
        let mut names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLES.len());
        assert_eq!(table_named("emails").map(|t| t.seeded), Some(Seeded::No));
        assert!(is_internal("_sqlx_migrations") && is_internal("sqlite_sequence"));
        assert!(!is_internal("sequences"));
    }

    #[test]
    fn a_table_comes_after_the_tables_it_refers_to() {
        let at = |name: &str| TABLES.iter().position(|t| t.name == name).unwrap_or(99);
        for (table, refers_to) in [
            ("users", "companies"),
            ("api_keys", "users"),
            ("orders", "users"),
            ("lines", "orders"),
            ("cases", "lines"),
            ("case_comments", "cases"),
            ("case_attachments", "cases"),
            ("emails", "case_comments"),
            ("emails", "email_kinds"),
            ("setup_links", "emails"),
            ("events", "cases"),
            ("web_sessions", "users"),
        ] {
            assert!(at(refers_to) < at(table), "{table} before {refers_to}");
        }
    }
}
