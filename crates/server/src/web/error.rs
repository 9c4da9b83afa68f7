//! An [`AppError`] as pages show it: a message in the visitor's language, a status, and for
//! failures on our side an opaque page (the cause goes to the log, once). The other rendering
//! of the one table is problem+json (`crate::http::problem`).
//!
//! Error pages carry the headers of every other page (`headers.rs`: the workspace's CSP
//! with `frame-ancestors 'none'`, `no-store`), and so does the page a layer makes of a bare
//! error on a page path ([`page_for_bare_errors`]: an unknown path, a wrong method, a body
//! too large or too slow, a timeout).

use askama::Template;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use provisio_domain::Locale;

use super::headers::{WORKSPACE_CSP, page_headers};
use super::locale::preferred_locale;
use crate::error::{AppError, Code, Message};
use crate::i18n;

/// Outside the API a person is reading: an error response that is not a page yet (a layer's
/// or axum's, or an [`AppError`] a handler returned) becomes one in their language, keeping
/// its status and its other headers (e.g. `Allow` on 405). Answers on API and operations
/// paths pass untouched (problem+json is made of them further out).
pub async fn page_for_bare_errors(req: Request, next: Next) -> Response {
    let page = is_page_path(req.uri().path());
    let locale = preferred_locale(req.headers());
    let response = next.run(req).await;
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"text/html"));
    if !page || !is_error || is_html {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let (html_parts, body) = status_page(locale, status).into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &html_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}

/// Paths people open in a browser: everything but the API and the operations endpoints.
fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics"))
}

/// The words of an error for a page or banner: for a field error, what is wrong with the
/// field (the form shows which field), else the error's own message.
pub fn message(locale: Locale, e: &AppError) -> String {
    match e.field_errors().first() {
        Some(first) => i18n::render(locale, &Message::from(&first.error)),
        None => i18n::render(locale, &e.message()),
    }
}

/// The page for an error known only by its status (a layer's 405, 408, 413 or 503).
fn status_page(locale: Locale, status: StatusCode) -> Response {
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
    let title = match code {
        Code::NotFound => "page-not-found-title",
        _ => "page-error-title",
    };
    let page = ErrorPage {
        lang: locale.as_str(),
        title: i18n::text(locale, title),
        text,
        t: FrameWords {
            skip: i18n::text(locale, "web-skip"),
            brand: i18n::text(locale, "web-brand"),
            way_back: i18n::text(locale, "page-way-back"),
            start: i18n::text(locale, "page-start"),
            help: i18n::text(locale, "web-nav-help"),
        },
    };
    // Rendering these strings cannot fail in practice; if it did, the status still tells.
    let body = page
        .render()
        .unwrap_or_else(|_| "<!doctype html><title>Error</title>".to_owned());
    let mut response = (status, body).into_response();
    // The headers of every page. No referrer: an error page may stand at a setup link's URL,
    // which the setup page itself never lets out as a referrer either.
    page_headers(&mut response, WORKSPACE_CSP, "no-referrer");
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: &'static str,
    title: String,
    text: String,
    t: FrameWords,
}

/// The words of the page's frame and its ways back.
struct FrameWords {
    skip: String,
    brand: String,
    way_back: String,
    start: String,
    help: String,
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
