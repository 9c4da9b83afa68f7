//! Support cases on the pages (SPEC §11): "Cases" (a user's company's cases, newest first;
//! for support the queue: open cases oldest first with their age and time to first answer,
//! unclaimed / mine, Claim), and "Open a case" (from the help page or a line's row, request
//! type preset, the line filled in; screenshots by file chooser, or with JavaScript by drag
//! and drop or pasting, previewed before sending). The case page is `case_page.rs`.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use jiff::Timestamp;
use provisio_domain::case::is_support;
use provisio_domain::{CaseRequestType, CaseState, Locale, Refusal};
use provisio_store::{CaseOrder, CaseSummary};
use std::collections::HashMap;

use super::page::{Chrome, html, or_error_page, see_other, when};
use super::session::{Note, SignedIn, Visitor};
use crate::app::App;
use crate::app::cases::{CaseFilter, CaseInput};
use crate::error::{AppError, AppResult, Message};
use crate::http::extract::{encode_cursor, page_of};
use crate::http::upload::read_case_form;

pub fn router() -> Router<App> {
    Router::new()
        .route("/cases", get(list).post(open))
        .route("/cases/new", get(new_case))
}

/// A request type as the form offers it.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// The words of a request type.
pub fn request_type_label(locale: Locale, t: CaseRequestType) -> String {
    crate::i18n::text(locale, &format!("case-type-{}", t.as_str()))
}

/// The words of a case's state.
pub fn state_label(locale: Locale, s: CaseState) -> String {
    crate::i18n::text(locale, &format!("case-state-{}", s.as_str()))
}

/// A span of time in words: "25 min", "3 h 5 min", "2 d 4 h".
pub fn span(locale: Locale, from: Timestamp, to: Timestamp) -> String {
    let mins = to.duration_since(from).as_secs().max(0) / 60;
    let (d, h, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let n = |k: &str, v: i64| crate::i18n::text_with(locale, k, &[("n", &v.to_string())]);
    match (d, h) {
        (0, 0) => n("web-span-minutes", m),
        (0, _) => format!("{} {}", n("web-span-hours", h), n("web-span-minutes", m)),
        _ => format!("{} {}", n("web-span-days", d), n("web-span-hours", h)),
    }
}

/// One case in a list or the queue.
pub struct CaseRow {
    pub href: String,
    /// The subscription reference (or the order) it is about: the row's link text.
    pub about: String,
    pub request_type: String,
    pub state: &'static str,
    pub state_label: String,
    pub opener: String,
    pub company: String,
    pub opened: String,
    pub age: String,
    pub first_answer: String,
    pub claimed_by: Option<String>,
    pub claimable: bool,
}

fn row(
    app: &App,
    c: &Chrome,
    s: &CaseSummary,
    me: provisio_domain::UserId,
    now: Timestamp,
) -> CaseRow {
    let locale = c.locale;
    CaseRow {
        href: format!("/cases/{}", s.id),
        about: match &s.line {
            Some(l) => l.to_string(),
            None => c.t_with("web-case-order", &[("order", s.order.as_str())]),
        },
        request_type: request_type_label(locale, s.request_type),
        state: s.state.as_str(),
        state_label: state_label(locale, s.state),
        opener: s.opener.name.clone(),
        company: s.company.name.clone(),
        opened: when(app, s.opened_at),
        age: span(locale, s.opened_at, now),
        first_answer: match s.first_answer_at {
            Some(at) => span(locale, s.opened_at, at),
            None => c.t("web-case-not-answered"),
        },
        claimed_by: s.claimed_by.as_ref().map(|p| p.name.clone()),
        claimable: s.state != CaseState::Resolved
            && s.claimed_by.as_ref().map(|p| p.id) != Some(me),
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    c: Chrome,
    queue: bool,
    rows: Vec<CaseRow>,
    /// The queue's filter: "all", "unclaimed" or "mine".
    who: String,
    next_href: Option<String>,
    filter_links: Vec<(String, String, bool)>,
}

async fn list(
    State(app): State<App>,
    s: SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let notes = s.visitor.take_notes().await?;
        let queue = is_support(&s.actor);
        let who = params.get("who").cloned().unwrap_or_else(|| "all".into());
        // The queue: what support is to act on (open), oldest first; beside it the cases
        // waiting on their openers and the resolved ones, newest first.
        let state = match (queue, who.as_str()) {
            (true, "waiting") => vec![CaseState::Waiting],
            (true, "resolved") => vec![CaseState::Resolved],
            (true, _) => vec![CaseState::Open],
            (false, _) => vec![],
        };
        let oldest_first = state == [CaseState::Open];
        let filter = CaseFilter {
            states: state,
            mine: match (queue, who.as_str()) {
                (true, "mine") => Some(true),
                (true, "unclaimed") => Some(false),
                _ => None,
            },
            order: if oldest_first {
                CaseOrder::Oldest
            } else {
                CaseOrder::Newest
            },
            ..CaseFilter::default()
        };
        let page = page_of(&params)?;
        let found = app.list_cases(&s.actor, &filter, page).await?;
        let title_key = if queue {
            "web-cases-queue"
        } else {
            "web-cases-title"
        };
        let c = Chrome::new(&s.visitor, "cases", "/cases", &notes);
        let title = c.t(title_key);
        let now = app.clock.now();
        let rows = found
            .items
            .iter()
            .map(|k| row(&app, &c, k, s.actor.user_id, now))
            .collect();
        let filter_links = ["all", "unclaimed", "mine", "waiting", "resolved"]
            .iter()
            .map(|w| {
                (
                    format!("/cases?who={w}"),
                    c.t(&format!("web-cases-who-{w}")),
                    *w == who,
                )
            })
            .collect();
        let page = CasesPage {
            next_href: found
                .next
                .map(|n| format!("/cases?who={who}&cursor={}", encode_cursor(n))),
            c: c.titled(title),
            queue,
            rows,
            who,
            filter_links,
        };
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    c: Chrome,
    types: Vec<Choice>,
    subscription_ref: String,
    order_id: String,
    description: String,
    /// The form's problems, each with the field it is about.
    problems: Vec<(String, String)>,
    /// A case of the same line and request type is open already: its page.
    existing: Option<String>,
}

fn types(locale: Locale, chosen: &str) -> Vec<Choice> {
    CaseRequestType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str(),
            label: request_type_label(locale, *t),
            selected: t.as_str() == chosen,
        })
        .collect()
}

