//! The values of `provisio db copy` as the target's columns take them: each source value
//! (SQLite's text instants, 0/1 flags, blobs) converted to its column's type and gathered
//! into one array per column of a page, bound as `$n::type[]`.

use provisio_store::copy::Value;

use crate::Ts;

/// A column's type in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    BigInt,
    Int,
    Bool,
    Instant,
    Bytes,
}

impl Kind {
    pub(crate) fn of(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "text" => Kind::Text,
            "bigint" => Kind::BigInt,
            "integer" => Kind::Int,
            "boolean" => Kind::Bool,
            "timestamp with time zone" => Kind::Instant,
            "bytea" => Kind::Bytes,
            _ => return None,
        })
    }

    pub(crate) fn array(self) -> &'static str {
        match self {
            Kind::Text => "text[]",
            Kind::BigInt => "int8[]",
            Kind::Int => "int4[]",
            Kind::Bool => "bool[]",
            Kind::Instant => "timestamptz[]",
            Kind::Bytes => "bytea[]",
        }
    }
}

/// One column's values of a page, typed for binding as an array.
pub(crate) enum Column {
    Text(Vec<Option<String>>),
    BigInt(Vec<Option<i64>>),
    Int(Vec<Option<i32>>),
    Bool(Vec<Option<bool>>),
    Instant(Vec<Option<Ts>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Column {
    pub(crate) fn new(kind: Kind, capacity: usize) -> Column {
        match kind {
            Kind::Text => Column::Text(Vec::with_capacity(capacity)),
            Kind::BigInt => Column::BigInt(Vec::with_capacity(capacity)),
            Kind::Int => Column::Int(Vec::with_capacity(capacity)),
            Kind::Bool => Column::Bool(Vec::with_capacity(capacity)),
            Kind::Instant => Column::Instant(Vec::with_capacity(capacity)),
            Kind::Bytes => Column::Bytes(Vec::with_capacity(capacity)),
        }
    }

    /// Adds a value converted to this column's type; the problem, if it has none.
    pub(crate) fn push(&mut self, value: Value) -> Result<(), String> {
        let wrong =
            |value: &Value, wanted: &str| format!("{} where {wanted} belongs", value.kind());
        match (self, value) {
            (Column::Text(v), Value::Null) => v.push(None),
            (Column::BigInt(v), Value::Null) => v.push(None),
            (Column::Int(v), Value::Null) => v.push(None),
            (Column::Bool(v), Value::Null) => v.push(None),
            (Column::Instant(v), Value::Null) => v.push(None),
            (Column::Bytes(v), Value::Null) => v.push(None),
            (Column::Text(v), Value::Text(s)) => v.push(Some(s)),
            (Column::BigInt(v), Value::Int(i)) => v.push(Some(i)),
            (Column::Int(v), Value::Int(i)) => {
                let i = i32::try_from(i).map_err(|_| format!("{i} is too large an integer"))?;
                v.push(Some(i));
            }
            (Column::Bool(v), Value::Int(i @ (0 | 1))) => v.push(Some(i == 1)),
            (Column::Instant(v), Value::Text(s)) => {
                let at = s
                    .parse::<jiff::Timestamp>()
                    .map_err(|e| format!("'{s}' is not an instant: {e}"))?;
                v.push(Some(Ts(at)));
            }
            (Column::Bytes(v), Value::Blob(b)) => v.push(Some(b)),
            (Column::Text(_), value) => return Err(wrong(&value, "text")),
            (Column::BigInt(_) | Column::Int(_), value) => {
                return Err(wrong(&value, "an integer"));
            }
            (Column::Bool(_), value) => return Err(wrong(&value, "a flag (0 or 1)")),
            (Column::Instant(_), value) => return Err(wrong(&value, "an instant (text)")),
            (Column::Bytes(_), value) => return Err(wrong(&value, "a blob")),
        }
        Ok(())
    }
}
