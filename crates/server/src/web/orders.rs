//! The orders list (`/orders`: search, filters by stage and status, keyset pages); the order
//! page is `order_page.rs`.

use askama::Template;
use axum::Router;
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use provisio_domain::attention::Attention;
use provisio_domain::{LineStatus, Stage};
use provisio_store::LineSort;

use super::page::{Chrome, html, or_error_page, when};
use super::session::SignedIn;
use crate::app::App;
use crate::app::line_list::LineFilter;
use crate::error::AppResult;
use crate::http::extract::{encode_cursor, page_request};
use crate::i18n::{attention_label, stage_label};

pub fn router() -> Router<App> {
    Router::new()
        .route("/orders", get(list))
        .route("/orders/{order_id}", get(super::order_page::order_page))
}

struct OrderItem {
    id: String,
    end_customer: String,
    partner: String,
    distributor: Option<String>,
    placed_by: String,
    placed_at: String,
    stages: Vec<(String, u32)>,
}

/// A choice of a filter's select: value, words, chosen.
pub type Choice = (&'static str, String, bool);

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    c: Chrome,
    q: String,
    stages: Vec<Choice>,
    statuses: Vec<Choice>,
    reasons: Vec<Choice>,
    sorts: Vec<Choice>,
    closing_within_days: String,
    filtered: bool,
    orders: Vec<OrderItem>,
    next_page: Option<String>,
    first_page: bool,
    first_href: String,
}

/// Orders per page of the list.
const PAGE: &str = "25";

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(k, v);
    }
    out.finish()
}

/// A list page's links: the next page (if any) and the first, keeping the filters.
pub fn page_links(
    base: &str,
    filters: &[(&str, &str)],
    next: Option<i64>,
) -> (Option<String>, String) {
    let first = match query_string(filters) {
        q if q.is_empty() => base.to_owned(),
        q => format!("{base}?{q}"),
    };
    let next = next.map(|n| {
        let cursor = encode_cursor(n);
        let mut all = filters.to_vec();
        all.push(("cursor", &cursor));
        format!("{base}?{}", query_string(&all))
    });
    (next, first)
}

/// [`page_links`] of a list narrowed by `filter`.
pub fn filter_links(
    base: &str,
    filter: &LineFilter,
    next: Option<i64>,
) -> (Option<String>, String) {
    let pairs = filter.pairs();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    page_links(base, &pairs, next)
}

/// The filter selects of the orders list and Subscriptions: stages (`stages`), statuses,
/// attention reasons and orders, each marked as `filter` chooses it.
pub struct FilterChoices {
    pub stages: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub reasons: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub closing_within_days: String,
}

impl FilterChoices {
    pub fn new(c: &Chrome, filter: &LineFilter, stages: &[Stage]) -> Self {
        Self {
            stages: stages
                .iter()
                .map(|s| {
                    (
                        s.as_str(),
                        stage_label(c.locale, *s),
                        filter.stage == Some(*s),
                    )
                })
                .collect(),
            statuses: LineStatus::ALL
                .iter()
                .map(|s| {
                    let label = c.t(&format!("status-{}", s.as_str()));
                    (s.as_str(), label, filter.status == Some(*s))
                })
                .collect(),
            reasons: Attention::ALL
                .iter()
                .map(|a| {
                    let label = attention_label(c.locale, *a);
                    (a.as_str(), label, filter.attention == Some(*a))
                })
                .collect(),
            sorts: [
                ("newest", LineSort::Newest),
                ("deadline", LineSort::Deadline),
            ]
            .into_iter()
            .map(|(v, sort)| (v, c.t(&format!("web-sort-{v}")), filter.sort == sort))
            .collect(),
            closing_within_days: filter
                .closing_within_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }
    }
}

async fn list(
    State(app): State<App>,
    s: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let locale = s.visitor.locale;
    or_error_page(locale, list_page(app, s, query).await)
}

async fn list_page(app: App, s: SignedIn, query: HashMap<String, String>) -> AppResult<Response> {
    let SignedIn { visitor, actor } = s;
    let filter = LineFilter::from_query(&query)?;
    let cursor = query.get("cursor").map(String::as_str);
    let page = page_request(Some(PAGE), cursor)?;
    let first_page = page.after.is_none();
    let found = app.list_orders(&actor, &filter, page).await?;
    let notes = visitor.take_notes().await?;
    let c = Chrome::new(&visitor, "orders", "/orders", &notes);
    let orders = found
        .items
        .iter()
        .map(|s| OrderItem {
            id: s.order.web_order_id.to_string(),
            end_customer: s.order.end_customer.clone(),
            partner: s.order.partner.name.clone(),
            distributor: s.order.distributor.as_ref().map(|d| d.name.clone()),
            placed_by: s.order.placed_by.name.clone(),
            placed_at: when(&app, s.order.placed_at),
            stages: s
                .lines_by_stage
                .iter()
                .map(|(st, n)| (stage_label(c.locale, *st), *n))
                .collect(),
        })
        .collect();
    let (next_page, first_href) = filter_links("/orders", &filter, found.next);
    let choices = FilterChoices::new(&c, &filter, Stage::ALL);
    let title = c.t("web-orders-title");
    let page = OrdersPage {
        stages: choices.stages,
        statuses: choices.statuses,
        reasons: choices.reasons,
        sorts: choices.sorts,
        closing_within_days: choices.closing_within_days,
        c: c.titled(title),
        filtered: filter != LineFilter::default(),
        q: filter.q.clone().unwrap_or_default(),
        orders,
        next_page,
        first_page,
        first_href,
    };
    Ok(html(StatusCode::OK, &page, visitor.locale))
}
