//! The Subscriptions list as CSV (`/subscriptions.csv`, SPEC §11): the page's filters, every
//! matching row (no limit), the page's columns in the visitor's language, streamed a page of
//! lines at a time.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, stream};
use provisio_domain::{Actor, Locale};
use provisio_store::PageRequest;

use super::page::{or_error_page, when};
use super::session::SignedIn;
use super::subscriptions::filter_of;
use crate::app::App;
use crate::app::line_list::{LineFilter, Listed};
use crate::i18n::{attention_label, stage_label, text};

/// Lines read per step of the stream.
const STEP: u32 = 200;

/// The columns' translation keys, in the page's order.
const COLUMNS: [&str; 17] = [
    "web-subscription",
    "web-order",
    "web-line",
    "web-offer",
    "web-quantity",
    "web-end-customer",
    "web-partner",
    "web-rsd",
    "web-stage",
    "web-status",
    "web-deadline",
    "web-contact",
    "web-csv-contact-name",
    "web-last-email",
    "web-email-state",
    "web-email-reply",
    "web-attention-filter",
];

pub async fn subscriptions_csv(
    State(app): State<App>,
    s: SignedIn,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let locale = s.visitor.locale;
    let result = filter_of(&query).map(|filter| stream_csv(app, s.actor, filter, locale));
    or_error_page(locale, result)
}

fn stream_csv(app: App, actor: Actor, filter: LineFilter, locale: Locale) -> Response {
    let header_row = record(COLUMNS.iter().map(|k| text(locale, k)));
    // State: the next page's cursor, or None once the last page was sent.
    let pages = stream::unfold(Some(None), move |next| {
        let (app, actor, filter) = (app.clone(), actor.clone(), filter.clone());
        async move {
            let after = next?;
            let page = PageRequest { after, limit: STEP };
            let found = match app.list_lines(&actor, &filter, page).await {
                Ok(found) => found,
                // The rows so far are sent; the download ends short (the log says why).
                Err(e) => {
                    tracing::warn!(error = %e, "the CSV export stopped");
                    return None;
                }
            };
            let mut chunk = vec![];
            for listed in &found.items {
                chunk.extend(row(&app, locale, listed));
            }
            let next = found.next.map(Some);
            Some((Ok::<_, std::io::Error>(chunk), next))
        }
    });
    let first = stream::once(async move { Ok::<_, std::io::Error>(header_row) });
    let body = Body::from_stream(first.chain(pages));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"subscriptions.csv\""),
    );
    response
}

fn record(fields: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![]);
    // Writing into memory cannot fail but for a field csv refuses, which ours never are.
    let _ = w.write_record(fields.into_iter().collect::<Vec<_>>());
    w.into_inner().unwrap_or_default()
}

fn row(app: &App, locale: Locale, listed: &Listed) -> Vec<u8> {
    let c = &listed.line;
    let l = &c.line;
    let s = &l.state;
    let deadline = s
        .closes_at
        .or(s.closed_at)
        .map(|t| when(app, t))
        .unwrap_or_default();
    let (last, last_state, reply) = match &l.last_email {
        Some(e) => (
            format!(
                "{} {}",
                text(locale, &format!("kind-{}", e.kind.as_str())),
                when(app, e.sent_at.unwrap_or(e.queued_at))
            ),
            text(locale, &format!("email-state-{}", e.state.as_str())),
            e.last_reply.clone().unwrap_or_default(),
        ),
        None => (text(locale, "web-not-sent"), String::new(), String::new()),
    };
    record([
        l.sub_ref.to_string(),
        c.web_order_id.to_string(),
        l.line_number.to_string(),
        l.offer.to_string(),
        l.quantity.to_string(),
        c.end_customer.clone(),
        c.partner.name.clone(),
        l.requested_start_date.to_string(),
        stage_label(locale, s.stage),
        text(locale, &format!("status-{}", s.status.as_str())),
        deadline,
        l.contact_email.to_string(),
        l.contact_name.clone().unwrap_or_default(),
        last,
        last_state,
        reply,
        listed
            .offered
            .attention
            .map(|a| attention_label(locale, a))
            .unwrap_or_default(),
    ])
}
