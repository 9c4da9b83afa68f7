//! `/subscriptions`: every line not yet provisioned, open or closed (the seed's Cloud/SaaS
//! subscriptions page, where closed lines whose provisioning is still in progress are
//! resent or re-addressed), searchable and narrowed by stage, status, attention reason and
//! closing deadline (in the URL, kept across pages), sorted by deadline on request, with the
//! order page's row actions, "Resend selected", and the list as CSV (`/subscriptions.csv`).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use provisio_domain::Stage;

use super::orders::{Choice, FilterChoices, filter_links};
use super::page::{Chrome, html, or_error_page};
use super::rows::{Row, name_partners, row};
use super::session::SignedIn;
use crate::app::App;
use crate::app::line_list::LineFilter;
use crate::app::workspace::LineView;
use crate::error::AppResult;
use crate::http::extract::page_request;

pub fn router() -> Router<App> {
    Router::new()
        .route("/subscriptions", get(subscriptions))
        .route(
            "/subscriptions.csv",
            get(super::csv_export::subscriptions_csv),
        )
}

#[derive(Template)]
#[template(path = "subscriptions.html")]
struct SubscriptionsPage {
    c: Chrome,
    q: String,
    stages: Vec<Choice>,
    statuses: Vec<Choice>,
    reasons: Vec<Choice>,
    sorts: Vec<Choice>,
    closing_within_days: String,
    filtered: bool,
    csv_href: String,
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
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let locale = s.visitor.locale;
    or_error_page(locale, page(app, s, query).await)
}

/// The Subscriptions page's filter: its query, every line in progress unless a stage is chosen.
pub fn filter_of(query: &HashMap<String, String>) -> AppResult<LineFilter> {
    let mut filter = LineFilter::from_query(query)?;
    filter.incomplete_only = true;
    Ok(filter)
}

async fn page(app: App, s: SignedIn, query: HashMap<String, String>) -> AppResult<Response> {
    let filter = filter_of(&query)?;
    let cursor = query.get("cursor").map(String::as_str);
    let request = page_request(Some(PAGE), cursor)?;
    let first_page = request.after.is_none();
    let found = app.list_lines(&s.actor, &filter, request).await?;
    let (next_page, first_href) = filter_links("/subscriptions", &filter, found.next);
    let here = first_href.clone();
    let notes = s.visitor.take_notes().await?;
    let c = Chrome::new(&s.visitor, "subscriptions", &here, &notes);
    let now = app.clock.now();
    let policies = app.policies().await?;
    let mut rows = Vec::with_capacity(found.items.len());
    for listed in found.items {
        let view = LineView::listed(listed.line, listed.offered, &policies, now);
        rows.push(row(&app, &c, &view, &notes, now));
    }
    name_partners(&s.actor, &mut rows);
    let show_select = rows.iter().any(|r| r.can_select);
    let title = c.t("web-subscriptions-title");
    let stages: Vec<Stage> = Stage::ALL
        .iter()
        .copied()
        .filter(|s| s.provisioning_in_progress())
        .collect();
    let choices = FilterChoices::new(&c, &filter, &stages);
    let page = SubscriptionsPage {
        stages: choices.stages,
        statuses: choices.statuses,
        reasons: choices.reasons,
        sorts: choices.sorts,
        closing_within_days: choices.closing_within_days,
        filtered: filter != filter_of(&HashMap::new())?,
        csv_href: filter_links("/subscriptions.csv", &filter, None).1,
        q: filter.q.clone().unwrap_or_default(),
        c: c.titled(title),
        rows,
        show_select,
        show_order: true,
        columns: if show_select { 8 } else { 7 },
        back: here,
        admin_portal: app.admin_portal(),
        next_page,
        first_page,
        first_href,
    };
    Ok(html(StatusCode::OK, &page, s.visitor.locale))
}
