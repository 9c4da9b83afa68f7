//! Writing a whole installation for `provisio db copy` ([`PgStore::copy_in`]).
//!
//! Everything happens in one transaction, so a copy that fails or is refused leaves the
//! target as it was: [`PgStore::copy_in`] begins it, locks every table (nothing else writes
//! meanwhile; readers go on), checks that the tables and columns are the source's and that
//! the target holds nothing but what its migrations wrote ([`SEEDED`]), and drops the seeded
//! rows the source's replace. [`CopyIn::write`] inserts a page of rows in one statement, one
//! array per column (`INSERT … SELECT * FROM unnest($1::text[], …)`), each value converted
//! to its column's type as `information_schema` names it (text instants parsed with jiff and
//! bound as [`Ts`], 0/1 as booleans); `OVERRIDING SYSTEM VALUE` keeps every `seq`.
//! [`CopyIn::verify`] moves each identity past the largest `seq` copied and counts what the
//! target holds; [`CopyIn::commit`] makes it all visible at once.

use std::collections::HashMap;

use provisio_store::copy::{
    CopyError, Page, Row, Seeded, SourceTable, TABLES, Table, TableCheck, Tally, Value, is_internal,
};
use sqlx::{AssertSqlSafe, Postgres, Row as _, Transaction};

use crate::copy_values::{Column, Kind};
use crate::{PgStore, db};

/// What the migrations write into the tables whose rows a copy replaces: a query counting
/// the rows that are not those (anything else means the installation has been used).
const SEEDED: &[(&str, &str)] = &[
    (
        "sequences",
        "SELECT count(*) FROM sequences \
         WHERE (name, value) NOT IN (('sub_ref', 1000000), ('web_order_id', 100000))",
    ),
    (
        "offer_policies",
        "SELECT count(*) FROM offer_policies \
         WHERE updated_at IS NOT NULL OR (offer, window_days) NOT IN (('A-FLEX', 7), ('A-FLEX-3', 7))",
    ),
];

/// How long the copy waits for another session's lock on a table before giving up.
const LOCK_TIMEOUT: &str = "10s";

/// A table being copied: its columns (the source's order) and types, its INSERT.
struct Target {
    columns: Vec<String>,
    kinds: Vec<Kind>,
    insert: String,
    written: u64,
    source: Tally,
}

/// An installation being written: one open transaction (see the module doc).
pub struct CopyIn {
    tx: Transaction<'static, Postgres>,
    targets: HashMap<&'static str, Target>,
    /// The source's rows of the tables both migrations fill ([`Seeded::Equal`]), compared at
    /// the end.
    equal_rows: HashMap<&'static str, Vec<Row>>,
}

/// `"name"`: every name here comes from the schema; quoted all the same.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn count(tx: &mut Transaction<'static, Postgres>, sql: String) -> Result<u64, CopyError> {
    let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

impl PgStore {
    /// Begins a copy of the installation `source` describes (see the module doc). Refuses a
    /// target whose tables or columns are not the source's, or that holds any row its
    /// migrations did not write ([`CopyError::TargetNotEmpty`] names the table).
    pub async fn copy_in(&self, source: &[SourceTable]) -> Result<CopyIn, CopyError> {
        let mut tx = self.begin().await?;
        sqlx::query(AssertSqlSafe(format!(
            "SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"
        )))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let names: Vec<String> = TABLES.iter().map(|t| quoted(t.name)).collect();
        let lock = format!("LOCK TABLE {} IN EXCLUSIVE MODE", names.join(", "));
        sqlx::query(AssertSqlSafe(lock))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let schema = target_schema(&mut tx).await?;
        let mut targets = HashMap::new();
        for table in source {
            let target = target(table, &schema)?;
            ensure_unused(&mut tx, table.table).await?;
            targets.insert(table.table.name, target);
        }
        for (table, _) in SEEDED {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {}", quoted(table))))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        Ok(CopyIn {
            tx,
            targets,
            equal_rows: HashMap::new(),
        })
    }
}

