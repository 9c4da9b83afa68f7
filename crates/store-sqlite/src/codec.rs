//! Mapping between SQLite rows and domain values, and the one mapping of driver errors.

use rustc_hash::FxHashMap;

use jiff::Timestamp;
use provisio_store::{StoreError, StoreResult};

/// Maps a driver error: a database held busy or locked by another connection for longer
/// than the busy timeout is retryable (nothing was written); everything else is a backend
/// error.
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Retryable(e.to_string())
        }
        _ => StoreError::backend(e),
    }
}

/// A rusqlite row read by column name through an index built once per statement (rusqlite's
/// own lookup by name compares every column's name on every read: measurable on the ~45
/// columns of a line with its order).
pub(crate) struct Named<'a, 's> {
    pub row: &'a rusqlite::Row<'s>,
    pub columns: &'a Columns,
}

/// Column name -> index of one statement (FxHash: the names are ours, and SipHash showed in
/// the profile of an order of 1,000 lines read whole).
pub(crate) struct Columns(FxHashMap<String, usize>);

impl Columns {
    pub(crate) fn of(statement: &rusqlite::Statement<'_>) -> Self {
        Columns(
            statement
                .column_names()
                .into_iter()
                .enumerate()
                .map(|(i, name)| (name.to_owned(), i))
                .collect::<FxHashMap<_, _>>(),
        )
    }
}

/// Runs a cached statement on a direct connection and maps every row, read by column name.
pub(crate) fn rows<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    mut map: impl FnMut(&Named<'_, '_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut st = conn.prepare_cached(sql).map_err(db)?;
    let columns = Columns::of(&st);
    let mut rows = st.query(params).map_err(db)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        out.push(map(&Named {
            row,
            columns: &columns,
        })?);
    }
    Ok(out)
}

/// SQLite keeps instants as text with six fractional digits and flags as 0/1.
impl provisio_store::rows::Columns for Named<'_, '_> {
    fn text(&self, name: &str) -> StoreResult<String> {
        self.get(name)
    }
    fn opt_text(&self, name: &str) -> StoreResult<Option<String>> {
        self.get(name)
    }
    fn int(&self, name: &str) -> StoreResult<i64> {
        self.get(name)
    }
    fn flag(&self, name: &str) -> StoreResult<bool> {
        Ok(self.get::<i64>(name)? != 0)
    }
    fn instant(&self, name: &str) -> StoreResult<Timestamp> {
        parse_ts(&self.get::<String>(name)?)
    }
    fn opt_instant(&self, name: &str) -> StoreResult<Option<Timestamp>> {
        parse_opt_ts(self.get(name)?)
    }
}

impl Named<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, col: &str) -> StoreResult<T> {
        let i = self
            .columns
            .0
            .get(col)
            .ok_or_else(|| StoreError::corrupt(format!("no column {col}")))?;
        self.row.get(*i).map_err(db)
    }

    pub(crate) fn text(&self, col: &str) -> StoreResult<String> {
        self.get(col)
    }
    pub(crate) fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.get(col)
    }
    /// A user's id, or none.
    pub(crate) fn opt_user(&self, col: &str) -> StoreResult<Option<provisio_domain::UserId>> {
        self.opt_text(col)?
            .map(|id| uuid(&id).map(provisio_domain::UserId::from_uuid))
            .transpose()
    }

    pub(crate) fn int(&self, col: &str) -> StoreResult<i64> {
        self.get(col)
    }
    pub(crate) fn blob(&self, col: &str) -> StoreResult<Vec<u8>> {
        self.get(col)
    }
}

/// Instants are stored with exactly six fractional digits so that text order is time order.
pub(crate) fn ts(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn opt_ts(t: Option<Timestamp>) -> Option<String> {
    t.map(ts)
}

pub(crate) fn parse_ts(s: &str) -> Result<Timestamp, StoreError> {
    s.parse()
        .map_err(|e| StoreError::corrupt(format!("instant {s:?}: {e}")))
}

pub(crate) fn parse_opt_ts(s: Option<String>) -> Result<Option<Timestamp>, StoreError> {
    s.as_deref().map(parse_ts).transpose()
}

pub(crate) use provisio_store::rows::{stored, uuid};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_sort_as_text() {
        let a: Timestamp = "2026-05-04T08:00:00Z".parse().unwrap();
        let b: Timestamp = "2026-05-04T08:00:00.5Z".parse().unwrap();
        assert_eq!(ts(a), "2026-05-04T08:00:00.000000Z");
        assert_eq!(ts(b), "2026-05-04T08:00:00.500000Z");
        assert!(ts(a) < ts(b));
        assert_eq!(parse_ts(&ts(b)).unwrap(), b);
    }
}
