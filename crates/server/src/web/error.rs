//! An [`AppError`] as pages show it: a message in the visitor's language, a status, and for
//! failures on our side an opaque page (the cause goes to the log, once).

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use provisio_domain::Locale;

use crate::error::{AppError, Code, Message};
use crate::i18n;

/// The words of an error for a page or banner: for a field error, what is wrong with the
/// field (the form shows which field), else the error's own message.
pub fn message(locale: Locale, e: &AppError) -> String {
    match e.field_errors().first() {
        Some(first) => i18n::render(locale, &Message::from(&first.error)),
        None => i18n::render(locale, &e.message()),
    }
}

/// The page for an error known only by its status (a layer's 405, 408, 413 or 503).
pub fn status_page(locale: Locale, status: StatusCode) -> Response {
    let e = match status {
        StatusCode::NOT_FOUND => AppError::not_found(crate::error::Thing::Route),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        s if s.is_server_error() => AppError::Unavailable,
        _ => AppError::unreadable(Message::new("error-invalid")),
    };
    let mut response = page(locale, &e);
    *response.status_mut() = status;
    response
}

/// A whole page for an error that ends the visit (5xx: opaque and logged).
pub fn page(locale: Locale, e: &AppError) -> Response {
    let code = e.code();
    if code == Code::Internal {
        tracing::error!(error = format!("{e:#}"), "page: internal error");
    }
    let (status, text) = match code {
        Code::Internal | Code::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            i18n::render(locale, &Message::new("error-unavailable")),
        ),
        other => (other.status(), message(locale, e)),
    };
    let page = ErrorPage {
        lang: locale.as_str(),
        title: i18n::text(locale, "page-error-title"),
        text,
    };
    // Rendering these strings cannot fail in practice; if it did, the status still tells.
    let body = page
        .render()
        .unwrap_or_else(|_| "<!doctype html><title>Error</title>".to_owned());
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: &'static str,
    title: String,
    text: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use provisio_domain::refusal::Refusal;

    #[tokio::test]
    async fn errors_read_in_the_visitors_language_and_internals_stay_hidden() {
        let e = AppError::from(Refusal::LineCancelled);
        assert_eq!(message(Locale::En, &e), "the line is cancelled");
        assert_eq!(message(Locale::Sv, &e), "raden är avbruten");
        let internal = AppError::Internal(anyhow::anyhow!("disk /var/secret full"));
        let page = page(Locale::Sv, &internal);
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(page.into_body(), 1 << 16)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            body.contains("lang=\"sv\"") && body.contains("försök igen"),
            "{body}"
        );
        assert!(!body.contains("secret"), "{body}");
    }
}
