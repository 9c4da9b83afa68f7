//! `GET`/`POST /setup/{token}`: the page the provisioning email links to (R7, SPEC §8).
//! GET never changes anything (mail scanners open links); POST onboards the organization.
//! Live link 200, used or revoked 410, unknown 404: always a plain page, never an error dump.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use provisio_domain::organization::SetupChoice;
use provisio_domain::{Locale, Organization};
use provisio_store::{LineContext, SetupLink};

use super::error;
use super::form::StrictForm;
use super::locale::preferred_locale;
use super::page::{page_headers, when};
use crate::app::App;
use crate::app::setup::{LinkView, SetupOutcome};
use crate::error::AppError;
use crate::i18n::{text, text_with};

pub fn router() -> Router<App> {
    Router::new().route("/setup/{token}", get(show).post(submit))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct Page {
    lang: &'static str,
    title: String,
    paragraphs: Vec<String>,
    link: Option<String>,
    subscription: Option<Vec<(String, String)>>,
    form: Option<SetupForm>,
}

struct SetupForm {
    error: Option<String>,
    organizations: Vec<(String, String)>,
    existing_label: String,
    new_label: String,
    name_label: String,
    name_value: String,
    submit_label: String,
}

async fn show(State(app): State<App>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match app.setup_link(&token).await {
        Ok(view) => render_view(&app, view, None, String::new(), &headers),
        Err(e) => error::page(preferred_locale(&headers), &e),
    }
}

async fn submit(
    State(app): State<App>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: Result<StrictForm, AppError>,
) -> Response {
    let fields = match form {
        Ok(StrictForm(fields)) => fields,
        Err(e) => return error::page(preferred_locale(&headers), &e),
    };
    let name = fields.get("organization_name").cloned().unwrap_or_default();
    let choice = match fields
        .get("organization_id")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        Some(id) => SetupChoice::Existing { id },
        None => SetupChoice::Create { name: name.clone() },
    };
    match app.onboard_by_link(&token, choice).await {
        Ok(SetupOutcome::Onboarded { line, organization }) => done(&app, &line, &organization),
        Ok(SetupOutcome::NotLive(view)) => render_view(&app, *view, None, String::new(), &headers),
        // The contact's input: the form again, with what is wrong in the line's language.
        Ok(SetupOutcome::Invalid {
            link,
            organizations,
            error,
        }) => {
            let message = form_error(link.line.line.locale, &error);
            let mut response = live(&app, &link, organizations, Some(message), name);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(e) => error::page(preferred_locale(&headers), &e),
    }
}

/// A missing name reads better as what to do; everything else says what is wrong.
fn form_error(locale: Locale, e: &AppError) -> String {
    match e.field_errors().first() {
        Some(f) if f.error.key == "value-name-empty" => text(locale, "setup-name-missing"),
        Some(f) if f.path.root() == Some("organization_id") => {
            text(locale, "setup-unknown-organization")
        }
        _ => error::message(locale, e),
    }
}

fn lang(locale: Locale) -> &'static str {
    locale.as_str()
}

fn render_view(
    app: &App,
    view: LinkView,
    error: Option<String>,
    name_value: String,
    headers: &HeaderMap,
) -> Response {
    match view {
        LinkView::Unknown => {
            let l = preferred_locale(headers);
            page(
                StatusCode::NOT_FOUND,
                Page {
                    lang: lang(l),
                    title: text(l, "setup-unknown-title"),
                    paragraphs: vec![text(l, "setup-unknown")],
                    link: None,
                    subscription: None,
                    form: None,
                },
            )
        }
        LinkView::Spent(link) => {
            let l = link.line.line.locale;
            let reference = link.line.line.sub_ref.to_string();
            let mut paragraphs = vec![text_with(l, "setup-spent", &[("reference", &reference)])];
            let portal = continue_at(app, l, &mut paragraphs);
            page(
                StatusCode::GONE,
                Page {
                    lang: lang(l),
                    title: text(l, "setup-spent-title"),
                    paragraphs,
                    link: portal,
                    subscription: None,
                    form: None,
                },
            )
        }
        LinkView::Revoked(link) => {
            let l = link.line.line.locale;
            let who = &link.line.placed_by;
            page(
                StatusCode::GONE,
                Page {
                    lang: lang(l),
                    title: text(l, "setup-revoked-title"),
                    paragraphs: vec![
                        text(l, "setup-revoked"),
                        text_with(
                            l,
                            "setup-ask-partner",
                            &[("name", &who.name), ("email", &who.email)],
                        ),
                    ],
                    link: None,
                    subscription: None,
                    form: None,
                },
            )
        }
        LinkView::Live {
            link,
            organizations,
        } => live(app, &link, organizations, error, name_value),
    }
}

fn continue_at(app: &App, l: Locale, paragraphs: &mut Vec<String>) -> Option<String> {
    match app.admin_portal() {
        Some(url) => {
            paragraphs.push(text(l, "setup-continue-portal"));
            Some(url)
        }
        None => {
            paragraphs.push(text(l, "setup-continue-partner"));
            None
        }
    }
}

fn live(
    app: &App,
    link: &SetupLink,
    organizations: Vec<Organization>,
    error: Option<String>,
    name_value: String,
) -> Response {
    let line: &LineContext = &link.line;
    let l = line.line.locale;
    let deadline = line.line.state.closes_at.map(|t| when(app, t));
    let mut rows = vec![
        (text(l, "setup-partner"), line.partner.name.clone()),
        (text(l, "setup-customer"), line.end_customer.clone()),
        (text(l, "setup-offer"), line.line.offer.to_string()),
        (text(l, "setup-quantity"), line.line.quantity.to_string()),
        (text(l, "setup-reference"), line.line.sub_ref.to_string()),
        (text(l, "setup-order"), line.web_order_id.to_string()),
    ];
    if let Some(d) = deadline {
        rows.push((text(l, "setup-deadline"), d));
    }
    page(
        StatusCode::OK,
        Page {
            lang: lang(l),
            title: text(l, "setup-title"),
            paragraphs: vec![text_with(
                l,
                "setup-intro",
                &[
                    ("partner", &line.partner.name),
                    ("customer", &line.end_customer),
                ],
            )],
            link: None,
            subscription: Some(rows),
            form: Some(SetupForm {
                error,
                organizations: organizations.into_iter().map(|o| (o.id, o.name)).collect(),
                existing_label: text(l, "setup-existing"),
                new_label: text(l, "setup-new"),
                name_label: text(l, "setup-organization-name"),
                name_value,
                submit_label: text(l, "setup-submit"),
            }),
        },
    )
}

fn done(app: &App, line: &LineContext, org: &Organization) -> Response {
    let l = line.line.locale;
    let reference = line.line.sub_ref.to_string();
    let mut paragraphs = vec![text_with(
        l,
        "setup-done",
        &[("organization", &org.name), ("reference", &reference)],
    )];
    let portal = continue_at(app, l, &mut paragraphs);
    page(
        StatusCode::OK,
        Page {
            lang: lang(l),
            title: text(l, "setup-done-title"),
            paragraphs,
            link: portal,
            subscription: None,
            form: None,
        },
    )
}

fn page(status: StatusCode, page: Page) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = (status, html).into_response();
            // The token is in the URL: never cache the page or leak it to other sites.
            page_headers(
                &mut response,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
                "no-referrer",
            );
            response
        }
        Err(e) => {
            let e = AppError::Internal(anyhow::anyhow!("rendering the setup page: {e}"));
            error::page(Locale::parse(page.lang).unwrap_or_default(), &e)
        }
    }
}