/// The target's tables with their columns and types, checked against [`TABLES`].
async fn target_schema(
    tx: &mut Transaction<'static, Postgres>,
) -> Result<HashMap<String, HashMap<String, String>>, CopyError> {
    let rows = sqlx::query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                c.data_type::text AS data_type \
         FROM information_schema.columns c \
         JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let mut schema: HashMap<String, HashMap<String, String>> = HashMap::new();
    for row in rows {
        let table: String = row.try_get("table_name").map_err(db)?;
        let column: String = row.try_get("column_name").map_err(db)?;
        let data_type: String = row.try_get("data_type").map_err(db)?;
        schema.entry(table).or_default().insert(column, data_type);
    }
    let mut names: Vec<&String> = schema.keys().collect();
    names.sort();
    if let Some(unknown) = names
        .into_iter()
        .find(|n| !is_internal(n) && !TABLES.iter().any(|t| t.name == n.as_str()))
    {
        return Err(CopyError::Schema(format!(
            "the target has a table {unknown} that this version of provisio does not know"
        )));
    }
    Ok(schema)
}

/// The target of a source table: the same columns, each of a type the copy converts to.
fn target(
    source: &SourceTable,
    schema: &HashMap<String, HashMap<String, String>>,
) -> Result<Target, CopyError> {
    let name = source.table.name;
    let Some(columns) = schema.get(name) else {
        return Err(CopyError::Schema(format!("the target has no table {name}")));
    };
    if let Some(extra) = columns.keys().find(|c| !source.columns.contains(c)) {
        return Err(CopyError::Schema(format!(
            "{name}.{extra} is in the target, not in the source"
        )));
    }
    let mut kinds = Vec::with_capacity(source.columns.len());
    for column in &source.columns {
        let Some(data_type) = columns.get(column) else {
            return Err(CopyError::Schema(format!(
                "{name}.{column} is in the source, not in the target"
            )));
        };
        let Some(kind) = Kind::of(data_type) else {
            return Err(CopyError::Schema(format!(
                "{name}.{column} is of type {data_type}, which db copy does not convert to"
            )));
        };
        kinds.push(kind);
    }
    let arrays: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| format!("${}::{}", i + 1, k.array()))
        .collect();
    let names: Vec<String> = source.columns.iter().map(|c| quoted(c)).collect();
    let insert = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT * FROM unnest({})",
        quoted(name),
        names.join(", "),
        arrays.join(", ")
    );
    Ok(Target {
        columns: source.columns.clone(),
        kinds,
        insert,
        written: 0,
        source: source.tally,
    })
}

/// Refuses a table that holds rows beyond what the migrations wrote.
async fn ensure_unused(
    tx: &mut Transaction<'static, Postgres>,
    table: &'static Table,
) -> Result<(), CopyError> {
    let sql = match table.seeded {
        Seeded::No => format!("SELECT count(*) FROM {}", quoted(table.name)),
        Seeded::Replaced => match SEEDED.iter().find(|(name, _)| *name == table.name) {
            Some((_, sql)) => (*sql).to_owned(),
            None => {
                return Err(CopyError::Schema(format!(
                    "db copy does not know what the migrations write into {}",
                    table.name
                )));
            }
        },
        // Compared row by row at the end.
        Seeded::Equal => return Ok(()),
    };
    match count(tx, sql).await? {
        0 => Ok(()),
        rows => Err(CopyError::TargetNotEmpty {
            table: table.name,
            rows,
        }),
    }
}

impl CopyIn {
    /// Writes a page of the source's rows (in [`TABLES`] order, so every reference exists).
    pub async fn write(&mut self, page: Page) -> Result<(), CopyError> {
        let name = page.table.name;
        if page.table.seeded == Seeded::Equal {
            self.equal_rows.entry(name).or_default().extend(page.rows);
            return Ok(());
        }
        let Some(target) = self.targets.get_mut(name) else {
            return Err(CopyError::Schema(format!(
                "rows of {name}, a table not planned"
            )));
        };
        let n = page.rows.len();
        let mut columns: Vec<Column> = target.kinds.iter().map(|k| Column::new(*k, n)).collect();
        for (i, row) in page.rows.into_iter().enumerate() {
            let at = target.written + i as u64 + 1;
            let problem = |column: &str, problem: String| CopyError::Value {
                table: name,
                column: column.to_owned(),
                row: at,
                problem,
            };
            if row.len() != columns.len() {
                let values = format!("{} values for {} columns", row.len(), columns.len());
                return Err(problem("*", values));
            }
            for ((value, column), column_name) in
                row.into_iter().zip(&mut columns).zip(&target.columns)
            {
                column.push(value).map_err(|p| problem(column_name, p))?;
            }
        }
        let mut insert = sqlx::query(AssertSqlSafe(target.insert.clone()));
        for column in columns {
            insert = match column {
                Column::Text(v) => insert.bind(v),
                Column::BigInt(v) => insert.bind(v),
                Column::Int(v) => insert.bind(v),
                Column::Bool(v) => insert.bind(v),
                Column::Instant(v) => insert.bind(v),
                Column::Bytes(v) => insert.bind(v),
            };
        }
        insert.execute(&mut *self.tx).await.map_err(db)?;
        target.written += n as u64;
        Ok(())
    }

