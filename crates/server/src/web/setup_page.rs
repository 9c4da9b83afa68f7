//! The setup page's views (`setup.html`): the live form with its three choices, the pages of
//! a link that no longer opens it (with "Send me a fresh link"), and the answers after each
//! choice. Everything in the line's language (an unknown link: the browser's).

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use provisio_domain::{ContactEmail, LineStatus, Locale, Organization};
use provisio_store::{LineContext, SetupLink};

use super::error;
use super::headers::page_headers;
use super::locale::preferred_locale;
use super::page::when;
use crate::app::App;
use crate::app::setup::LinkView;
use crate::error::AppError;
use crate::i18n::{text, text_with};

#[derive(Template)]
#[template(path = "setup.html")]
struct Page {
    lang: &'static str,
    title: String,
    paragraphs: Vec<String>,
    link: Option<String>,
    subscription: Option<Vec<(String, String)>>,
    form: Option<SetupForm>,
    fresh: Option<FreshForm>,
}

struct SetupForm {
    problem_title: String,
    /// (field id, message) for the summary at the top.
    errors: Vec<(String, String)>,
    legend: String,
    options: Vec<Choice>,
    submit_label: String,
}

/// One radio button of the form, with the field it needs.
struct Choice {
    id: String,
    value: String,
    label: String,
    checked: bool,
    field: Option<Field>,
}

struct Field {
    id: &'static str,
    kind: &'static str,
    label: String,
    value: String,
    autocomplete: &'static str,
    max: u32,
    hint: Option<String>,
    error: Option<String>,
}

struct FreshForm {
    action: String,
    lead: String,
    label: String,
}

/// What the contact entered, shown again with an error.
#[derive(Debug, Default)]
pub struct Entered {
    pub choice: String,
    pub organization_name: String,
    pub colleague_email: String,
}

impl Page {
    fn new(locale: Locale, title: String, paragraphs: Vec<String>) -> Self {
        Page {
            lang: locale.as_str(),
            title,
            paragraphs,
            link: None,
            subscription: None,
            form: None,
            fresh: None,
        }
    }
}

/// What a link shows when opened, or after a choice found it no longer live.
pub fn view(
    app: &App,
    token: &str,
    view: LinkView,
    entered: Entered,
    headers: &HeaderMap,
) -> Response {
    match view {
        LinkView::Unknown => {
            let l = preferred_locale(headers);
            let page = Page::new(
                l,
                text(l, "setup-unknown-title"),
                vec![text(l, "setup-unknown")],
            );
            render(StatusCode::NOT_FOUND, page)
        }
        LinkView::Spent(link) => {
            let l = link.line.line.locale;
            let reference = link.line.line.sub_ref.to_string();
            let mut paragraphs = vec![text_with(l, "setup-spent", &[("reference", &reference)])];
            let portal = continue_at(app, l, &mut paragraphs);
            let mut page = Page::new(l, text(l, "setup-spent-title"), paragraphs);
            page.link = portal;
            // Onboarded: a fresh link could send nothing (setup goes on at the portal).
            render(StatusCode::GONE, page)
        }
        LinkView::Revoked(link) => {
            let l = link.line.line.locale;
            let who = &link.line.placed_by;
            // One instruction: a fresh link where one can still be sent (the line is before
            // its point of no return), else whom to ask.
            let can_send = link.line.line.state.ensure_before_ponr().is_ok();
            let next = if can_send {
                None
            } else {
                Some(text_with(
                    l,
                    "setup-ask-partner",
                    &[("name", &who.name), ("email", &who.email)],
                ))
            };
            let paragraphs = std::iter::once(text(l, "setup-revoked"))
                .chain(next)
                .collect();
            let mut page = Page::new(l, text(l, "setup-revoked-title"), paragraphs);
            page.fresh = can_send.then(|| fresh_form(l, token));
            render(StatusCode::GONE, page)
        }
        LinkView::Live {
            link,
            organizations,
        } => live(app, &link, organizations, entered, None),
    }
}

