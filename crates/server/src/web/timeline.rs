//! A line's history on the pages (issue 19 point 4): the one timeline (`app::timeline`),
//! newest first, who did what in words, in the line's row disclosure
//! (`line_timeline.html`; in a list read when the row is opened, from the page
//! `/lines/{ref}/history`, which is also where the row's link goes without script), and its
//! downloads behind the workspace session:
//! `/lines/{ref}/timeline.csv` and `/lines/{ref}/timeline.json`, the same CSV and JSON
//! document the API answers.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use provisio_domain::{ContactEmail, Locale};

use super::address::shown;
use super::order_page::line_href;
use super::page::{Chrome, html, or_error_page, when};
use super::session::SignedIn;
use crate::app::App;
use crate::app::timeline::TimelineItem;
use crate::error::{Arg, Message};
use crate::http::timeline::{csv_response, json_download};
use crate::i18n::render;

pub fn router() -> Router<App> {
    Router::new()
        .route("/lines/{sub_ref}/history", get(page))
        .route("/lines/{sub_ref}/timeline.csv", get(csv))
        .route("/lines/{sub_ref}/timeline.json", get(json))
}

/// One item of the history as the page shows it.
pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub details: String,
    /// Warnings about addresses in the details (a domain that could pass for another).
    pub warnings: Vec<String>,
    /// The email the item is about, to open as its recipient saw it.
    pub email_href: Option<String>,
}

/// A line's history as its row's disclosure shows it.
pub struct History {
    /// Newest first.
    pub rows: Vec<HistoryRow>,
    pub caption: String,
    /// Which line the download links are about, for a screen reader.
    pub context: String,
    pub csv_href: String,
    pub json_href: String,
}

/// The line's history, newest first.
pub fn history(app: &App, c: &Chrome, sub_ref: &str, items: &[TimelineItem]) -> History {
    History {
        rows: rows(app, c, sub_ref, items),
        caption: c.t_with("timeline-caption", &[("ref", sub_ref)]),
        context: c.t_with("timeline-download-context", &[("ref", sub_ref)]),
        csv_href: format!("/lines/{sub_ref}/timeline.csv"),
        json_href: format!("/lines/{sub_ref}/timeline.json"),
    }
}

fn rows(app: &App, c: &Chrome, sub_ref: &str, items: &[TimelineItem]) -> Vec<HistoryRow> {
    items
        .iter()
        .map(|item| {
            let mut warnings = vec![];
            let details: Vec<String> = item
                .details()
                .iter()
                .map(|m| render(c.locale, &addresses_shown(c.locale, m, &mut warnings)))
                .collect();
            warnings.dedup();
            HistoryRow {
                when: when(app, item.at),
                who: render(c.locale, &item.actor()),
                what: render(c.locale, &item.title()),
                details: details.join(" "),
                warnings,
                email_href: item
                    .email
                    .as_ref()
                    .map(|e| format!("/lines/{sub_ref}/emails/{}", e.id)),
            }
        })
        .collect()
}

/// `m` with its addresses as people read them on a page (`address.rs`), their warnings
/// added to `warnings`.
fn addresses_shown(locale: Locale, m: &Message, warnings: &mut Vec<String>) -> Message {
    let mut m = m.clone();
    for (name, arg) in &mut m.args {
        if matches!(*name, "to" | "from")
            && let Arg::Text(value) = arg
            && let Ok(email) = ContactEmail::parse(value)
        {
            let s = shown(locale, &email);
            *value = s.text;
            warnings.extend(s.warning);
        }
    }
    m
}

#[derive(Template)]
#[template(path = "line_history.html")]
struct HistoryPage {
    c: Chrome,
    history: History,
    back: String,
    back_label: String,
}

/// A line's history as a page of its own.
async fn page(State(app): State<App>, s: SignedIn, Path(sub_ref): Path<String>) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let timeline = app.timeline(&s.actor, &sub_ref).await?;
        let sub_ref = timeline.line.line.sub_ref.to_string();
        let here = format!("/lines/{sub_ref}/history");
        let c = Chrome::new(&s.visitor, "orders", &here, &[]);
        let title = c.t_with("web-history", &[("ref", &sub_ref)]);
        let page = HistoryPage {
            history: history(&app, &c, &sub_ref, &timeline.items),
            back: line_href(timeline.line.web_order_id.as_str(), &sub_ref),
            back_label: c.t_with("web-back-to-line", &[("ref", &sub_ref)]),
            c: c.titled(title),
        };
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

async fn csv(State(app): State<App>, s: SignedIn, Path(sub_ref): Path<String>) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let timeline = app.timeline(&s.actor, &sub_ref).await?;
        csv_response(&timeline, locale)
    };
    or_error_page(locale, result.await)
}

async fn json(State(app): State<App>, s: SignedIn, Path(sub_ref): Path<String>) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let timeline = app.timeline(&s.actor, &sub_ref).await?;
        json_download(&timeline, locale)
    };
    or_error_page(locale, result.await)
}
