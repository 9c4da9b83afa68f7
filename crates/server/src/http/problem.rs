//! An [`AppError`] as a problem: an RFC 9457 problem document (English, SPEC §9),
//! `application/problem+json`, with the status of the one table and the members clients
//! script against (`code`, `errors` per field, `ordering_contact`, `admin_portal_url`,
//! `retry_after`). 5xx bodies are opaque; the cause is logged once, here.
//!
//! This is the `IntoResponse` of every `AppError`, whichever edge returns it: the API sends
//! it as is, the pages' layer turns an error on a page path into a page (`web/error.rs`,
//! the other rendering of the same table). The CLI prints the same document.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use provisio_domain::Locale;
use provisio_domain::refusal::Refusal;
use serde_json::{Value, json};

use crate::error::{AppError, Code, Message};
use crate::i18n;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem document of `e`.
pub fn problem(e: &AppError) -> Value {
    let code = e.code();
    // Every field problem at once, so a client can fix all of them.
    let detail = e
        .messages(ToString::to_string)
        .iter()
        .map(text)
        .collect::<Vec<_>>()
        .join("; ");
    let mut body = document(code, code.status(), &detail);
    let errors = e.field_errors();
    if !errors.is_empty() {
        body["errors"] = errors
            .iter()
            .map(|f| {
                json!({
                    "path": f.path.to_string(),
                    "code": f.error.code,
                    "message": text(&Message::from(&f.error)),
                })
            })
            .collect();
    }
    match e {
        AppError::Refused(Refusal::PermissionDenied {
            ordering_contact: Some(c),
            ..
        }) => body["ordering_contact"] = json!(c),
        AppError::PastPointOfNoReturn {
            admin_portal_url, ..
        } => {
            body["admin_portal_url"] = json!(admin_portal_url);
        }
        AppError::Refused(
            Refusal::RateLimited {
                retry_after_secs, ..
            }
            | Refusal::CaseRateLimited {
                retry_after_secs, ..
            },
        ) => body["retry_after"] = json!(retry_after_secs),
        AppError::Refused(Refusal::CaseExists { case_id }) => {
            body["case_id"] = json!(case_id.to_string());
        }
        _ => {}
    }
    body
}

fn text(m: &Message) -> String {
    i18n::render(Locale::En, m)
}

/// A problem for a bare status (from a layer or axum itself), keeping the status.
pub fn for_status(status: StatusCode) -> Value {
    let detail = status.canonical_reason().unwrap_or("error");
    document(Code::for_status(status), status, detail)
}

/// The members every problem has.
fn document(code: Code, status: StatusCode, detail: &str) -> Value {
    let (wire, _, title) = code.describe();
    json!({
        "type": format!("/problems/{wire}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "code": wire,
    })
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let code = self.code();
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let mut response = (code.status(), problem(&self).to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            AppError::Refused(
                Refusal::RateLimited {
                    retry_after_secs, ..
                }
                | Refusal::CaseRateLimited {
                    retry_after_secs, ..
                },
            ) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            AppError::Unauthenticated(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // The database is busy or away: nothing was written, try again shortly.
            AppError::Unavailable => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_SECS),
                );
            }
            _ => {}
        }
        response
    }
}

/// `Retry-After` of a `503` for a database that is busy or unreachable.
const UNAVAILABLE_RETRY_SECS: u64 = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use provisio_domain::refusal::{Denial, OrderingContact};
    use provisio_domain::{FieldError, FieldPath, ValueError};

    #[test]
    fn internal_errors_are_opaque() {
        let e = AppError::Internal(anyhow::anyhow!("password=hunter2 at db.internal"));
        let body = problem(&e).to_string();
        assert!(
            !body.contains("hunter2") && !body.contains("db.internal"),
            "{body}"
        );
    }

    #[test]
    fn permission_denied_names_the_ordering_contact() {
        let e = AppError::from(Refusal::PermissionDenied {
            reason: Denial::LineAction,
            ordering_contact: Some(OrderingContact {
                name: "Olle".into(),
                email: "olle@p.test".into(),
            }),
        });
        let p = problem(&e);
        assert_eq!(p["ordering_contact"]["email"], "olle@p.test");
        assert_eq!(p["status"], 403);
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("you may not resend") && detail.ends_with("Olle <olle@p.test>"),
            "{detail}"
        );
    }

    #[test]
    fn field_errors_name_their_paths_in_detail_and_errors() {
        let e = AppError::Invalid(vec![
            FieldError::new(
                FieldPath::name("lines").at(1).then("quantity"),
                ValueError::invalid(
                    "order-quantity",
                    vec![("max", "9".into()), ("value", "0".into())],
                ),
            ),
            FieldError::new(
                FieldPath::name("locale"),
                ValueError::invalid("value-locale", vec![("value", "de".into())]),
            ),
        ]);
        let p = problem(&e);
        assert_eq!(p["status"], 422);
        assert_eq!(p["errors"][0]["path"], "lines[1].quantity");
        assert_eq!(
            p["errors"][1]["message"],
            "'de' is not a supported locale (en, sv)"
        );
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains("lines[1].quantity: quantity must be")
                && detail.contains("locale: 'de'"),
            "{detail}"
        );
    }
}
