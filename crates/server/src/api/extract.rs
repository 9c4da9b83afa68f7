//! Request extractors that turn every way a request can be wrong into our problem codes:
//! authentication, JSON bodies (400 unreadable / 415 wrong type / 413 too large), path ids
//! (malformed means `not_found`), pagination and `Idempotency-Key`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use provisio_domain::Actor;
use provisio_store::PageRequest;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::app::orders::Idempotency;
use crate::app::{App, secrets};
use crate::error::{AppError, AuthFailure, Message, Thing};
use provisio_domain::FieldPath;

/// The caller, authenticated by `Authorization: Bearer <api key>`.
pub struct Auth(pub Actor);

impl FromRequestParts<App> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(AppError::Unauthenticated(AuthFailure::Missing))?;
        let key = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(AppError::Unauthenticated(AuthFailure::Malformed))?;
        let actor = app.authenticate(key).await?;
        tracing::Span::current().record("user", tracing::field::display(actor.user_id));
        Ok(Auth(actor))
    }
}

/// A JSON body deserialized strictly (unknown fields rejected), keeping the canonical body
/// for idempotency hashing.
pub struct ApiJson<T> {
    pub value: T,
    pub canonical: String,
}

/// No Content-Type is read as JSON (curl and scripts often omit it); any other type is refused.
fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

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

/// Parses JSON text into `T`, naming the path of a wrong type or unknown field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, String), AppError> {
    let value: Value = serde_json::from_slice(bytes).map_err(not_json)?;
    let canonical = value.to_string();
    let parsed = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // A missing field is a rule broken by well-formed JSON: 422 with the field's path.
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            let full = if path == "." {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            };
            return AppError::invalid(
                FieldPath::edge(full.clone()),
                provisio_domain::ValueError::invalid("value-required", vec![("field", full)]),
            );
        }
        if path == "." {
            AppError::unreadable(
                Message::new("request-json-shape").with("reason", inner.to_string()),
            )
        } else {
            AppError::unreadable(
                Message::new("request-json-field")
                    .with("field", path)
                    .with("reason", inner.to_string()),
            )
        }
    })?;
    Ok((parsed, canonical))
}

impl<T: DeserializeOwned> FromRequest<App> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &App) -> Result<Self, AppError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !is_json(content_type) {
            return Err(AppError::UnsupportedMediaType {
                content_type: content_type.unwrap_or("").to_owned(),
            });
        }
        let bytes = body_bytes(req, app).await?;
        let (value, canonical) = parse_json(&bytes)?;
        Ok(ApiJson { value, canonical })
    }
}

/// A bodyless action: accepts no body, an empty body or `{}` (SPEC §8).
pub struct NoBody;

impl FromRequest<App> for NoBody {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &App) -> Result<Self, AppError> {
        let bytes = body_bytes(req, app).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(NoBody);
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) if m.is_empty() => Ok(NoBody),
            Ok(_) => Err(AppError::unreadable(Message::new("request-body-not-empty"))),
            Err(e) => Err(not_json(e)),
        }
    }
}

/// A single path segment (an id); a malformed one is handled as not found by the handler.
pub struct PathId(pub String);

impl FromRequestParts<App> for PathId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, AppError> {
        axum::extract::Path::<String>::from_request_parts(parts, app)
            .await
            .map(|p| PathId(p.0))
            .map_err(|_| AppError::not_found(Thing::Resource))
    }
}

/// `Idempotency-Key`, if sent, with the hash of the request it came with.
pub fn idempotency(
    parts_headers: &axum::http::HeaderMap,
    method_path: &str,
    canonical: &str,
) -> Result<Option<Idempotency>, AppError> {
    let Some(raw) = parts_headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| AppError::unreadable(Message::new("request-idempotency-key")))?;
    let request_hash = secrets::hex(&Sha256::digest(
        format!("{method_path}\n{canonical}").as_bytes(),
    ));
    Ok(Some(Idempotency {
        key: key.to_owned(),
        request_hash,
    }))
}

/// `limit` and `cursor` of a list request (SPEC §8).
/// The page a list's query asks for (`limit`, `cursor`).
pub fn page_of(params: &HashMap<String, String>) -> Result<PageRequest, AppError> {
    page_request(
        params.get("limit").map(String::as_str),
        params.get("cursor").map(String::as_str),
    )
}

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

fn not_json(e: serde_json::Error) -> AppError {
    AppError::unreadable(Message::new("request-json-invalid").with("reason", e.to_string()))
}

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
    parse: impl Fn(&str) -> Result<T, provisio_domain::state::UnknownVariant>,
) -> Result<Option<T>, AppError> {
    match raw.map(String::as_str) {
        None | Some("") => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .map_err(|e| AppError::invalid(provisio_domain::FieldPath::name(key), e.into())),
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

    #[test]
    fn json_content_types() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(is_json(None), "an absent type is read as JSON");
    }
}
