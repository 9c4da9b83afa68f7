//! What the API writes without a `String` of its own: instants and dates formatted on the
//! stack straight into the response ([`Time`], [`Day`]), and a body that borrows what it shows
//! written out in the handler ([`written`]). An order of 1,000 lines has thousands of each.

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// An instant as [`super::time`] writes it, written straight into the response (no `String` of its
/// own: an order of 1,000 lines has thousands of them).
#[derive(Debug, Clone, Copy)]
pub struct Time(pub Timestamp);

impl Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        short_str(s, &self.0)
    }
}

/// Serializes a short text (an instant, a date) formatted on the stack. `collect_str` would
/// hand the JSON writer each of the formatter's pieces (a dozen for an instant), each checked
/// for characters to escape on its own: measured slower than the `String` it saves.
fn short_str<S: serde::Serializer>(
    s: S,
    value: &impl std::fmt::Display,
) -> Result<S::Ok, S::Error> {
    use std::fmt::Write;
    let mut text = StackText::default();
    match write!(text, "{value}") {
        Ok(()) => s.serialize_str(text.as_str()),
        // Longer than the buffer: no instant or date is.
        Err(_) => s.collect_str(value),
    }
}

/// Up to 48 bytes of text on the stack (an instant with nanoseconds is 30).
struct StackText {
    bytes: [u8; 48],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        Self {
            bytes: [0; 48],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever appended, so this is UTF-8; were it not, empty.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, piece: &str) -> std::fmt::Result {
        let end = self.len + piece.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(piece.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Where a body's buffer starts for each line it holds: a line's JSON is ~650 bytes, ~920
/// with its last email.
pub const LINE_BYTES: usize = 1024;

/// A JSON body that borrows what it shows (a line and its order as read), written out in the
/// handler; `bytes` is the size to start the buffer at (axum's `Json` starts at 128 bytes and
/// copies its buffer a dozen times for an order of 1,000 lines).
pub fn written(status: StatusCode, body: &impl Serialize, bytes: usize) -> AppResult<Response> {
    let mut buf = Vec::with_capacity(bytes);
    serde_json::to_writer(&mut buf, body).map_err(|e| AppError::Internal(e.into()))?;
    Ok((status, [(CONTENT_TYPE, "application/json")], buf).into_response())
}

/// A calendar date (`2026-12-24`), written straight into the response like [`Time`].
#[derive(Debug, Clone, Copy)]
pub struct Day(pub jiff::civil::Date);

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        short_str(s, &self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_dates_are_written_as_their_text_form() {
        for t in [
            "2026-12-07T05:44:46Z",
            "2026-12-07T05:44:46.664505Z",
            "2026-12-07T05:44:46.123456789Z",
            "9999-12-30T22:00:00.999999Z",
            "0001-01-01T00:00:00Z",
        ] {
            let t: Timestamp = t.parse().unwrap();
            assert_eq!(
                serde_json::to_string(&Time(t)).unwrap(),
                format!("\"{}\"", super::super::time(t))
            );
        }
        let d: jiff::civil::Date = "2026-12-24".parse().unwrap();
        assert_eq!(serde_json::to_string(&Day(d)).unwrap(), "\"2026-12-24\"");
    }

    #[test]
    fn a_text_longer_than_the_stack_buffer_is_still_written_whole() {
        struct Long;
        impl std::fmt::Display for Long {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&"x".repeat(100))
            }
        }
        let mut out = Vec::new();
        short_str(&mut serde_json::Serializer::new(&mut out), &Long).unwrap();
        assert_eq!(out, format!("\"{}\"", "x".repeat(100)).into_bytes());
    }
}
