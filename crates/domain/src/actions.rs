//! What a person may do with a line, and if not, why and until when (SPEC §11: every Line
//! carries `actions`). Read off the decisions themselves: a resend and a cancellation are
//! decided on the line's facts as if asked now, a contact change by its own gate, so the
//! pages and the API can never offer what the action would refuse, nor refuse what it would
//! do.

use jiff::Timestamp;
use uuid::Uuid;

use crate::decide::{self, Asker, Decision, LineFacts, ResendAsk};
use crate::mail::MailId;
use crate::permission::Actor;
use crate::rate_limit::ResendLimit;
use crate::refusal::Refusal;

/// One action as offered to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Why the action would be refused; none when it is allowed.
    pub refusal: Option<Refusal>,
    /// When the answer changes, where known (the next possible resend).
    pub until: Option<Timestamp>,
}

impl Offer {
    fn of(refusal: Option<Refusal>) -> Self {
        Self {
            refusal,
            until: None,
        }
    }

    pub fn allowed(&self) -> bool {
        self.refusal.is_none()
    }

    /// The problem code the action would be refused with.
    pub fn reason(&self) -> Option<&'static str> {
        self.refusal.as_ref().map(Refusal::code)
    }
}

/// The line's actions for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineActions {
    pub resend: Offer,
    pub change_contact: Offer,
    pub cancel: Offer,
}

/// What `actor` may do with the line at `now`, under the partner's resend `limit`. `facts.mail`
/// must hold the line's resends of the last hour (R10), as for the decisions.
pub fn line_actions(
    facts: &LineFacts,
    actor: &Actor,
    limit: ResendLimit,
    now: Timestamp,
) -> LineActions {
    // The decisions mint ids for the mail they would queue; nothing is queued here.
    let mut no_ids = || MailId {
        id: Uuid::nil(),
        message_id: String::new(),
    };
    let ask = ResendAsk {
        by: Asker::User(actor.clone()),
        // Offered as a fresh request: a double click answers, it is not refused.
        keyed: true,
        limit,
        now,
        for_case: None,
    };
    let resend = match decide::resend(facts, &ask, &mut no_ids) {
        Decision::Refuse { refusal, .. } => Some(refusal),
        Decision::Apply(_) | Decision::Replay(_) => None,
    };
    let cancel = match decide::cancel(facts, actor, now) {
        Decision::Refuse { refusal, .. } => Some(refusal),
        Decision::Apply(_) | Decision::Replay(_) => None,
    };
    // A used-up limit is allowed again the instant the oldest resend leaves the hour.
    let until = match resend {
        Some(Refusal::RateLimited { .. }) => decide::resend_budget(&facts.mail, limit, now).next_at,
        _ => None,
    };
    LineActions {
        resend: Offer {
            until,
            ..Offer::of(resend)
        },
        change_contact: Offer::of(decide::may_change_contact(facts, actor).err()),
        cancel: Offer::of(cancel),
    }
}

#[cfg(test)]
#[path = "actions_tests.rs"]
mod tests;
