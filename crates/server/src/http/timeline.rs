//! A line's timeline as both edges send it (SPEC §11): the JSON document of
//! `GET /api/v1/lines/{ref}/timeline` (the page's "Download JSON" is the same document) and
//! its CSV (`?format=csv`, the page's "Download CSV"): one row per item, a header row, the
//! words in the reader's language.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use provisio_domain::Locale;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::timeline::{Timeline, TimelineItem};
use crate::error::{AppError, AppResult};
use crate::i18n::{render, text};

/// A line's history, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineDto {
    /// The subscription reference.
    #[schema(example = "Sub1000001")]
    pub subscription_ref: String,
    /// Newest first: events (the order's included), emails and their delivery joined.
    pub items: Vec<TimelineItemDto>,
}

/// One thing that happened, in words (the reader's language: `Accept-Language`, else the
/// user's chosen language, else English).
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineItemDto {
    /// RFC 3339.
    pub at: String,
    /// Who did it, in words: "Pia Partner", "the customer, on the setup page", "provisio, on
    /// the requested start date".
    #[schema(example = "Pia Partner")]
    pub actor: String,
    /// What happened, in words.
    #[schema(example = "Resend requested")]
    pub what: String,
    /// The details in words: the email and the mail server's reply, old and new contact.
    pub details: String,
    /// The event type, for machines (`order.created`, `email.sent`, …).
    #[serde(rename = "type")]
    #[schema(example = "resend.requested")]
    pub kind: String,
    /// The email the item is about, if any.
    pub email_id: Option<String>,
    /// A contact change's old and new address.
    pub contact: Option<ContactChangeDto>,
    /// The mail server's reply to this attempt, as it gave it.
    pub reply: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactChangeDto {
    pub from: String,
    pub to: String,
}

/// The item's words in `locale`: who, what, details.
pub fn words(item: &TimelineItem, locale: Locale) -> (String, String, String) {
    let details: Vec<String> = item.details().iter().map(|m| render(locale, m)).collect();
    (
        render(locale, &item.actor()),
        render(locale, &item.title()),
        details.join(" "),
    )
}

pub fn document(timeline: &Timeline, locale: Locale) -> TimelineDto {
    use crate::app::event_words::What;
    TimelineDto {
        subscription_ref: timeline.line.line.sub_ref.to_string(),
        items: timeline
            .items
            .iter()
            .map(|item| {
                let (actor, what, details) = words(item, locale);
                TimelineItemDto {
                    at: item.at.to_string(),
                    actor,
                    what,
                    details,
                    kind: item.kind.clone(),
                    email_id: item.what.email_id().map(|id| id.to_string()),
                    contact: match &item.what {
                        What::ContactChanged { from, to, .. } => Some(ContactChangeDto {
                            from: from.clone(),
                            to: to.clone(),
                        }),
                        _ => None,
                    },
                    reply: reply_of(item),
                }
            })
            .collect(),
    }
}

/// The reply an attempt's event recorded.
fn reply_of(item: &TimelineItem) -> Option<String> {
    use crate::app::event_words::{Reply, What};
    match &item.what {
        What::EmailSent { reply, .. } | What::EmailFailed { reply, .. } => match reply {
            Reply::Smtp { text, .. } | Reply::NoReply(text) => Some(text.clone()),
            Reply::File => None,
        },
        _ => None,
    }
}

/// The timeline as CSV: a header row (in `locale`), then at, who, what, details per item.
pub fn csv_body(timeline: &Timeline, locale: Locale) -> AppResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "timeline-csv-at",
        "timeline-csv-who",
        "timeline-csv-what",
        "timeline-csv-details",
    ]
    .map(|key| text(locale, key));
    let failed = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    out.write_record(&header).map_err(failed)?;
    for item in &timeline.items {
        let (actor, what, details) = words(item, locale);
        out.write_record([item.at.to_string(), actor, what, details])
            .map_err(failed)?;
    }
    out.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))
}

/// The file name a download suggests: `Sub1000001-timeline.csv`.
fn attachment(timeline: &Timeline, extension: &str) -> HeaderValue {
    // A subscription reference is letters and digits (a parsed SubRef): a safe file name.
    let name = format!(
        "attachment; filename=\"{}-timeline.{extension}\"",
        timeline.line.line.sub_ref
    );
    HeaderValue::from_str(&name).unwrap_or(HeaderValue::from_static("attachment"))
}

/// The CSV response, as a download.
pub fn csv_response(timeline: &Timeline, locale: Locale) -> AppResult<Response> {
    let body = csv_body(timeline, locale)?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, attachment(timeline, "csv")),
            (header::VARY, HeaderValue::from_static("accept-language")),
        ],
        body,
    )
        .into_response())
}

/// The JSON document as a download (the pages' "Download JSON").
pub fn json_download(timeline: &Timeline, locale: Locale) -> AppResult<Response> {
    let body = serde_json::to_vec_pretty(&document(timeline, locale))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing JSON: {e}")))?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CONTENT_DISPOSITION, attachment(timeline, "json")),
        ],
        body,
    )
        .into_response())
}
