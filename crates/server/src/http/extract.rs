//! Reading a request into our errors, the same for the API and the pages: the whole body
//! (too large is `413`, a stall `408`), the page a list asks for (`limit`, `cursor`: a
//! malformed one is `400`, a `limit` under 1 is `422`) and an enum in a query (`422` naming
//! the parameter). The API's own extractors (API keys, JSON bodies, `Idempotency-Key`) are
//! in `api/extract.rs`, the pages' (sessions, forms) in `web`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use provisio_domain::FieldPath;
use provisio_domain::state::UnknownVariant;
use provisio_store::PageRequest;

use crate::app::App;
use crate::error::{AppError, Message};

/// The whole body: too large is `413`, a stall `408` (every edge reads bodies through it).
pub(crate) async fn body_bytes(req: Request, app: &App) -> Result<Bytes, AppError> {
    Bytes::from_request(req, app).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge {
                limit: app.config.body_limit_bytes,
            }
        } else {
            AppError::body_unreadable(&rejection, &app.config)
        }
    })
}

/// The page a list's query asks for (`limit`, `cursor`; SPEC §8).
pub fn page_of(params: &HashMap<String, String>) -> Result<PageRequest, AppError> {
    page_request(
        params.get("limit").map(String::as_str),
        params.get("cursor").map(String::as_str),
    )
}

/// The page of a list: `limit` 1–200 (default 50, more is clamped), `cursor` one of ours.
pub fn page_request(limit: Option<&str>, cursor: Option<&str>) -> Result<PageRequest, AppError> {
    let limit = match limit {
        None | Some("") => 50,
        Some(raw) => {
            let n: i64 = raw.parse().map_err(|_| {
                AppError::unreadable(
                    Message::new("request-query-number")
                        .with("field", "limit")
                        .with("value", raw),
                )
            })?;
            if n < 1 {
                return Err(AppError::invalid_value(
                    "limit",
                    "value-limit",
                    vec![("value", n.to_string())],
                ));
            }
            n.min(200) as u32
        }
    };
    let after = match cursor {
        None | Some("") => None,
        Some(raw) => Some(
            decode_cursor(raw)
                .ok_or_else(|| AppError::unreadable(Message::new("request-cursor")))?,
        ),
    };
    Ok(PageRequest { after, limit })
}

/// The cursor of the page after `position` (opaque to clients).
pub fn encode_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("p{position}"))
}

fn decode_cursor(raw: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix('p')?
        .parse()
        .ok()
}

/// An optional enum query parameter, `None` when absent or empty.
pub fn parse_enum<T>(
    key: &'static str,
    raw: Option<&String>,
    parse: impl Fn(&str) -> Result<T, UnknownVariant>,
) -> Result<Option<T>, AppError> {
    match raw.map(String::as_str) {
        None | Some("") => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .map_err(|e| AppError::invalid(FieldPath::name(key), e.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn cursors_round_trip_and_junk_is_rejected() {
        let c = encode_cursor(1234);
        assert_eq!(
            page_request(Some("10"), Some(&c)).unwrap(),
            PageRequest {
                after: Some(1234),
                limit: 10
            }
        );
        assert_eq!(
            page_request(Some("999"), None).unwrap().limit,
            200,
            "clamped"
        );
        assert_eq!(page_request(None, None).unwrap().limit, 50);
        assert_eq!(
            page_request(Some("0"), None).unwrap_err().code(),
            Code::Unprocessable
        );
        assert_eq!(
            page_request(Some("x"), None).unwrap_err().code(),
            Code::InvalidRequest
        );
        assert_eq!(
            page_request(None, Some("!!")).unwrap_err().code(),
            Code::InvalidRequest
        );
    }
}
