//! `/`: the sign-in page, or what needs attention once signed in; `POST /sign-in`, `/sign-out`,
//! and `/language` (the user's choice of page language, kept with the user).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use provisio_domain::{FieldPath, Locale};

use super::attention;
use super::error;
use super::page::{Chrome, html, local_path, or_error_page, see_other};
use super::session::{CheckedForm, Note, SignedIn, Visitor};
use crate::app::App;
use crate::error::{AppError, AppResult, AuthFailure};

pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/language", post(language))
}

/// The longest email address (the sign-in field's `maxlength`).
const EMAIL_MAX_CHARS: usize = 254;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    c: Chrome,
    next: String,
    email: String,
    email_error: Option<String>,
    password_error: Option<String>,
    errors: Vec<(String, String)>,
}

/// `/`: what needs attention once signed in (SPEC §11), else the sign-in page (`next`: where
/// to go after it).
async fn home(
    State(app): State<App>,
    visitor: Visitor,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(user) = visitor.user.clone() {
        let actor = user.actor();
        return attention::page(app, SignedIn { visitor, actor }, query).await;
    }
    let locale = visitor.locale;
    let next = query.get("next").map(String::as_str).unwrap_or_default();
    or_error_page(locale, sign_in_page(&visitor, next).await)
}

async fn sign_in_page(visitor: &Visitor, next: &str) -> AppResult<Response> {
    let mut notes = visitor.take_notes().await?;
    if visitor.expired {
        notes.push(Note {
            ok: false,
            text: crate::i18n::text(visitor.locale, "web-sign-in-expired"),
            line: None,
        });
    }
    let c = Chrome::new(visitor, "", "/", &notes);
    let title = c.t("web-sign-in-title");
    let page = SignInPage {
        c: c.titled(title),
        next: local_path(next, "/"),
        email: String::new(),
        email_error: None,
        password_error: None,
        errors: vec![],
    };
    Ok(html(StatusCode::OK, &page, visitor.locale))
}

async fn sign_in(
    State(app): State<App>,
    visitor: Visitor,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = visitor.locale;
    let result = async {
        let email = fields.text("email").to_owned();
        let password = fields.get("password").cloned().unwrap_or_default();
        let next = local_path(fields.text("next"), "/");
        let c = Chrome::new(&visitor, "", "/", &[]);
        let mut page = SignInPage {
            c,
            next: next.clone(),
            // Shown again to be corrected, unless it is longer than any address could be.
            email: if email.chars().count() <= EMAIL_MAX_CHARS {
                email.clone()
            } else {
                String::new()
            },
            email_error: None,
            password_error: None,
            errors: vec![],
        };
        if email.is_empty() {
            page.email_error = Some(page.c.t("web-sign-in-email-missing"));
        }
        if password.is_empty() {
            page.password_error = Some(page.c.t("web-sign-in-password-missing"));
        }
        let status = if page.email_error.is_some() || page.password_error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            match app.sign_in(&email, &password).await {
                Ok(user) => {
                    visitor.sign_in(&user, app.clock.now()).await?;
                    return Ok(see_other(&next));
                }
                Err(e @ AppError::Unauthenticated(f)) => {
                    page.password_error = Some(error::message(locale, &e));
                    match f {
                        AuthFailure::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                        AuthFailure::Disabled => StatusCode::FORBIDDEN,
                        _ => StatusCode::UNAUTHORIZED,
                    }
                }
                Err(e) => return Err(e),
            }
        };
        for (field, message) in [
            ("email", &page.email_error),
            ("password", &page.password_error),
        ] {
            if let Some(m) = message {
                page.errors.push((field.to_owned(), m.clone()));
            }
        }
        page.c.has_error = true;
        page.c.title = page.c.t("web-sign-in-title");
        Ok(html(status, &page, locale))
    };
    or_error_page(locale, result.await)
}

async fn sign_out(visitor: Visitor, CheckedForm(_): CheckedForm) -> Response {
    let locale = visitor.locale;
    let result = async {
        visitor.sign_out().await?;
        Ok(see_other("/"))
    };
    or_error_page(locale, result.await)
}

async fn language(
    State(app): State<App>,
    visitor: Visitor,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = visitor.locale;
    let result = async {
        let chosen = Locale::parse(fields.text("locale"))
            .map_err(|e| AppError::invalid(FieldPath::name("locale"), e))?;
        if let Some(user) = &visitor.user {
            app.set_user_locale(user.id, Some(chosen)).await?;
        }
        Ok(see_other(&local_path(fields.text("back"), "/")))
    };
    or_error_page(locale, result.await)
}
