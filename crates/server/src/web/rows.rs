//! A subscription line as a row of the order page and of the Subscriptions page: the same
//! facts, the same actions, the same words on both.

use jiff::{SignedDuration, Timestamp};
use provisio_domain::next_step::Waiting;
use provisio_domain::{Actor, CompanyKind, LineStatus, Refusal, Stage};
use provisio_store::EmailRecord;

use super::address::shown;
use super::page::{Chrome, when};
use super::session::Note;
use super::timeline::{History, history};
use crate::app::App;
use crate::app::workspace::LineView;
use crate::error::AppResult;
use crate::i18n::{attention_label, stage_label};

pub struct Row {
    pub sub_ref: String,
    pub order_id: String,
    pub line_number: u32,
    pub end_customer: String,
    /// The order's partner, named on the row for those who see several partners' lines
    /// ([`name_partners`]).
    pub partner: String,
    pub show_partner: bool,
    pub offer: String,
    pub quantity: u32,
    pub rsd: String,
    pub stage: &'static str,
    pub stage_label: String,
    pub status: &'static str,
    pub status_label: String,
    pub organization: Option<String>,
    pub in_progress_closed: bool,
    /// Closed after the point of no return: setup is finished at the admin portal.
    pub closed_past_ponr: bool,
    /// Why the line needs a person: the reason's code (for the tag's look) and words.
    pub attention: Option<(&'static str, String)>,
    pub deadline: String,
    /// The instant an open line closes, beside the relative words.
    pub deadline_at: Option<String>,
    /// The contact's address as people read it (`address.rs`), with its warning.
    pub contact_email: String,
    pub contact_warning: Option<String>,
    /// The address as stored, to edit.
    pub contact_address: String,
    pub contact_name: Option<String>,
    /// Which dialog the Resend button opens with JavaScript: "resend", "ponr" or none.
    pub dialog: Option<&'static str>,
    pub question: String,
    /// What a resend does, under the question.
    pub explain: String,
    pub resend_context: String,
    pub resend_disabled: bool,
    /// The line may be resent now (it can be selected for "Resend selected").
    pub can_select: bool,
    /// The contact may be changed (the line is before PONR and the user may).
    pub can_change_contact: bool,
    pub edit_context: String,
    pub contact_title: String,
    pub select_label: String,
    /// Why the actions are not usable, in words.
    pub why: Option<String>,
    pub budget: Option<String>,
    pub notes: Vec<Note>,
    pub last_email: Option<EmailRow>,
    /// What a person must do, when nothing happens without them and the row does not say so
    /// already (the last email to the contact failed).
    pub waiting: Option<String>,
    pub history_label: String,
    /// The line's timeline, newest first (`timeline.rs`), when the page read it; else the
    /// row's disclosure loads it from `/lines/{ref}/history` when opened.
    pub history: Option<History>,
    /// Shown on a case's page: the case's own actions stand for the row's Resend, and the
    /// row offers no case of its own.
    pub in_case: bool,
}

pub struct EmailRow {
    pub kind: String,
    pub state: &'static str,
    pub state_label: String,
    pub when: String,
    pub reply: Option<String>,
}

pub fn email_row(app: &App, c: &Chrome, e: &EmailRecord) -> EmailRow {
    EmailRow {
        kind: c.t(&format!("kind-{}", e.kind.as_str())),
        state: e.state.as_str(),
        state_label: c.t(&format!("email-state-{}", e.state.as_str())),
        when: when(app, e.sent_at.unwrap_or(e.queued_at)),
        reply: e.last_reply.clone(),
    }
}

/// "closes in 3 days" with the instant beside it, "closed on …", or, before the first send,
/// that the window starts then.
fn deadline(app: &App, c: &Chrome, view: &LineView, now: Timestamp) -> (String, Option<String>) {
    let state = &view.line.line.state;
    if state.status == LineStatus::Closed {
        let text = match state.closed_at {
            Some(at) => c.t_with("web-closed-on", &[("when", &when(app, at))]),
            None => String::new(),
        };
        return (text, None);
    }
    let Some(closes_at) = state.closes_at else {
        return (c.t("web-no-deadline"), None);
    };
    let left = closes_at.duration_since(now);
    let relative = if left >= SignedDuration::from_hours(48) {
        let days = (left.as_secs() + 86_399) / 86_400;
        c.t_with("web-closes-in-days", &[("days", &days.to_string())])
    } else if left >= SignedDuration::from_hours(24) {
        c.t("web-closes-in-day")
    } else if left >= SignedDuration::from_hours(1) {
        let hours = (left.as_secs() + 3_599) / 3_600;
        c.t_with("web-closes-in-hours", &[("hours", &hours.to_string())])
    } else {
        c.t("web-closes-soon")
    };
    (relative, Some(when(app, closes_at)))
}

/// What a resend of the line does, in the dialog's words: a resend that is the line's first
/// send says the deadline starts now and when it will be (SPEC §11).
pub fn resend_explain(app: &App, c: &Chrome, view: &LineView, email: &str) -> String {
    let sub_ref = view.line.line.sub_ref.as_str();
    match view.first_send_deadline {
        Some(at) => c.t_with(
            "web-resend-explain-first",
            &[("email", email), ("ref", sub_ref), ("when", &when(app, at))],
        ),
        None => c.t_with("web-resend-explain", &[("email", email), ("ref", sub_ref)]),
    }
}

/// Why an action is not offered, in words, with when that changes.
pub fn why_not(app: &App, c: &Chrome, refusal: &Refusal, until: Option<Timestamp>) -> String {
    match refusal {
        Refusal::PermissionDenied {
            ordering_contact: Some(who),
            ..
        } => c.t_with("web-denied", &[("name", &who.name), ("email", &who.email)]),
        Refusal::PermissionDenied { .. } => c.t("web-denied-plain"),
        Refusal::PastPointOfNoReturn => c.t("web-ponr"),
        Refusal::LineCancelled => c.t("web-cancelled"),
        Refusal::RateLimited { limit, .. } => match until {
            Some(at) => c.t_with(
                "web-budget-used-up",
                &[("limit", &limit.to_string()), ("when", &when(app, at))],
            ),
            None => c.t("web-rate-limited"),
        },
        other => c.t(other.key()),
    }
}

pub fn row(app: &App, c: &Chrome, view: &LineView, notes: &[Note], now: Timestamp) -> Row {
    let line = &view.line.line;
    let sub_ref = line.sub_ref.to_string();
    let contact = shown(c.locale, &line.contact_email);
    let email = contact.text;
    let state = &line.state;
    let actions = &view.offered.actions;
    let resend = &actions.resend;
    // After PONR Resend stays the article's control: it opens the popup to the admin portal.
    let ponr = matches!(resend.refusal, Some(Refusal::PastPointOfNoReturn));
    let dialog = match (resend.allowed(), ponr) {
        (true, _) => Some("resend"),
        (false, true) => Some("ponr"),
        (false, false) => None,
    };
    let why = resend
        .refusal
        .as_ref()
        .or(actions.change_contact.refusal.as_ref())
        .map(|r| why_not(app, c, r, resend.until));
    let budget = match &resend.refusal {
        None | Some(Refusal::RateLimited { .. }) => Some(c.t_with(
            "web-budget",
            &[
                ("used", &view.offered.budget.used.to_string()),
                ("limit", &view.offered.budget.limit.to_string()),
            ],
        )),
        Some(_) => None,
    };
    let (deadline, deadline_at) = deadline(app, c, view, now);
    Row {
        order_id: view.line.web_order_id.to_string(),
        line_number: line.line_number,
        end_customer: view.line.end_customer.clone(),
        partner: view.line.partner.name.clone(),
        show_partner: false,
        offer: line.offer.to_string(),
        quantity: line.quantity,
        rsd: line.requested_start_date.to_string(),
        stage: state.stage.as_str(),
        stage_label: stage_label(c.locale, state.stage),
        status: state.status.as_str(),
        status_label: c.t(&format!("status-{}", state.status.as_str())),
        organization: line
            .organization
            .as_ref()
            .map(|o| c.t_with("web-organization", &[("name", &o.name)])),
        in_progress_closed: state.status == LineStatus::Closed
            && state.provisioning_in_progress()
            && !state.past_point_of_no_return(),
        closed_past_ponr: state.status == LineStatus::Closed && state.stage == Stage::Onboarded,
        attention: view
            .offered
            .attention
            .map(|a| (a.as_str(), attention_label(c.locale, a))),
        deadline,
        deadline_at,
        contact_name: line.contact_name.clone(),
        dialog,
        question: c.t_with("web-resend-question", &[("email", &email)]),
        explain: resend_explain(app, c, view, &email),
        resend_context: c.t_with("web-resend-context", &[("email", &email)]),
        resend_disabled: dialog.is_none(),
        can_select: resend.allowed(),
        can_change_contact: actions.change_contact.allowed(),
        edit_context: c.t_with("web-edit-contact-context", &[("ref", &sub_ref)]),
        contact_title: c.t_with("web-contact-title", &[("ref", &sub_ref)]),
        select_label: c.t_with("web-select-line", &[("ref", &sub_ref)]),
        why,
        budget,
        notes: notes
            .iter()
            .filter(|n| n.line.as_deref() == Some(sub_ref.as_str()))
            .cloned()
            .collect(),
        last_email: line.last_email.as_ref().map(|e| email_row(app, c, e)),
        waiting: match view.offered.waiting {
            Some(Waiting::LastEmailFailed) => Some(c.t("web-waiting-last-email-failed")),
            _ => None,
        },
        history_label: c.t_with("web-history", &[("ref", &sub_ref)]),
        history: view
            .history
            .as_ref()
            .map(|items| history(app, c, &sub_ref, items)),
        in_case: false,
        contact_email: email,
        contact_warning: contact.warning,
        contact_address: line.contact_email.to_string(),
        sub_ref,
    }
}

/// Names each row's partner for a user who sees the lines of several partners (a distributor,
/// the operator's people); a partner's own people see only their own.
pub fn name_partners(actor: &Actor, rows: &mut [Row]) {
    let across = actor.company_kind != CompanyKind::Partner;
    for r in rows {
        r.show_partner = across;
    }
}

/// How many lines of an order "Apply to all lines" changes for `actor`: those whose contact
/// they may change (the domain's `actions`), in words.
pub async fn apply_all_hint(
    app: &App,
    actor: &Actor,
    c: &Chrome,
    order_id: &str,
) -> AppResult<String> {
    let order = app.order(actor, order_id).await?;
    let offers = app.order_offers(actor, &order).await?;
    let count = offers
        .iter()
        .filter(|o| o.actions.change_contact.allowed())
        .count();
    Ok(c.t_with(
        "web-apply-all-count",
        &[("count", &count.to_string()), ("id", order_id)],
    ))
}
