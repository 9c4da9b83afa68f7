//! The order page (`/orders/{id}`): the order and its lines with their actions, a page of
//! [`LINES_PER_PAGE`] lines at a time (an order may have a thousand); each line's history is
//! read when its row is opened (`/lines/{ref}/history`, `timeline.rs`).
//!
//! `?page=K` shows the K-th page (past the last: the last); `?line={ref}` the page that holds
//! that line, so a link to a line (a hand-off notice, an action's way back) finds its row.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use provisio_store::{LineContext, LineWindow};
use serde::Deserialize;

use super::page::{Chrome, html, or_error_page, when};
use super::rows::{Row, row};
use super::session::SignedIn;
use crate::app::App;
use crate::app::workspace::LineView;
use crate::error::{AppError, AppResult, Message};

/// Lines an order page shows at a time.
pub const LINES_PER_PAGE: u32 = 50;

/// Where a line's row is: its order's page that holds it.
pub fn line_href(order_id: &str, sub_ref: &str) -> String {
    format!("/orders/{order_id}?line={sub_ref}#line-{sub_ref}")
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Params {
    page: Option<String>,
    line: Option<String>,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    c: Chrome,
    order_id: String,
    caption: String,
    end_customer: String,
    partner: String,
    distributor: Option<String>,
    placed_by: String,
    placed_at: String,
    rows: Vec<Row>,
    show_select: bool,
    show_order: bool,
    columns: usize,
    back: String,
    admin_portal: Option<String>,
    pages: Option<LinePages>,
}

/// The links between the pages of a large order's lines.
struct LinePages {
    /// "Lines 51–100 of 1,000".
    shown: String,
    first: Option<String>,
    previous: Option<String>,
    next: Option<String>,
    last: Option<String>,
}

pub(super) async fn order_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(order_id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let locale = signed_in.visitor.locale;
    or_error_page(locale, order_view(app, signed_in, order_id, params).await)
}

/// The page asked for (1 = the first), by number or by a line on it.
async fn page_asked(app: &App, s: &SignedIn, raw_id: &str, params: &Params) -> AppResult<u32> {
    if let Some(sub_ref) = params.line.as_deref().filter(|r| !r.is_empty()) {
        // A line of another order, or none the user may see: the first page.
        return Ok(match app.line(&s.actor, sub_ref).await {
            Ok(l) if l.web_order_id.as_str() == raw_id => {
                l.line.line_number.saturating_sub(1) / LINES_PER_PAGE + 1
            }
            _ => 1,
        });
    }
    match params.page.as_deref() {
        None | Some("") => Ok(1),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
            Ok(n) => Err(AppError::invalid_value(
                "page",
                "value-page",
                vec![("value", n.to_string())],
            )),
            Err(_) => Err(AppError::unreadable(
                Message::new("request-query-number")
                    .with("field", "page")
                    .with("value", raw),
            )),
        },
    }
}

async fn order_view(app: App, s: SignedIn, raw_id: String, params: Params) -> AppResult<Response> {
    let asked = page_asked(&app, &s, &raw_id, &params).await?;
    let window = |page: u32| LineWindow {
        offset: (page - 1).saturating_mul(LINES_PER_PAGE),
        limit: LINES_PER_PAGE,
    };
    let mut found = app.order_window(&s.actor, &raw_id, window(asked)).await?;
    let last = found.line_count.div_ceil(LINES_PER_PAGE).max(1);
    let page_no = asked.min(last);
    if page_no != asked {
        found = app.order_window(&s.actor, &raw_id, window(page_no)).await?;
    }
    let order = found.order;
    let id = order.web_order_id.to_string();
    let page_href = |n: u32| match n {
        1 => format!("/orders/{id}"),
        n => format!("/orders/{id}?page={n}"),
    };
    let here = page_href(page_no);
    let notes = s.visitor.take_notes().await?;
    let c = Chrome::new(&s.visitor, "orders", &here, &notes);
    let now = app.clock.now();
    let policies = app.policies().await?;
    let offers = app.window_offers(&s.actor, &order).await?;
    let mut rows = Vec::with_capacity(order.lines.len());
    for (line, offered) in order.lines.iter().zip(offers) {
        let context = LineContext {
            line: line.clone(),
            web_order_id: order.web_order_id.clone(),
            end_customer: order.end_customer.clone(),
            partner: order.partner.clone(),
            distributor: order.distributor.clone(),
            distributor_serves_partner: order.distributor_serves_partner,
            placed_by: order.placed_by.clone(),
        };
        let view = LineView::listed(context, offered, &policies, now);
        rows.push(row(&app, &c, &view, &notes, now));
    }
    let pages = (last > 1).then(|| {
        let from = (page_no - 1) * LINES_PER_PAGE + 1;
        let to = (from + LINES_PER_PAGE - 1).min(found.line_count);
        let other = |n: u32, show: bool| show.then(|| page_href(n));
        LinePages {
            shown: c.t_with(
                "web-order-lines-shown",
                &[
                    ("from", &from.to_string()),
                    ("to", &to.to_string()),
                    ("total", &found.line_count.to_string()),
                ],
            ),
            first: other(1, page_no > 2),
            previous: other(page_no.saturating_sub(1), page_no > 1),
            next: other(page_no + 1, page_no < last),
            last: other(last, page_no + 1 < last),
        }
    });
    let title = c.t_with("web-order-title", &[("id", &id)]);
    let page = OrderPage {
        caption: c.t_with("web-order-lines-caption", &[("id", &id)]),
        c: c.titled(title),
        end_customer: order.end_customer.clone(),
        partner: order.partner.name.clone(),
        distributor: order.distributor.as_ref().map(|d| d.name.clone()),
        placed_by: format!("{} ({})", order.placed_by.name, order.placed_by.email),
        placed_at: when(&app, order.placed_at),
        rows,
        show_select: true,
        show_order: false,
        columns: 8,
        back: here,
        admin_portal: app.admin_portal(),
        order_id: id,
        pages,
    };
    Ok(html(StatusCode::OK, &page, s.visitor.locale))
}
