//! Edit contact (R4) from a line's row: a page without JavaScript, a dialog with it; one line
//! or, with "Apply to all lines", every line of the order before its point of no return. An
//! invalid address shows the form again with what is wrong; otherwise 303 to the page it came
//! from, each line's result in its row.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use provisio_domain::EmailKind;

use super::actions::{Back, at_message, back_to, refusal_note};
use super::error;
use super::page::{Chrome, html, or_error_page, see_other};
use super::rows::apply_all_hint;
use super::session::{CheckedForm, Note, SignedIn};
use crate::app::App;
use crate::app::lines::ContactInput;
use crate::error::{AppError, AppResult};

pub fn router() -> Router<App> {
    Router::new().route(
        "/lines/{sub_ref}/contact",
        get(contact_form).post(change_contact),
    )
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    c: Chrome,
    sub_ref: String,
    back: String,
    email: String,
    name: String,
    apply_all: bool,
    apply_all_hint: String,
    email_error: Option<String>,
    name_error: Option<String>,
    errors: Vec<(String, String)>,
}

async fn contact_form(
    State(app): State<App>,
    s: SignedIn,
    Path(sub_ref): Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let line = app.line(&s.actor, &sub_ref).await?;
        let order_id = line.web_order_id.to_string();
        let sub_ref = line.line.sub_ref.to_string();
        let back = back_to(&q.back, &order_id, &sub_ref);
        let view = app
            .line_view_brief(&s.actor, line, &app.policies().await?)
            .await?;
        // Nothing to edit: the row says why (whom to ask, the admin portal, cancelled).
        if !view.offered.actions.change_contact.allowed() {
            return Ok(see_other(&back));
        }
        let line = view.line;
        let page = contact_page(
            &app,
            &s,
            &sub_ref,
            &order_id,
            back,
            ContactFields {
                email: line.line.contact_email.to_string(),
                name: line.line.contact_name.clone().unwrap_or_default(),
                apply_all: false,
            },
        )
        .await?;
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

struct ContactFields {
    email: String,
    name: String,
    apply_all: bool,
}

async fn contact_page(
    app: &App,
    s: &SignedIn,
    sub_ref: &str,
    order_id: &str,
    back: String,
    f: ContactFields,
) -> AppResult<ContactPage> {
    let c = Chrome::new(&s.visitor, "orders", &back, &[]);
    let title = c.t_with("web-contact-title", &[("ref", sub_ref)]);
    Ok(ContactPage {
        apply_all_hint: apply_all_hint(app, &s.actor, &c, order_id).await?,
        c: c.titled(title),
        sub_ref: sub_ref.to_owned(),
        back,
        email: f.email,
        name: f.name,
        apply_all: f.apply_all,
        email_error: None,
        name_error: None,
        errors: vec![],
    })
}

async fn change_contact(
    State(app): State<App>,
    s: SignedIn,
    Path(sub_ref): Path<String>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let line = app.line(&s.actor, &sub_ref).await?;
        let order_id = line.web_order_id.to_string();
        let sub_ref = line.line.sub_ref.to_string();
        let back = back_to(fields.text("back"), &order_id, &sub_ref);
        let f = ContactFields {
            email: fields.text("email").to_owned(),
            name: fields.text("name").to_owned(),
            apply_all: fields.text("apply_all") == "yes",
        };
        let input = ContactInput {
            email: f.email.clone(),
            name: (!f.name.is_empty()).then(|| f.name.clone()),
            locale: None,
        };
        let all = f.apply_all;
        let invalid = |page: &mut ContactPage, e: &AppError| {
            let message = if page.email.is_empty() {
                page.c.t("web-contact-email-missing")
            } else {
                error::message(locale, e)
            };
            let field = e
                .field_errors()
                .first()
                .and_then(|f| f.path.root())
                .unwrap_or("email");
            if field == "name" {
                page.name_error = Some(message.clone());
                page.errors.push(("name".into(), message));
            } else {
                page.email_error = Some(message.clone());
                page.errors.push(("email".into(), message));
            }
            page.c.has_error = true;
        };
        let results = match app
            .change_contact_of_lines(&s.actor, &sub_ref, input, all)
            .await
        {
            Ok(r) => r,
            Err(e) if !e.field_errors().is_empty() => {
                let mut page = contact_page(&app, &s, &sub_ref, &order_id, back, f).await?;
                invalid(&mut page, &e);
                return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page, locale));
            }
            Err(e) => return Err(e),
        };
        // The chosen line's input was refused as invalid: the form again, with what is wrong.
        if let Some((_, Err(e))) = results.first()
            && !e.field_errors().is_empty()
        {
            let mut page = contact_page(&app, &s, &sub_ref, &order_id, back, f).await?;
            invalid(&mut page, e);
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page, locale));
        }
        let mut notes = Vec::with_capacity(results.len() + 1);
        for (line_ref, result) in &results {
            let note = match result {
                Ok(change) => contact_note(locale, change),
                Err(e) => refusal_note(locale, "web-not-changed", e)?,
            };
            notes.push(Note {
                line: Some(line_ref.clone()),
                ..note
            });
        }
        let banner = if results.len() > 1 {
            let ok = results.iter().filter(|(_, r)| r.is_ok()).count();
            Note {
                ok: ok == results.len(),
                text: crate::i18n::text_with(
                    locale,
                    "web-contact-updated-lines",
                    &[("count", &ok.to_string()), ("email", f.email.trim())],
                ),
                line: None,
            }
        } else {
            Note {
                line: None,
                ..notes[0].clone()
            }
        };
        notes.insert(0, banner);
        s.visitor.notify(notes).await?;
        Ok(see_other(&at_message(&back)))
    };
    or_error_page(locale, result.await)
}

/// What happened to one line's contact, in words.
fn contact_note(
    locale: provisio_domain::Locale,
    change: &crate::app::workspace::ContactChange,
) -> Note {
    let line = &change.line.line;
    let to = line.contact_email.to_string();
    let key = if change.before.eq_ignore_ascii_case(&to) {
        "web-contact-unchanged"
    } else if line
        .last_email
        .as_ref()
        .is_some_and(|e| e.kind == EmailKind::ContactChanged && e.to == line.contact_email)
    {
        "web-contact-updated"
    } else {
        "web-contact-updated-later"
    };
    let shown = super::address::shown(locale, &line.contact_email).text;
    Note {
        ok: true,
        text: crate::i18n::text_with(locale, key, &[("email", &shown)]),
        line: None,
    }
}
