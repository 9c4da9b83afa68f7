//! Reading a whole installation for `provisio db copy` ([`SqliteStore::copy_out`]).
//!
//! One read transaction on a connection of its own holds a snapshot of the file from the
//! first count to the last row, so the tables are counted and read as of one instant, whatever
//! commits meanwhile. A thread reads the tables in [`TABLES`] order, each in one statement,
//! and hands the rows over in pages (at most [`PAGE_ROWS`] rows or [`PAGE_BYTES`] of values)
//! through a short channel: the reading goes on while the target writes the page before, and
//! never runs more than [`PAGES_AHEAD`] pages ahead. Values go out as SQLite stored them
//! (text instants, 0/1 flags); the target converts them to its columns' types.
//!
//! A second connection watches the file's `data_version`: if any other connection commits
//! while the copy runs, [`CopyOut::source_changed`] says so, so the copy is not taken for the
//! whole installation when something wrote to it meanwhile.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::thread;

use provisio_store::copy::{
    CopyError, Page, Row, SEQ, SourceTable, TABLES, Table, Tally, Value, is_internal,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;

use crate::{BUSY_TIMEOUT, SqliteStore, db};

/// Rows in a page at most.
pub const PAGE_ROWS: usize = 1000;
/// Bytes of values in a page at most (a page of attachments holds a few files).
pub const PAGE_BYTES: usize = 8 << 20;
/// Pages read ahead of the target at most.
const PAGES_AHEAD: usize = 4;

/// An installation being read: its tables as of the snapshot, then its pages in order.
pub struct CopyOut {
    tables: Vec<SourceTable>,
    pages: mpsc::Receiver<Result<Page, CopyError>>,
    /// A connection outside the snapshot and the `data_version` it saw before the snapshot.
    watch: Mutex<(Connection, i64)>,
    reader: Option<thread::JoinHandle<()>>,
}

impl SqliteStore {
    /// Starts reading every table of the installation from one snapshot (see the module
    /// doc). Refuses a file whose tables are not [`TABLES`] (a table more or missing).
    pub fn copy_out(&self) -> Result<CopyOut, CopyError> {
        let watch = open_read_only(&self.path)?;
        let version = data_version(&watch)?;
        let conn = open_read_only(&self.path)?;
        conn.execute_batch("BEGIN").map_err(db)?;
        let tables = plan(&conn)?;
        let (tx, pages) = mpsc::channel(PAGES_AHEAD);
        let to_read = tables.clone();
        let reader = thread::Builder::new()
            .name("db-copy-read".into())
            .spawn(move || {
                if let Err(e) = read_all(&conn, &to_read, &tx) {
                    let _ = tx.blocking_send(Err(e));
                }
                let _ = conn.execute_batch("COMMIT");
            })
            .map_err(provisio_store::StoreError::backend)?;
        Ok(CopyOut {
            tables,
            pages,
            watch: Mutex::new((watch, version)),
            reader: Some(reader),
        })
    }
}

impl CopyOut {
    /// Every table with its columns and what it held at the snapshot, in [`TABLES`] order.
    pub fn tables(&self) -> &[SourceTable] {
        &self.tables
    }

    /// The next page of rows; `None` after the last one.
    pub async fn next_page(&mut self) -> Option<Result<Page, CopyError>> {
        self.pages.recv().await
    }

    /// Whether another connection committed to the file since the snapshot was taken.
    pub fn source_changed(&self) -> Result<bool, CopyError> {
        let watch = self.watch.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(data_version(&watch.0)? != watch.1)
    }
}

/// Stops reading (if it has not ended) and closes the connections before it returns.
impl Drop for CopyOut {
    fn drop(&mut self) {
        self.pages.close();
        while self.pages.try_recv().is_ok() {}
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

fn open_read_only(path: &Path) -> Result<Connection, CopyError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    Ok(conn)
}

fn data_version(conn: &Connection) -> Result<i64, CopyError> {
    Ok(conn
        .query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(db)?)
}

/// `"name"`: every name here comes from the schema; quoted all the same.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables of the file, checked against [`TABLES`], with their columns and tallies.
fn plan(conn: &Connection) -> Result<Vec<SourceTable>, CopyError> {
    let mut st = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .map_err(db)?;
    let present: Vec<String> = st
        .query_map([], |r| r.get(0))
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)?;
    if let Some(unknown) = present
        .iter()
        .find(|n| !is_internal(n) && !TABLES.iter().any(|t| t.name == n.as_str()))
    {
        return Err(CopyError::Schema(format!(
            "the source has a table {unknown} that this version of provisio does not know"
        )));
    }
    TABLES
        .iter()
        .map(|table| {
            if !present.iter().any(|n| n == table.name) {
                return Err(CopyError::Schema(format!(
                    "the source has no table {}",
                    table.name
                )));
            }
            described(conn, table)
        })
        .collect()
}

fn described(conn: &Connection, table: &'static Table) -> Result<SourceTable, CopyError> {
    let mut st = conn
        .prepare("SELECT name, upper(type) FROM pragma_table_info(?1) ORDER BY cid")
        .map_err(db)?;
    let columns: Vec<(String, String)> = st
        .query_map([table.name], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)?;
    let blobs: Vec<String> = columns
        .iter()
        .filter(|(_, ty)| ty == "BLOB")
        .map(|(name, _)| format!("length(CAST({} AS BLOB))", quoted(name)))
        .collect();
    let bytes = if blobs.is_empty() {
        "0".to_owned()
    } else {
        format!("coalesce(sum({}), 0)", blobs.join(" + "))
    };
    let sql = format!("SELECT count(*), {bytes} FROM {}", quoted(table.name));
    let (rows, blob_bytes): (i64, i64) = conn
        .query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?;
    let mut names: Vec<String> = columns.into_iter().map(|(name, _)| name).collect();
    if table.rowid_is_seq && !names.iter().any(|n| n == SEQ) {
        names.push(SEQ.to_owned());
    }
    Ok(SourceTable {
        table,
        columns: names,
        tally: Tally {
            rows: u64::try_from(rows).unwrap_or_default(),
            blob_bytes: u64::try_from(blob_bytes).unwrap_or_default(),
        },
    })
}

/// Reads every table into pages; stops early (without error) when the receiver is gone.
fn read_all(
    conn: &Connection,
    tables: &[SourceTable],
    tx: &mpsc::Sender<Result<Page, CopyError>>,
) -> Result<(), CopyError> {
    for source in tables {
        let names: Vec<String> = source
            .columns
            .iter()
            .map(|c| match c.as_str() {
                // The rowid, as `seq` (see `Table::rowid_is_seq`; were `seq` a column of
                // the table, it would be its INTEGER PRIMARY KEY: the rowid itself).
                SEQ if source.table.rowid_is_seq => "rowid".to_owned(),
                c => quoted(c),
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {}",
            names.join(", "),
            quoted(source.table.name)
        );
        let mut st = conn.prepare(&sql).map_err(db)?;
        let mut rows = st.query([]).map_err(db)?;
        let (mut page, mut bytes, mut n) = (Vec::new(), 0usize, 0u64);
        while let Some(row) = rows.next().map_err(db)? {
            n += 1;
            let mut values: Row = Vec::with_capacity(names.len());
            for (i, column) in source.columns.iter().enumerate() {
                let value = match row.get_ref(i).map_err(db)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Int(i),
                    ValueRef::Text(t) => match std::str::from_utf8(t) {
                        Ok(text) => Value::Text(text.to_owned()),
                        Err(_) => return Err(bad(source, column, n, "text that is not UTF-8")),
                    },
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                    ValueRef::Real(_) => {
                        return Err(bad(
                            source,
                            column,
                            n,
                            "a real number, which no column holds",
                        ));
                    }
                };
                bytes += value.size();
                values.push(value);
            }
            page.push(values);
            if page.len() >= PAGE_ROWS || bytes >= PAGE_BYTES {
                let full = Page {
                    table: source.table,
                    rows: std::mem::take(&mut page),
                };
                bytes = 0;
                if tx.blocking_send(Ok(full)).is_err() {
                    return Ok(());
                }
            }
        }
        if !page.is_empty() {
            let last = Page {
                table: source.table,
                rows: page,
            };
            if tx.blocking_send(Ok(last)).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn bad(source: &SourceTable, column: &str, row: u64, problem: &str) -> CopyError {
    CopyError::Value {
        table: source.table.name,
        column: column.to_owned(),
        row,
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use provisio_store::{Maintenance, Settings};

    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn the_snapshot_reads_every_table_as_it_was_and_a_write_meanwhile_shows() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("copy.sqlite"))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let mut out = store.copy_out().unwrap();
        assert_eq!(out.tables().len(), TABLES.len());
        assert!(!out.source_changed().unwrap());
        store.advance_clock_offset(1_000_000).await.unwrap();
        assert!(out.source_changed().unwrap(), "a commit since the snapshot");

        let mut rows: HashMap<&str, usize> = HashMap::new();
        while let Some(page) = out.next_page().await {
            let page = page.unwrap();
            *rows.entry(page.table.name).or_default() += page.rows.len();
        }
        // As of the snapshot: the counters and policies the migrations wrote, no offset yet.
        assert_eq!(rows.get("sequences"), Some(&2));
        assert_eq!(rows.get("email_kinds"), Some(&8));
        assert_eq!(rows.get("settings"), None);
        let companies = &out.tables()[0];
        assert_eq!(companies.table.name, "companies");
        assert!(
            companies.columns.iter().any(|c| c == SEQ),
            "the rowid, as seq"
        );
    }
}
