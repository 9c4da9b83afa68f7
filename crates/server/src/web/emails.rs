//! An email as its recipient saw it (`/lines/{ref}/emails/{id}`): subject, sender, date,
//! the text part and the HTML part (served on its own, sandboxed, for an `<iframe>`), in the
//! email's language; the setup link is masked.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::address::shown;
use super::headers::page_headers;
use super::page::{Chrome, html, or_error_page, when};
use super::session::SignedIn;
use crate::app::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/lines/{sub_ref}/emails/{email_id}", get(sent_email))
        .route("/lines/{sub_ref}/emails/{email_id}/html", get(sent_html))
}

#[derive(Template)]
#[template(path = "sent_email.html")]
struct SentEmailPage {
    c: Chrome,
    id: String,
    sub_ref: String,
    order_id: String,
    subject: String,
    from: String,
    to: String,
    to_warning: Option<String>,
    date: String,
    state: String,
    text: String,
    back_label: String,
}

async fn sent_email(
    State(app): State<App>,
    s: SignedIn,
    Path((sub_ref, email_id)): Path<(String, String)>,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let sent = app.sent_email(&s.actor, &sub_ref, &email_id).await?;
        let here = format!("/lines/{sub_ref}/emails/{email_id}");
        let c = Chrome::new(&s.visitor, "orders", &here, &[]);
        let shown = shown(locale, &sent.email.to);
        let to = shown.text;
        let title = c.t_with("web-sent-email-title", &[("email", &to)]);
        let sub_ref = sent.line.line.sub_ref.to_string();
        let page = SentEmailPage {
            id: sent.email.id.to_string(),
            order_id: sent.line.web_order_id.to_string(),
            subject: sent.words.subject.clone(),
            from: sent.from.clone(),
            to: match &sent.email.to_name {
                Some(name) => format!("{name} <{to}>"),
                None => to.clone(),
            },
            to_warning: shown.warning,
            date: when(&app, sent.email.sent_at.unwrap_or(sent.email.queued_at)),
            state: c.t(&format!("email-state-{}", sent.email.state.as_str())),
            text: sent.words.text.clone(),
            back_label: c.t_with("web-back-to-line", &[("ref", &sub_ref)]),
            c: c.titled(title),
            sub_ref,
        };
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

async fn sent_html(
    State(app): State<App>,
    s: SignedIn,
    Path((sub_ref, email_id)): Path<(String, String)>,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let sent = app.sent_email(&s.actor, &sub_ref, &email_id).await?;
        let mut response = sent.words.html.into_response();
        // The email's own markup: nothing runs, nothing loads, only our page may frame it.
        page_headers(
            &mut response,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'",
            "no-referrer",
        );
        Ok(response)
    };
    or_error_page(locale, result.await)
}
