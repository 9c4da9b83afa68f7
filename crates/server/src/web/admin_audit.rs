//! `/admin/audit`: the administration events, newest first, 50 a page: who disabled,
//! enabled or changed a user, created or revoked an API key, or changed an offer policy, and
//! when (the operator's commands have no actor: "the command line").

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
use crate::error::AppResult;
use crate::http::extract::page_request;
use crate::i18n::event_key;

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
    /// "user: kim@…, can_resend: false"
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
        .map(|e| Row {
            at: when(app, e.at),
            who: e
                .actor_email
                .clone()
                .unwrap_or_else(|| c.t("admin-audit-operator")),
            what: c.t(&event_key(&e.kind)),
            details: details(&e.data),
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

/// An event's fields as "name: value" pairs, in the order stored.
fn details(data: &serde_json::Value) -> String {
    match data.as_object() {
        Some(fields) => fields
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => String::new(),
    }
}
