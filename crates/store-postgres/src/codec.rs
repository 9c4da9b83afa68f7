//! Mapping between PostgreSQL values and domain values, and the one mapping of driver errors.

use jiff::Timestamp;
use provisio_store::{StoreError, StoreResult};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{
    PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueFormat, PgValueRef, Postgres,
};
use sqlx::{Decode, Encode, Type};

/// SQLSTATEs after which running the transaction again may succeed: nothing was written.
const RETRYABLE: [&str; 3] = [
    "40001", // serialization_failure
    "40P01", // deadlock_detected
    "55P03", // lock_not_available
];

/// Maps a driver error: a lost race (serialization failure, deadlock) is retryable; a
/// database that cannot be reached (connection lost, pool timed out, server shutting down or
/// starting) is unavailable; everything else is a backend error.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
            if RETRYABLE.contains(&code.as_str()) {
                StoreError::Retryable(e.to_string())
            } else if code.starts_with("08") || code.starts_with("57P") {
                StoreError::Unavailable(e.to_string())
            } else {
                StoreError::backend(e)
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Protocol(_) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::backend(e),
    }
}

/// The constraint a statement broke by a unique violation, if that is what it did.
pub(crate) fn unique_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23505") => {
            Some(d.constraint().unwrap_or_default().to_owned())
        }
        _ => None,
    }
}

/// The constraint a statement broke by a foreign key violation, if that is what it did.
pub(crate) fn foreign_key_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23503") => {
            Some(d.constraint().unwrap_or_default().to_owned())
        }
        _ => None,
    }
}

/// An instant as PostgreSQL's `timestamptz` (microseconds since 2000-01-01 UTC on the wire).
/// sqlx knows chrono's and time's instants, not jiff's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub Timestamp);

/// 2000-01-01T00:00:00Z in microseconds since the Unix epoch.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
const TIMESTAMPTZ: Oid = Oid(1184);
const TIMESTAMPTZ_ARRAY: Oid = Oid(1185);

impl From<Timestamp> for Ts {
    fn from(t: Timestamp) -> Self {
        Ts(t)
    }
}

impl From<Ts> for Timestamp {
    fn from(t: Ts) -> Self {
        t.0
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(TIMESTAMPTZ)
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        *ty == Self::type_info() || sqlx::TypeInfo::name(ty).eq_ignore_ascii_case("timestamptz")
    }
}

/// Instants bound as one array (`provisio db copy` inserts a page per statement).
impl PgHasArrayType for Ts {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(TIMESTAMPTZ_ARRAY)
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let micros = self.0.as_microsecond() - PG_EPOCH_MICROS;
        Encode::<Postgres>::encode(micros, buf)
    }
    fn size_hint(&self) -> usize {
        std::mem::size_of::<i64>()
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                let micros: i64 = Decode::<Postgres>::decode(value)?;
                let since_unix = micros
                    .checked_add(PG_EPOCH_MICROS)
                    .ok_or("timestamptz out of range")?;
                Ok(Ts(Timestamp::from_microsecond(since_unix)?))
            }
            // Text results (simple queries): "2026-05-04 08:00:00.5+00".
            PgValueFormat::Text => Ok(Ts(value.as_str()?.replacen(' ', "T", 1).parse()?)),
        }
    }
}

/// A number or count kept as `integer` or `bigint`, decoded as the column's type says. (Trying
/// `bigint` first and then `integer` built a driver error, message and all, for every
/// `integer` read: three a line, 3 % of reading an order of 1,000 lines.)
struct Int(i64);

impl Type<Postgres> for Int {
    fn type_info() -> PgTypeInfo {
        <i64 as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <i64 as Type<Postgres>>::compatible(ty) || <i32 as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for Int {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        use sqlx::ValueRef;
        if <i32 as Type<Postgres>>::compatible(&value.type_info()) {
            Ok(Int(i64::from(<i32 as Decode<Postgres>>::decode(value)?)))
        } else {
            Ok(Int(<i64 as Decode<Postgres>>::decode(value)?))
        }
    }
}

/// An optional instant to bind.
pub(crate) fn opt_ts(t: Option<Timestamp>) -> Option<Ts> {
    t.map(Ts)
}

pub(crate) use provisio_store::rows::{stored, uuid};

/// A column of a row by name, decoded (an instant as [`Ts`], a flag as `bool`).
pub(crate) fn col<'r, T>(row: &'r sqlx::postgres::PgRow, name: &str) -> StoreResult<T>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    use sqlx::Row;
    row.try_get(name).map_err(db)
}

/// An instant column.
pub(crate) fn col_ts(row: &sqlx::postgres::PgRow, name: &str) -> StoreResult<Timestamp> {
    Ok(col::<Ts>(row, name)?.0)
}

/// An optional instant column.
pub(crate) fn col_opt_ts(
    row: &sqlx::postgres::PgRow,
    name: &str,
) -> StoreResult<Option<Timestamp>> {
    Ok(col::<Option<Ts>>(row, name)?.map(|t| t.0))
}

/// A row as the shared mapping (`provisio_store::rows`) reads it: PostgreSQL keeps instants as
/// `timestamptz`, flags as `boolean`, counts as `integer` or `bigint`.
pub(crate) struct Pg<'r>(pub &'r sqlx::postgres::PgRow);

impl provisio_store::rows::Columns for Pg<'_> {
    fn text(&self, name: &str) -> StoreResult<String> {
        col(self.0, name)
    }
    fn opt_text(&self, name: &str) -> StoreResult<Option<String>> {
        col(self.0, name)
    }
    fn int(&self, name: &str) -> StoreResult<i64> {
        Ok(col::<Int>(self.0, name)?.0)
    }
    fn flag(&self, name: &str) -> StoreResult<bool> {
        col(self.0, name)
    }
    fn instant(&self, name: &str) -> StoreResult<Timestamp> {
        col_ts(self.0, name)
    }
    fn opt_instant(&self, name: &str) -> StoreResult<Option<Timestamp>> {
        col_opt_ts(self.0, name)
    }
    fn parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> T) -> StoreResult<T> {
        Ok(parse(col::<&str>(self.0, name)?))
    }
    fn opt_parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> T) -> StoreResult<Option<T>> {
        Ok(col::<Option<&str>>(self.0, name)?.map(parse))
    }
}
