//! A case's page (SPEC §11): the conversation beside the line's live evidence — the line as
//! its row shows it (stage, attention, contact, the last email with the SMTP server's reply)
//! and its history (emails with delivery state and replies, resends and who asked, contact
//! changes) — and what the viewer may do: answer (support also as an internal note), claim,
//! resolve, resend on the opener's behalf, change the contact. While an email of the line is
//! on its way, the page (with JavaScript) looks again every few seconds, so an on-behalf
//! resend's result appears by itself.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use provisio_domain::case::{is_support, may_see};
use provisio_domain::{CaseState, EmailState};
use provisio_store::CaseRecord;

use super::actions::refusal_note;
use super::cases::{request_type_label, state_label};
use super::page::{Chrome, html, or_error_page, see_other, when};
use super::rows::{EmailRow, Row, email_row, row};
use super::session::{CheckedForm, Note, SignedIn};
use crate::app::App;
use crate::app::cases::note_message;
use crate::error::AppResult;
use crate::http::upload::attachment_response;
use crate::i18n::{render, text, text_with};

pub fn router() -> Router<App> {
    Router::new()
        .route("/cases/{id}", get(page))
        .route("/cases/{id}/comments", post(comment))
        .route("/cases/{id}/claim", post(claim))
        .route("/cases/{id}/resolve", post(resolve))
        .route("/cases/{id}/resend", post(resend))
        .route("/cases/{id}/attachments/{n}", get(attachment))
}

pub struct CommentView {
    pub author: String,
    pub at: String,
    pub body: String,
    pub internal: bool,
    /// Written by the service, not a person.
    pub note: bool,
}

pub struct AttachmentView {
    pub href: String,
    pub filename: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    c: Chrome,
    id: String,
    heading: String,
    /// The order the case is about, and its page.
    order: String,
    state: &'static str,
    state_label: String,
    request_type: String,
    opened: String,
    description: String,
    attachments: Vec<AttachmentView>,
    comments: Vec<CommentView>,
    /// The line's last email failed: said first, for the opener and the agent.
    failed: Option<String>,
    support: bool,
    may_claim: bool,
    may_resolve: bool,
    may_resend: bool,
    claimed_by: Option<String>,
    contact_href: Option<String>,
    /// The line's row (evidence), when the viewer may see the line.
    rows: Vec<Row>,
    /// An email of the line is on its way: the page looks again (with JavaScript).
    live: bool,
    /// What happened to the case, oldest first: (when, who, what).
    history: Vec<(String, String, String)>,
    /// For support: the case's notices with their delivery state (whom each went to).
    notices: Vec<(String, EmailRow)>,
    // What the line's row template reads.
    show_select: bool,
    show_order: bool,
    columns: usize,
    back: String,
    admin_portal: Option<String>,
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} kB", bytes.div_ceil(1024))
    }
}

async fn page(State(app): State<App>, s: SignedIn, Path(id): Path<String>) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let case = app.case(&s.actor, &id).await?;
        let notes = s.visitor.take_notes().await?;
        let here = format!("/cases/{}", case.id());
        let c = Chrome::new(&s.visitor, "cases", &here, &notes);
        let page = case_page(&app, &s, c, &case, &notes).await?;
        Ok(html(StatusCode::OK, &page, locale))
    };
    or_error_page(locale, result.await)
}

