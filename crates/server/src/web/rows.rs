//! A subscription line as a row of the order page and of the Subscriptions page: the same
//! facts, the same actions, the same words on both.

use jiff::{SignedDuration, Timestamp};
use provisio_domain::next_step::Waiting;
use provisio_domain::{LineStatus, Stage};
use provisio_store::EmailRecord;

use super::address::shown;
use super::page::{Chrome, when};
use super::session::Note;
use super::timeline::{History, history};
use crate::app::App;
use crate::app::workspace::{LineView, MailAction};
use crate::i18n::stage_label;

pub struct Row {
    pub sub_ref: String,
    pub order_id: String,
    pub line_number: u32,
    pub end_customer: String,
    pub offer: String,
    pub quantity: u32,
    pub rsd: String,
    pub stage: &'static str,
    pub stage_label: String,
    pub status: &'static str,
    pub status_label: String,
    pub organization: Option<String>,
    pub in_progress_closed: bool,
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
    /// Resend and contact change are allowed (the line is before PONR and the user may).
    pub can_resend: bool,
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
    /// The line's timeline, newest first (`timeline.rs`).
    pub history: History,
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

pub fn row(app: &App, c: &Chrome, view: &LineView, notes: &[Note], now: Timestamp) -> Row {
    let line = &view.line.line;
    let sub_ref = line.sub_ref.to_string();
    let contact = shown(c.locale, &line.contact_email);
    let email = contact.text;
    let state = &line.state;
    let (dialog, resend_disabled, can_resend, why, budget) = match &view.action {
        MailAction::Allowed { budget } => {
            let used_up = budget.next_at.map(|at| {
                c.t_with(
                    "web-budget-used-up",
                    &[
                        ("limit", &budget.limit.to_string()),
                        ("when", &when(app, at)),
                    ],
                )
            });
            let text = c.t_with(
                "web-budget",
                &[
                    ("used", &budget.used.to_string()),
                    ("limit", &budget.limit.to_string()),
                ],
            );
            let disabled = used_up.is_some();
            (Some("resend"), disabled, true, used_up, Some(text))
        }
        MailAction::Denied { ask } => {
            let why = match ask {
                Some(who) => c.t_with("web-denied", &[("name", &who.name), ("email", &who.email)]),
                None => c.t("web-denied-plain"),
            };
            (None, true, false, Some(why), None)
        }
        MailAction::PastPointOfNoReturn { .. } => {
            (Some("ponr"), false, false, Some(c.t("web-ponr")), None)
        }
        MailAction::Cancelled => (None, true, false, Some(c.t("web-cancelled")), None),
    };
    let (deadline, deadline_at) = deadline(app, c, view, now);
    Row {
        order_id: view.line.web_order_id.to_string(),
        line_number: line.line_number,
        end_customer: view.line.end_customer.clone(),
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
            && state.stage != Stage::Cancelled,
        deadline,
        deadline_at,
        contact_name: line.contact_name.clone(),
        dialog,
        question: c.t_with("web-resend-question", &[("email", &email)]),
        explain: match view.first_send_deadline {
            Some(at) => c.t_with(
                "web-resend-explain-first",
                &[
                    ("email", &email),
                    ("ref", &sub_ref),
                    ("when", &when(app, at)),
                ],
            ),
            None => c.t_with(
                "web-resend-explain",
                &[("email", &email), ("ref", &sub_ref)],
            ),
        },
        resend_context: c.t_with("web-resend-context", &[("email", &email)]),
        resend_disabled,
        can_resend,
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
        waiting: match view.waiting {
            Some(Waiting::LastEmailFailed) => Some(c.t("web-waiting-last-email-failed")),
            _ => None,
        },
        history_label: c.t_with("web-history", &[("ref", &sub_ref)]),
        history: history(app, c, &sub_ref, &view.history),
        contact_email: email,
        contact_warning: contact.warning,
        contact_address: line.contact_email.to_string(),
        sub_ref,
    }
}
