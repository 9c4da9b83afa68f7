//! `/subscriptions`: every line not yet provisioned, open or closed (the seed's Cloud/SaaS
//! subscriptions page, where closed lines whose provisioning is still in progress are
//! resent or re-addressed), searchable, with the order page's row actions.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::orders::page_links;
use super::page::{Chrome, html, or_error_page};
use super::rows::{Row, row};
use super::session::SignedIn;
use crate::app::App;
use crate::error::AppResult;
use crate::http::extract::page_request;

pub fn router() -> Router<App> {
    Router::new().route("/subscriptions", get(subscriptions))
}

#[derive(Debug, Default, Deserialize)]
struct SubscriptionsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Template)]
#[template(path = "subscriptions.html")]
struct SubscriptionsPage {
    c: Chrome,
    q: String,
    rows: Vec<Row>,
    show_select: bool,
    show_order: bool,
    columns: usize,
    back: String,
    admin_portal: Option<String>,
    next_page: Option<String>,
    first_page: bool,
    first_href: String,
}

/// Lines per page.
const PAGE: &str = "25";

async fn subscriptions(
    State(app): State<App>,
    s: SignedIn,
    Query(query): Query<SubscriptionsQuery>,
) -> Response {
    let locale = s.visitor.locale;
    or_error_page(locale, page(app, s, query).await)
}

async fn page(app: App, s: SignedIn, query: SubscriptionsQuery) -> AppResult<Response> {
    let q = query.q.trim().to_owned();
    let request = page_request(Some(PAGE), Some(&query.cursor))?;
    let first_page = request.after.is_none();
    let found = app
        .list_lines(&s.actor, (!q.is_empty()).then(|| q.clone()), true, request)
        .await?;
    let filters = [("q", q.as_str())];
    let (next_page, first_href) = page_links("/subscriptions", &filters, found.next);
    let here = first_href.clone();
    let notes = s.visitor.take_notes().await?;
    let c = Chrome::new(&s.visitor, "subscriptions", &here, &notes);
    let now = app.clock.now();
    let policies = app.policies().await?;
    let mut rows = Vec::with_capacity(found.items.len());
    for line in found.items {
        let view = app.line_view(&s.actor, line, &policies).await?;
        rows.push(row(&app, &c, &view, &notes, now));
    }
    let title = c.t("web-subscriptions-title");
    let page = SubscriptionsPage {
        c: c.titled(title),
        q,
        rows,
        show_select: false,
        show_order: true,
        columns: 7,
        back: here,
        admin_portal: app.admin_portal(),
        next_page,
        first_page,
        first_href,
    };
    Ok(html(StatusCode::OK, &page, s.visitor.locale))
}