    /// After the last page: checks the tables both migrations fill, moves every identity
    /// past the largest value copied, and counts what each table holds now (its rows and the
    /// bytes of its blobs), beside what the source held.
    pub async fn verify(&mut self) -> Result<Vec<TableCheck>, CopyError> {
        self.compare_equal().await?;
        self.move_identities().await?;
        let mut checks = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let Some(target) = self.targets.get(table.name) else {
                continue;
            };
            let blobs: Vec<String> = target
                .columns
                .iter()
                .zip(&target.kinds)
                .filter(|(_, k)| **k == Kind::Bytes)
                .map(|(c, _)| format!("octet_length({})", quoted(c)))
                .collect();
            let bytes = if blobs.is_empty() {
                "0".to_owned()
            } else {
                format!("coalesce(sum({}), 0)", blobs.join(" + "))
            };
            let sql = format!(
                "SELECT count(*), ({bytes})::bigint FROM {}",
                quoted(table.name)
            );
            let (rows, blob_bytes): (i64, i64) = sqlx::query_as(AssertSqlSafe(sql))
                .fetch_one(&mut *self.tx)
                .await
                .map_err(db)?;
            checks.push(TableCheck {
                table,
                source: target.source,
                target: Tally {
                    rows: u64::try_from(rows).unwrap_or_default(),
                    blob_bytes: u64::try_from(blob_bytes).unwrap_or_default(),
                },
            });
        }
        Ok(checks)
    }

    /// Commits the copy: the target holds the whole installation from now on.
    pub async fn commit(mut self) -> Result<(), CopyError> {
        // The search index is derived from the lines (never copied): built here, in the
        // copy's transaction.
        crate::search::index_all(&mut self.tx).await?;
        self.tx.commit().await.map_err(db)?;
        Ok(())
    }

    /// The tables both backends' migrations fill must hold the same rows on both sides.
    async fn compare_equal(&mut self) -> Result<(), CopyError> {
        for table in TABLES.iter().filter(|t| t.seeded == Seeded::Equal) {
            let Some(target) = self.targets.get(table.name) else {
                continue;
            };
            let as_text: Vec<String> = target
                .columns
                .iter()
                .map(|c| format!("{}::text", quoted(c)))
                .collect();
            let sql = format!("SELECT {} FROM {}", as_text.join(", "), quoted(table.name));
            let mut theirs: Vec<Vec<Option<String>>> = Vec::new();
            for row in sqlx::query(AssertSqlSafe(sql))
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db)?
            {
                let values = (0..target.columns.len())
                    .map(|i| row.try_get::<Option<String>, _>(i))
                    .collect::<Result<_, _>>()
                    .map_err(db)?;
                theirs.push(values);
            }
            let mut ours: Vec<Vec<Option<String>>> = self
                .equal_rows
                .remove(table.name)
                .unwrap_or_default()
                .into_iter()
                .map(|row| row.into_iter().map(as_text_value).collect())
                .collect();
            ours.sort();
            theirs.sort();
            if ours != theirs {
                return Err(CopyError::Schema(format!(
                    "{} differs: the source holds {ours:?}, the target {theirs:?}",
                    table.name
                )));
            }
        }
        Ok(())
    }

    /// Each identity column (`seq`) goes on after the largest value copied.
    async fn move_identities(&mut self) -> Result<(), CopyError> {
        let identities: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        for (table, column) in identities {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), \
                               (SELECT coalesce(max({c}), 0) + 1 FROM {t}), false)",
                c = quoted(&column),
                t = quoted(&table),
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(quoted(&table))
                .bind(&column)
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        Ok(())
    }
}

/// A value as PostgreSQL's `::text` shows it, for the tables compared row by row.
fn as_text_value(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Int(i) => Some(i.to_string()),
        Value::Text(s) => Some(s),
        Value::Blob(b) => Some(format!("{b:?}")),
    }
}
