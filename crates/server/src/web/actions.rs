//! The resend actions of a line's row: Resend (a confirmation page without JavaScript, a
//! dialog with it; both POST here) and Resend selected (several lines of an order); Edit
//! contact is in `contact.rs`. Each POST checks the form token, asks the app layer, and
//! answers 303 to the page it came from with the result as a message (the banner, and the
//! row's own note).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use provisio_domain::Refusal;
use serde::Deserialize;

use super::address::shown;
use super::error;
use super::page::{Chrome, html, local_path, or_error_page, see_other};
use super::rows::resend_explain;
use super::session::{CheckedForm, Note, SignedIn};
use crate::app::App;
use crate::error::{AppError, AppResult};

pub fn router() -> Router<App> {
    Router::new().route("/lines/{sub_ref}/resend", get(confirm_resend).post(resend))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Back {
    #[serde(default)]
    pub back: String,
}

/// Where a line's action returns: the page it came from, else the line's order.
pub(super) fn back_to(raw: &str, order_id: &str, sub_ref: &str) -> String {
    let fallback = format!("/orders/{order_id}?line={sub_ref}");
    let path = local_path(raw, &fallback);
    format!(
        "{}#line-{sub_ref}",
        path.split('#').next().unwrap_or(&fallback)
    )
}

/// Where an action that left a message returns: the page it came from, at its messages
/// (`#message`, which takes the focus), so the keyboard and a screen reader start at what
/// happened; the row says it too. (Without a message, e.g. after No, [`back_to`] the row.)
pub(super) fn at_message(back: &str) -> String {
    format!("{}#message", back.split('#').next().unwrap_or(back))
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    c: Chrome,
    sub_ref: String,
    back: String,
    back_label: String,
    explain: String,
    /// Past PONR: the admin portal (if configured) instead of the question.
    ponr: Option<Option<String>>,
}

async fn confirm_resend(
    State(app): State<App>,
    s: SignedIn,
    Path(sub_ref): Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let line = app.line(&s.actor, &sub_ref).await?;
        let view = app
            .line_view_brief(&s.actor, line, &app.policies().await?)
            .await?;
        let order_id = view.line.web_order_id.to_string();
        let sub_ref = view.line.line.sub_ref.to_string();
        let email = shown(locale, &view.line.line.contact_email).text;
        let back = back_to(&q.back, &order_id, &sub_ref);
        let c = Chrome::new(&s.visitor, "orders", &back, &[]);
        let ponr = match &view.offered.actions.resend.refusal {
            None => None,
            Some(Refusal::PastPointOfNoReturn) => Some(app.admin_portal()),
            // Nothing to confirm: the order page says why.
            Some(_) => return Ok(see_other(&back)),
        };
        let title = if ponr.is_some() {
            c.t("web-ponr-title")
        } else {
            c.t_with("web-resend-question", &[("email", &email)])
        };
        let page = ConfirmPage {
            explain: resend_explain(&app, &c, &view, &email),
            back_label: c.t_with("web-back-to-order", &[("id", &order_id)]),
            c: c.titled(title),
            sub_ref,
            back,
            ponr,
        };
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

async fn resend(
    State(app): State<App>,
    s: SignedIn,
    Path(sub_ref): Path<String>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let line = app.line(&s.actor, &sub_ref).await?;
        let sub_ref = line.line.sub_ref.to_string();
        let back = back_to(fields.text("back"), line.web_order_id.as_str(), &sub_ref);
        if fields.text("answer") != "yes" {
            return Ok(see_other(&back));
        }
        let note = match app.resend(&s.actor, &sub_ref, None).await {
            Ok(resent) => {
                let to = shown(locale, &resent.email.to).text;
                Note {
                    ok: true,
                    text: crate::i18n::text_with(locale, "web-resent", &[("email", &to)]),
                    line: None,
                }
            }
            Err(e) => refusal_note(locale, "web-not-resent", &e)?,
        };
        let row = Note {
            line: Some(sub_ref),
            ..note.clone()
        };
        s.visitor.notify(vec![note, row]).await?;
        Ok(see_other(&at_message(&back)))
    };
    or_error_page(locale, result.await)
}

/// A refusal as a message, `key` saying what did not happen ("Not resent: …"); failures
/// on our side end the request instead.
pub(super) fn refusal_note(
    locale: provisio_domain::Locale,
    key: &str,
    e: &AppError,
) -> AppResult<Note> {
    match e.code() {
        crate::error::Code::Internal | crate::error::Code::Unavailable => {
            Err(AppError::Unavailable)
        }
        _ => Ok(Note {
            ok: false,
            text: crate::i18n::text_with(locale, key, &[("reason", &error::message(locale, e))]),
            line: None,
        }),
    }
}