async fn case_page(
    app: &App,
    s: &SignedIn,
    c: Chrome,
    case: &CaseRecord,
    notes: &[Note],
) -> AppResult<CasePage> {
    let locale = c.locale;
    let support = is_support(&s.actor);
    let here = c.here.clone();
    // The line's evidence, as the viewer may see it (an opener's company that no longer
    // sees the line sees the conversation only).
    let mut rows = vec![];
    let mut failed = None;
    let mut live = false;
    if let Some(sub) = &case.facts.line
        && let Ok(line) = app.line(&s.actor, sub.as_str()).await
    {
        let policies = app.policies().await?;
        let view = app.line_view(&s.actor, line, &policies).await?;
        live = view.offered.mail_on_its_way;
        if let Some(last) = &view.line.line.last_email
            && last.state == EmailState::Failed
        {
            failed = Some(text_with(
                locale,
                "web-case-last-failed",
                &[
                    ("email", last.to.as_str()),
                    ("reply", last.last_reply.as_deref().unwrap_or("")),
                ],
            ));
        }
        let mut r = row(app, &c, &view, notes, app.clock.now());
        r.in_case = true;
        rows.push(r);
    }
    let comments = case
        .comments
        .iter()
        .map(|k| CommentView {
            author: k
                .author
                .as_ref()
                .map_or_else(|| text(locale, "web-brand"), |p| p.name.clone()),
            at: when(app, k.at),
            body: render(locale, &note_message(&k.note)),
            internal: k.internal,
            note: !matches!(k.note, provisio_domain::case::Note::Text(_)),
        })
        .collect();
    let notices = app
        .case_emails(&s.actor, case)
        .await?
        .unwrap_or_default()
        .iter()
        .map(|e| (e.to.to_string(), email_row(app, &c, e)))
        .collect();
    let history = app
        .case_events(&s.actor, case)
        .await?
        .iter()
        .map(|e| {
            let who = e
                .actor_name
                .clone()
                .unwrap_or_else(|| text(locale, "web-brand"));
            let what = text(locale, &crate::i18n::event_key(&e.kind));
            (when(app, e.at), who, what)
        })
        .collect();
    let open = case.state() != CaseState::Resolved;
    let heading = match &case.facts.line {
        Some(l) => text_with(locale, "web-case-heading", &[("about", l.as_str())]),
        None => text_with(
            locale,
            "web-case-heading-order",
            &[("order", case.order.as_str())],
        ),
    };
    let title = heading.clone();
    Ok(CasePage {
        id: case.id().to_string(),
        heading,
        order: case.order.to_string(),
        state: case.state().as_str(),
        state_label: state_label(locale, case.state()),
        request_type: request_type_label(locale, case.facts.request_type),
        opened: text_with(
            locale,
            "web-case-opened-line",
            &[
                ("name", &case.opener.name),
                ("company", &case.company.name),
                ("when", &when(app, case.opened_at)),
            ],
        ),
        description: case.description.clone(),
        attachments: case
            .attachments
            .iter()
            .map(|a| AttachmentView {
                href: format!("/cases/{}/attachments/{}", case.id(), a.n),
                filename: a.filename.clone(),
                size: size(a.size),
            })
            .collect(),
        comments,
        failed,
        support,
        may_claim: support && open && case.facts.claimed_by != Some(s.actor.user_id),
        may_resolve: open && may_see(&s.actor, case.company.id),
        may_resend: support && !rows.is_empty(),
        claimed_by: case.claimed_by.as_ref().map(|p| p.name.clone()),
        contact_href: (support && !rows.is_empty()).then(|| {
            format!(
                "/lines/{}/contact?back={}",
                case.facts
                    .line
                    .as_ref()
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
                here
            )
        }),
        rows,
        live,
        history,
        notices,
        show_select: false,
        show_order: true,
        columns: 7,
        back: here,
        admin_portal: app.admin_portal(),
        c: c.titled(title),
    })
}

/// After an action: back to the case's page at its message.
async fn done(s: &SignedIn, id: &str, note: Note) -> AppResult<Response> {
    s.visitor.notify(vec![note]).await?;
    Ok(see_other(&format!("/cases/{id}#message")))
}

fn ok(locale: provisio_domain::Locale, key: &str) -> Note {
    Note {
        ok: true,
        text: text(locale, key),
        line: None,
    }
}

async fn comment(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let internal = fields.text("internal") == "yes";
        let note = match app
            .comment_case(&s.actor, &id, fields.text("body"), internal)
            .await
        {
            Ok(_) if internal => ok(locale, "web-case-noted"),
            Ok(_) => ok(locale, "web-case-answered"),
            Err(e) => refusal_note(locale, "web-case-not-sent", &e)?,
        };
        done(&s, &id, note).await
    };
    or_error_page(locale, result.await)
}

async fn claim(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    CheckedForm(fields): CheckedForm,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let case = app.claim_case(&s.actor, &id).await?;
        let note = ok(locale, "web-case-claimed");
        // From the queue, back to the queue.
        let back = fields.text("back");
        if back.starts_with("/cases?") {
            s.visitor.notify(vec![note]).await?;
            return Ok(see_other(&super::page::local_path(back, "/cases")));
        }
        done(&s, &case.id().to_string(), note).await
    };
    or_error_page(locale, result.await)
}

async fn resolve(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    CheckedForm(_): CheckedForm,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        app.resolve_case(&s.actor, &id).await?;
        done(&s, &id, ok(locale, "web-case-resolved")).await
    };
    or_error_page(locale, result.await)
}

async fn resend(
    State(app): State<App>,
    s: SignedIn,
    Path(id): Path<String>,
    CheckedForm(_): CheckedForm,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let note = match app.resend_for_case(&s.actor, &id).await {
            Ok(resent) => Note {
                ok: true,
                text: text_with(locale, "web-resent", &[("email", resent.email.to.as_str())]),
                line: None,
            },
            Err(e) => refusal_note(locale, "web-not-resent", &e)?,
        };
        done(&s, &id, note).await
    };
    or_error_page(locale, result.await)
}

async fn attachment(
    State(app): State<App>,
    s: SignedIn,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    let locale = s.visitor.locale;
    let result = async {
        let file = app.case_attachment(&s.actor, &id, &n).await?;
        Ok(attachment_response(file))
    };
    or_error_page(locale, result.await)
}
