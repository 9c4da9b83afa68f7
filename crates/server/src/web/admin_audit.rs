//! `/admin/audit`: the administration events, newest first, 50 a page: who disabled,
//! enabled or changed a user, created or revoked an API key, or changed an offer policy, and
//! when (the operator's commands have no actor: "the command line"). What and the details
//! are the event in words (`app::event_words`, as on a line's timeline), never its codes.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::admin::Admin;
use super::orders::page_links;
use super::page::{Chrome, html, or_error_page, when};
use crate::app::App;
use crate::app::event_words::{By, What};
use crate::error::AppResult;
use crate::http::extract::page_request;
use crate::i18n::render;

pub fn router() -> Router<App> {
    Router::new().route("/admin/audit", get(audit))
}

/// Events a page.
const PAGE: &str = "50";

#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    #[serde(default)]
    cursor: String,
}

struct Row {
    at: String,
    who: String,
    what: String,
    /// "kim@… may not resend"
    details: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<Row>,
    next_page: Option<String>,
    first_page: bool,
    first_href: String,
}

async fn audit(State(app): State<App>, admin: Admin, Query(q): Query<AuditQuery>) -> Response {
    let locale = admin.locale();
    or_error_page(locale, page(&app, &admin, &q).await)
}

async fn page(app: &App, admin: &Admin, q: &AuditQuery) -> AppResult<Response> {
    let request = page_request(Some(PAGE), Some(&q.cursor))?;
    let first_page = request.after.is_none();
    let found = app.admin_events(&admin.caller(), request).await?;
    let c = admin.chrome("/admin/audit", "admin-audit-title").await?;
    let rows = found
        .items
        .iter()
        .map(|e| {
            let what = What::of(e);
            let who = By::person(e).unwrap_or(By::CommandLine);
            let details: Vec<String> = what.details().iter().map(|m| render(c.locale, m)).collect();
            Row {
                at: when(app, e.at),
                who: render(c.locale, &who.message()),
                what: render(c.locale, &what.title()),
                details: details.join(" "),
            }
        })
        .collect();
    let (next_page, first_href) = page_links("/admin/audit", &[], found.next);
    let page = AuditPage {
        c,
        rows,
        next_page,
        first_page,
        first_href,
    };
    Ok(html(StatusCode::OK, &page, admin.locale()))
}
