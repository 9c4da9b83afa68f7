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
        self.parsed(name, parse_ts)?
    }
    fn opt_instant(&self, name: &str) -> StoreResult<Option<Timestamp>> {
        self.opt_parsed(name, parse_ts)?.transpose()
    }
    fn parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> T) -> StoreResult<T> {
        self.opt_parsed(name, parse)?
            .ok_or_else(|| StoreError::corrupt(format!("{name} is NULL")))
    }
    fn opt_parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> T) -> StoreResult<Option<T>> {
        use rusqlite::types::ValueRef;
        match self.row.get_ref(self.index(name)?).map_err(db)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(|text| Some(parse(text)))
                .map_err(|e| StoreError::corrupt(format!("{name}: {e}"))),
            other => Err(StoreError::corrupt(format!(
                "{name}: {:?} where text belongs",
                other.data_type()
            ))),
        }
    }
}

impl Named<'_, '_> {
    fn index(&self, col: &str) -> StoreResult<usize> {
        self.columns
            .0
            .get(col)
            .copied()
            .ok_or_else(|| StoreError::corrupt(format!("no column {col}")))
    }

    fn get<T: rusqlite::types::FromSql>(&self, col: &str) -> StoreResult<T> {
        self.row.get(self.index(col)?).map_err(db)
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

/// Instants are stored with exactly six fractional digits so that text order is time order:
/// `2026-05-04T08:00:00.500000Z` (UTC). Written digit by digit: jiff's `strftime` took 181 ns
/// an instant here against 47, and a first send writes about six.
pub(crate) fn ts(t: Timestamp) -> String {
    let d = jiff::tz::Offset::UTC.to_datetime(t);
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    // Years outside 0..=9999 (jiff allows -9999) are not instants this service stores.
    let year = u32::try_from(d.year()).unwrap_or(0);
    digits(&mut text[0..4], year);
    digits(&mut text[5..7], d.month().unsigned_abs().into());
    digits(&mut text[8..10], d.day().unsigned_abs().into());
    digits(&mut text[11..13], d.hour().unsigned_abs().into());
    digits(&mut text[14..16], d.minute().unsigned_abs().into());
    digits(&mut text[17..19], d.second().unsigned_abs().into());
    digits(
        &mut text[20..26],
        d.subsec_nanosecond().unsigned_abs() / 1_000,
    );
    text.iter().map(|&b| char::from(b)).collect()
}

/// `value`'s last decimal digits into `out`, zero-padded.
fn digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// The instant of [`ts`]'s form, read digit by digit (26 ns here against jiff's general
/// parser's 67: a scan of a million lines reads three million); anything else through jiff.
fn parse_stored(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let shape = b.len() == 27
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[26] == b'Z';
    if !shape {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<i32> {
        b[from..to].iter().try_fold(0i32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i32::from(c - b'0'))
        })
    };
    let part = |from: usize, to: usize| number(from, to).and_then(|n| i8::try_from(n).ok());
    let datetime = jiff::civil::DateTime::new(
        i16::try_from(number(0, 4)?).ok()?,
        part(5, 7)?,
        part(8, 10)?,
        part(11, 13)?,
        part(14, 16)?,
        part(17, 19)?,
        number(20, 26)? * 1_000,
    )
    .ok()?;
    jiff::tz::Offset::UTC.to_timestamp(datetime).ok()
}

pub(crate) fn opt_ts(t: Option<Timestamp>) -> Option<String> {
    t.map(ts)
}

pub(crate) fn parse_ts(s: &str) -> Result<Timestamp, StoreError> {
    match parse_stored(s) {
        Some(t) => Ok(t),
        None => s
            .parse()
            .map_err(|e| StoreError::corrupt(format!("instant {s:?}: {e}"))),
    }
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

    #[test]
    fn instants_read_back_as_written_and_other_forms_still_parse() {
        let start: Timestamp = "1970-01-01T00:00:00Z".parse().unwrap();
        for step in 0..20_000i64 {
            // About 4.7 years apart at most: every field, leap days, the microseconds.
            let t = start + jiff::SignedDuration::from_micros(step * 7_919_000_003_917);
            let text = ts(t);
            assert_eq!(text, t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
            assert_eq!(parse_ts(&text).unwrap(), t);
        }
        assert_eq!(
            parse_ts("2026-05-04T08:00:00Z").unwrap(),
            "2026-05-04T08:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert!(parse_ts("2026-02-30T08:00:00.000000Z").is_err());
        assert!(parse_ts("2026-05-04T08:00:0x.000000Z").is_err());
    }
}
