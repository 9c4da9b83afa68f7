//! "Resend selected": on an order page (its lines) and on the Subscriptions page (lines of
//! any order). A Yes/No question first that says how many lines (without JavaScript too),
//! then one result per line, on the line's row and in a summary.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;

use super::actions::{at_message, refusal_note};
use super::address::shown;
use super::page::{Chrome, html, local_path, or_error_page, see_other};
use super::session::{CheckedForm, Note, SignedIn};
use crate::app::App;
use crate::app::resend::Resent;
use crate::error::AppResult;
use crate::i18n::{text, text_with};

pub fn router() -> Router<App> {
    Router::new()
        .route("/orders/{order_id}/resend", post(order_lines))
        .route("/lines/resend", post(any_lines))
}

#[derive(Template)]
#[template(path = "bulk_confirm.html")]
struct BulkConfirm {
    c: Chrome,
    action: String,
    back: String,
    lines: Vec<String>,
    question: String,
}

async fn order_lines(
    State(app): State<App>,
    s: SignedIn,
    Path(order_id): Path<String>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let order = app.order(&s.actor, &order_id).await?;
        let id = order.web_order_id.to_string();
        // The page of the order's lines it came from (`?page=`), else the order.
        let back = local_path(fields.text("back"), &format!("/orders/{id}"));
        let chosen = chosen(&fields);
        let step = step(&s, &fields, &chosen, &back, &format!("/orders/{id}/resend")).await?;
        if let Some(done) = step {
            return Ok(done);
        }
        let results = app
            .bulk_resend(&s.actor, &id, &chosen, |_| Ok(None))
            .await?;
        report(&s, results, &back).await
    };
    or_error_page(locale, result.await)
}

async fn any_lines(
    State(app): State<App>,
    s: SignedIn,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let back = local_path(fields.text("back"), "/subscriptions");
        let chosen = chosen(&fields);
        if let Some(done) = step(&s, &fields, &chosen, &back, "/lines/resend").await? {
            return Ok(done);
        }
        let results = app.resend_lines(&s.actor, &chosen).await?;
        report(&s, results, &back).await
    };
    or_error_page(locale, result.await)
}

fn chosen(fields: &super::form::Fields) -> Vec<String> {
    let mut chosen: Vec<String> = vec![];
    for line in fields.all("lines") {
        if !chosen.iter().any(|c| c == line) {
            chosen.push(line.to_owned());
        }
    }
    chosen
}

/// Before the resends: nothing chosen (a message), the question (no answer yet), or No (back
/// to the page). `None`: the answer is Yes.
async fn step(
    s: &SignedIn,
    fields: &super::form::Fields,
    chosen: &[String],
    back: &str,
    action: &str,
) -> AppResult<Option<Response>> {
    let locale = s.visitor.locale;
    if chosen.is_empty() {
        let note = Note {
            ok: false,
            text: text(locale, "web-bulk-none"),
            line: None,
        };
        s.visitor.notify(vec![note]).await?;
        return Ok(Some(see_other(&at_message(back))));
    }
    match fields.text("answer") {
        "yes" => Ok(None),
        "no" => Ok(Some(see_other(back))),
        _ => {
            let c = Chrome::new(&s.visitor, "subscriptions", back, &[]);
            let count = chosen.len().to_string();
            let question = c.t_with("web-bulk-question", &[("count", &count)]);
            let page = BulkConfirm {
                c: c.titled(question.clone()),
                action: action.to_owned(),
                back: back.to_owned(),
                lines: chosen.to_vec(),
                question,
            };
            Ok(Some(html(StatusCode::OK, &page, locale)))
        }
    }
}

/// One note per line and a summary first, then back to the page at its messages.
async fn report(
    s: &SignedIn,
    results: Vec<(String, AppResult<Resent>)>,
    back: &str,
) -> AppResult<Response> {
    let locale = s.visitor.locale;
    let mut notes = Vec::with_capacity(results.len() + 1);
    let mut ok = 0;
    for (sub_ref, result) in &results {
        let note = match result {
            Ok(resent) => {
                ok += 1;
                let to = shown(locale, &resent.email.to).text;
                Note {
                    ok: true,
                    text: text_with(locale, "web-resent-row", &[("email", &to)]),
                    line: None,
                }
            }
            Err(e) => refusal_note(locale, "web-not-resent", e)?,
        };
        notes.push(Note {
            line: Some(sub_ref.clone()),
            ..note
        });
    }
    let all = results.len();
    notes.insert(
        0,
        Note {
            ok: ok == all,
            text: text_with(
                locale,
                "web-bulk-done",
                &[("ok", &ok.to_string()), ("all", &all.to_string())],
            ),
            line: None,
        },
    );
    s.visitor.notify(notes).await?;
    Ok(see_other(&at_message(back)))
}
