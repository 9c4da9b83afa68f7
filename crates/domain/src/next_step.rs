//! What happens next to a line, and who is told (SPEC §11: no line is ever left where nothing
//! will happen and nobody is shown why). Every state of a line is final, has a next step the
//! service takes by itself, or waits for a person, and then the line shows why. The state
//! walk (`walk_tests.rs`) checks this for every reachable state, against the decisions
//! themselves.

use jiff::Timestamp;

use crate::lifecycle::LineState;
use crate::mail::MailFact;
use crate::state::{EmailState, LineStatus, Stage};
use crate::values::ContactEmail;

/// The next thing that happens to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Provisioned or cancelled: nothing more happens, and nothing needs to.
    Done,
    /// The service sends the first email at `at` (R1).
    FirstSend { at: Timestamp },
    /// An email is on its way: delivery attempts it (and retries) by itself.
    Delivery,
    /// The service closes the line at `at` (R6).
    Closure { at: Timestamp },
    /// Nothing happens until a person acts; the line shows why.
    Waiting(Waiting),
}

/// Why a line waits for a person (the words of the workspace's attention list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Waiting {
    /// The last provisioning email to the current contact failed (the SMTP server's reply is
    /// shown with it): change the contact, or resend.
    LastEmailFailed,
    /// Closed by policy, provisioning still in progress: the customer sets up with their
    /// link, or someone resends.
    ClosedInProgress,
    /// Past the point of no return: setup is finished at the admin portal and an integration
    /// reports the service configured.
    OnboardedNotProvisioned,
}

impl Waiting {
    pub fn as_str(self) -> &'static str {
        match self {
            Waiting::LastEmailFailed => "last_email_failed",
            Waiting::ClosedInProgress => "closed_in_progress",
            Waiting::OnboardedNotProvisioned => "onboarded_not_provisioned",
        }
    }
}

/// What the next step is read from: the line's state, its contact, its last provisioning
/// email (as the line shows it) and whether any of its emails is on its way.
#[derive(Debug, Clone, Copy)]
pub struct StepFacts<'a> {
    pub state: &'a LineState,
    pub contact: &'a ContactEmail,
    pub last_email: Option<&'a MailFact>,
    /// Some email of the line is queued, retrying or being sent.
    pub mail_on_its_way: bool,
}

/// The line's next step; `None` only for a state in which nothing would happen and nobody
/// would be shown why (a defect: the state walk proves no reachable state is one).
pub fn next_step(facts: StepFacts<'_>) -> Option<NextStep> {
    let state = facts.state;
    if !state.provisioning_in_progress() {
        return Some(NextStep::Done);
    }
    if let Some(at) = state.first_send_due_at() {
        return Some(NextStep::FirstSend { at });
    }
    if facts.mail_on_its_way {
        return Some(NextStep::Delivery);
    }
    let last_failed = facts
        .last_email
        .is_some_and(|e| e.state == EmailState::Failed && e.to == *facts.contact);
    if last_failed && !state.past_point_of_no_return() {
        return Some(NextStep::Waiting(Waiting::LastEmailFailed));
    }
    if let Some(at) = state.closure_due_at() {
        return Some(NextStep::Closure { at });
    }
    match (state.stage, state.status) {
        (Stage::Onboarded, _) => Some(NextStep::Waiting(Waiting::OnboardedNotProvisioned)),
        (Stage::AwaitingProvisioning, LineStatus::Closed) => {
            Some(NextStep::Waiting(Waiting::ClosedInProgress))
        }
        _ => None,
    }
}

/// Why the line waits for a person, if it does (what the line shows).
pub fn waiting(facts: StepFacts<'_>) -> Option<Waiting> {
    match next_step(facts)? {
        NextStep::Waiting(w) => Some(w),
        _ => None,
    }
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod walk_tests;