fn form_page(visitor: &Visitor, input: &CaseInput, problem: Option<&AppError>) -> NewCasePage {
    let c = Chrome::new(visitor, "cases", "/cases/new", &[]);
    let locale = c.locale;
    let title = c.t("web-case-title");
    let chosen = input
        .request_type
        .clone()
        .unwrap_or_else(|| "resend_provisioning_email".into());
    let existing = match problem {
        Some(AppError::Refused(Refusal::CaseExists { case_id })) => {
            Some(format!("/cases/{case_id}"))
        }
        _ => None,
    };
    let problems = problem
        .map(|e| {
            let fields = e.field_errors();
            if fields.is_empty() {
                vec![(String::new(), super::error::message(locale, e))]
            } else {
                fields
                    .iter()
                    .map(|f| {
                        let field = f.path.root().unwrap_or("description");
                        (field.to_owned(), field_problem(&c, field, f))
                    })
                    .collect()
            }
        })
        .unwrap_or_default();
    let mut c = c.titled(title);
    c.has_error = problem.is_some();
    NewCasePage {
        types: types(locale, &chosen),
        subscription_ref: input.subscription_ref.clone().unwrap_or_default(),
        order_id: input.order_id.clone().unwrap_or_default(),
        description: input.description.clone(),
        problems,
        existing,
        c,
    }
}

/// One field's problem in words, linked from the summary to the field and named by the
/// form's own label ("Description: the text is empty; …"): the domain's value errors do not
/// know which field of which form they are about.
fn field_problem(c: &Chrome, field: &str, f: &provisio_domain::FieldError) -> String {
    let label = match field {
        "request_type" => c.t("web-case-request-type"),
        "subscription_ref" => c.t("web-subscription"),
        "order_id" => c.t("web-order"),
        "description" => c.t("web-case-description"),
        other => other.to_owned(),
    };
    let message = Message::new("error-field")
        .with("field", label)
        .with_message("message", Message::from(&f.error));
    crate::i18n::render(c.locale, &message)
}

async fn new_case(s: SignedIn, Query(params): Query<HashMap<String, String>>) -> Response {
    let input = CaseInput {
        request_type: params.get("request_type").cloned(),
        subscription_ref: params.get("subscription_ref").cloned(),
        order_id: params.get("order_id").cloned(),
        description: String::new(),
    };
    html(
        StatusCode::OK,
        &form_page(&s.visitor, &input, None),
        s.visitor.locale,
    )
}

/// The form as sent (multipart: it may carry screenshots). Bad input comes back on the form
/// with what is wrong; nothing of a refused case is kept.
async fn open(State(app): State<App>, s: SignedIn, req: Request) -> Response {
    let locale = s.visitor.locale;
    let result: AppResult<Response> = async {
        let (input, files) = if crate::http::upload::is_multipart(&req) {
            let mut form = read_case_form(req, &app).await?;
            s.visitor
                .check_token(form.fields.get("csrf_token").map_or("", String::as_str))?;
            let mut take = |k: &str| form.fields.remove(k);
            let input = CaseInput {
                request_type: take("request_type"),
                subscription_ref: take("subscription_ref"),
                order_id: take("order_id"),
                description: take("description").unwrap_or_default(),
            };
            (input, form.files)
        } else {
            let super::session::CheckedForm(fields) =
                super::session::CheckedForm::from_request(req, &app)
                    .await
                    .map_err(|_| AppError::StaleForm)?;
            let get = |k: &str| fields.get(k).cloned();
            let input = CaseInput {
                request_type: get("request_type"),
                subscription_ref: get("subscription_ref"),
                order_id: get("order_id"),
                description: get("description").unwrap_or_default(),
            };
            (input, vec![])
        };
        match app.open_case(&s.actor, input.clone(), files).await {
            Ok(case) => {
                let note = Note {
                    ok: true,
                    text: crate::i18n::text(locale, "web-case-opened"),
                    line: None,
                };
                s.visitor.notify(vec![note]).await?;
                Ok(see_other(&format!("/cases/{}#message", case.id())))
            }
            Err(e) if is_form_problem(&e) => {
                let page = form_page(&s.visitor, &input, Some(&e));
                Ok(html(e.code().status(), &page, locale))
            }
            Err(e) => Err(e),
        }
    }
    .await;
    or_error_page(locale, result)
}

/// Errors the form shows beside itself (the rest are error pages).
fn is_form_problem(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid(_)
            | AppError::Attachment(_)
            | AppError::NotFound(_)
            | AppError::Refused(Refusal::CaseExists { .. } | Refusal::CaseRateLimited { .. })
    )
}
