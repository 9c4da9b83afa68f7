//! The API's request extractors, which turn every way a request can be wrong into our problem
//! codes: authentication, JSON bodies (400 unreadable / 415 wrong type / 413 too large), path
//! ids (malformed means `not_found`) and `Idempotency-Key`. Reading the body itself, a list's
//! page and an enum in a query are shared with the pages (`crate::http::extract`).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use provisio_domain::Actor;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::app::orders::Idempotency;
use crate::app::{App, secrets};
use crate::error::{AppError, AuthFailure, Message, Thing};
use crate::http::extract::body_bytes;
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

fn not_json(e: serde_json::Error) -> AppError {
    AppError::unreadable(Message::new("request-json-invalid").with("reason", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(is_json(None), "an absent type is read as JSON");
    }
}