fn fresh_form(l: Locale, token: &str) -> FreshForm {
    FreshForm {
        // The token is one of ours (it was found), so it is plain base64url.
        action: format!("/setup/{token}/fresh-link"),
        lead: text(l, "setup-fresh-lead"),
        label: text(l, "setup-fresh-button"),
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

/// The form: what was ordered, then the choices (an earlier organization, a new one, a
/// colleague), `error` on the field it is about.
pub fn live(
    app: &App,
    link: &SetupLink,
    organizations: Vec<Organization>,
    entered: Entered,
    error: Option<&AppError>,
) -> Response {
    let line: &LineContext = &link.line;
    let l = line.line.locale;
    let state = &line.line.state;
    let mut rows = vec![
        (text(l, "setup-partner"), line.partner.name.clone()),
        (text(l, "setup-customer"), line.end_customer.clone()),
        (text(l, "setup-offer"), line.line.offer.to_string()),
        (text(l, "setup-quantity"), line.line.quantity.to_string()),
        (text(l, "setup-reference"), line.line.sub_ref.to_string()),
        (text(l, "setup-order"), line.web_order_id.to_string()),
    ];
    let closed = state.status == LineStatus::Closed;
    match (closed, state.closed_at, state.closes_at) {
        (true, Some(at), _) => rows.push((text(l, "setup-closed-on"), when(app, at))),
        (false, _, Some(at)) => rows.push((text(l, "setup-deadline"), when(app, at))),
        _ => {}
    }
    let who = [
        ("partner", line.partner.name.as_str()),
        ("customer", line.end_customer.as_str()),
    ];
    let mut paragraphs = vec![text_with(l, "setup-intro", &who)];
    paragraphs.push(text(
        l,
        if organizations.is_empty() {
            "setup-intro-create"
        } else {
            "setup-intro-pick"
        },
    ));
    if closed {
        paragraphs.push(text(l, "setup-closed-note"));
    }
    let (name_error, colleague_error) = match error {
        Some(e) => {
            let message = form_error(l, e);
            match e.field_errors().first().and_then(|f| f.path.root()) {
                Some("colleague_email") => (None, Some(message)),
                _ => (Some(message), None),
            }
        }
        None => (None, None),
    };
    let chosen = |value: &str| entered.choice == value;
    let nothing_chosen = !entered.choice.starts_with("org:") && !chosen("colleague");
    let mut options: Vec<Choice> = organizations
        .into_iter()
        .enumerate()
        .map(|(i, o)| Choice {
            id: format!("choice-org-{i}"),
            value: format!("org:{}", o.id),
            label: text_with(l, "setup-choice-existing", &[("name", &o.name)]),
            checked: chosen(&format!("org:{}", o.id)),
            field: None,
        })
        .collect();
    options.push(Choice {
        id: "choice-new".into(),
        value: "new".into(),
        label: text(l, "setup-choice-new"),
        checked: nothing_chosen,
        field: Some(Field {
            id: "organization_name",
            kind: "text",
            label: text(l, "setup-organization-name"),
            value: entered.organization_name,
            autocomplete: "organization",
            max: 200,
            hint: None,
            error: name_error.clone(),
        }),
    });
    options.push(Choice {
        id: "choice-colleague".into(),
        value: "colleague".into(),
        label: text(l, "setup-choice-colleague"),
        checked: chosen("colleague"),
        field: Some(Field {
            id: "colleague_email",
            kind: "email",
            label: text(l, "setup-colleague-email"),
            value: entered.colleague_email,
            autocomplete: "off",
            max: 254,
            hint: Some(text_with(
                l,
                "setup-colleague-hint",
                &[("name", &line.placed_by.name)],
            )),
            error: colleague_error.clone(),
        }),
    });
    let errors = [
        ("organization_name", name_error),
        ("colleague_email", colleague_error),
    ]
    .into_iter()
    .filter_map(|(id, m)| m.map(|m| (id.to_owned(), m)))
    .collect();
    let mut page = Page::new(l, text(l, "setup-title"), paragraphs);
    page.subscription = Some(rows);
    page.form = Some(SetupForm {
        problem_title: text(l, "setup-problem"),
        errors,
        legend: text(l, "setup-choice-legend"),
        options,
        submit_label: text(l, "setup-submit"),
    });
    if error.is_some() {
        page.title = format!("{} {}", text(l, "setup-error-prefix"), page.title);
    }
    render(StatusCode::OK, page)
}

/// A missing name reads better as what to do; everything else says what is wrong.
fn form_error(locale: Locale, e: &AppError) -> String {
    match e.field_errors().first() {
        Some(f) if f.error.key == "value-name-empty" => text(locale, "setup-name-missing"),
        Some(f) if f.path.root() == Some("organization_id") => {
            text(locale, "setup-unknown-organization")
        }
        Some(f)
            if f.path.root() == Some("colleague_email") && f.error.key == "value-email-empty" =>
        {
            text(locale, "setup-colleague-missing")
        }
        _ => error::message(locale, e),
    }
}

pub fn done(app: &App, line: &LineContext, org: &Organization) -> Response {
    let l = line.line.locale;
    let reference = line.line.sub_ref.to_string();
    let mut paragraphs = vec![text_with(
        l,
        "setup-done",
        &[("organization", &org.name), ("reference", &reference)],
    )];
    paragraphs.push(text(l, "setup-done-next"));
    let portal = continue_at(app, l, &mut paragraphs);
    let mut page = Page::new(l, text(l, "setup-done-title"), paragraphs);
    page.link = portal;
    render(StatusCode::OK, page)
}

/// After a hand-off: who has the setup now; this link no longer works.
pub fn handed_off(l: Locale, to: &ContactEmail, ordering: &str) -> Response {
    // The colleague's address as a person should check it: a look-alike domain as A-labels,
    // with the warning.
    let to = super::address::shown(l, to);
    let mut paragraphs = vec![text_with(
        l,
        "setup-handed-off",
        &[("email", &to.text), ("name", ordering)],
    )];
    paragraphs.extend(to.warning);
    let page = Page::new(l, text(l, "setup-handed-off-title"), paragraphs);
    render(StatusCode::OK, page)
}

/// After "Send me a fresh link": the same words whatever happened.
pub fn fresh_link_asked(l: Locale) -> Response {
    let page = Page::new(
        l,
        text(l, "setup-fresh-title"),
        vec![text(l, "setup-fresh-done")],
    );
    render(StatusCode::OK, page)
}

fn render(status: StatusCode, page: Page) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = (status, html).into_response();
            // The token is in the URL: never cache the page or leak it to other sites.
            page_headers(
                &mut response,
                "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
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
