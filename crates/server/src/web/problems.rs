//! `GET /problems/{code}`: the page a problem document's `type` names (SPEC §10), one per
//! wire code of the one table ([`Code`]), in the visitor's language, with the headers of
//! every page. An unknown code is the ordinary not-found page.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::error;
use super::headers::{WORKSPACE_CSP, page_headers};
use super::locale::preferred_locale;
use crate::app::App;
use crate::error::{AppError, Code, Thing};
use crate::i18n::text;

pub fn router() -> Router<App> {
    Router::new().route("/problems/{code}", get(show))
}

#[derive(Template)]
#[template(path = "problem.html")]
struct Page {
    lang: &'static str,
    title: String,
    text: String,
    about: String,
    facts: Vec<(String, String)>,
}

async fn show(Path(wire): Path<String>, headers: HeaderMap) -> Response {
    let locale = preferred_locale(&headers);
    let statuses: Vec<String> = Code::with_wire(&wire)
        .map(|c| c.status().as_u16().to_string())
        .collect();
    if statuses.is_empty() {
        return error::page(locale, &AppError::not_found(Thing::Route));
    }
    let page = Page {
        lang: locale.as_str(),
        title: text(locale, &format!("problem-{wire}-title")),
        text: text(locale, &format!("problem-{wire}-text")),
        about: text(locale, "problem-page-about"),
        facts: vec![
            (text(locale, "problem-page-code"), wire.clone()),
            (text(locale, "problem-page-status"), statuses.join(", ")),
        ],
    };
    match page.render() {
        Ok(body) => {
            let mut response = (
                [
                    (header::CONTENT_LANGUAGE, locale.as_str()),
                    (header::VARY, "accept-language"),
                ],
                body,
            )
                .into_response();
            // The headers of every page, as the error pages send them (SPEC §11).
            page_headers(&mut response, WORKSPACE_CSP, "no-referrer");
            response
        }
        Err(e) => error::page(locale, &AppError::Internal(e.into())),
    }
}
