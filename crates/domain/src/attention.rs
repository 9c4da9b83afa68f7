//! What needs a person (SPEC §11, the workspace's attention list): a line that will not move
//! on by itself, or soon will not, listed once under its most urgent reason. Read off what
//! happens next to the line ([`crate::next_step`]) and the partner's resend limit (R10), so
//! a line leaves the list by itself the moment the reason is gone.

use jiff::{SignedDuration, Timestamp};

use crate::next_step::{NextStep, StepFacts, Waiting, next_step};
use crate::rate_limit::ResendBudget;
use crate::state::{Stage, UnknownVariant};

/// "Closing soon": the window ends within this time, and the customer has not onboarded.
pub const CLOSING_SOON: SignedDuration = SignedDuration::from_hours(48);

/// Why a line needs a person, most urgent first (the order of [`Attention::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attention {
    /// The last email to the current contact failed: change the contact, or resend.
    LastEmailFailed,
    /// Closed by policy, not onboarded: resend, or change the contact.
    ClosedInProgress,
    /// The window closes within [`CLOSING_SOON`] and the customer has not onboarded.
    ClosingSoon,
    /// The partner's resends of the last hour are used up (R10): wait, or open a case.
    ResendBudgetUsed,
    /// Past the point of no return, not yet provisioned: finish at the admin portal.
    OnboardedNotProvisioned,
}

impl Attention {
    /// Every reason, most urgent first.
    pub const ALL: [Attention; 5] = [
        Attention::LastEmailFailed,
        Attention::ClosedInProgress,
        Attention::ClosingSoon,
        Attention::ResendBudgetUsed,
        Attention::OnboardedNotProvisioned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Attention::LastEmailFailed => "last_email_failed",
            Attention::ClosedInProgress => "closed_in_progress",
            Attention::ClosingSoon => "closing_soon",
            Attention::ResendBudgetUsed => "resend_budget_used",
            Attention::OnboardedNotProvisioned => "onboarded_not_provisioned",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownVariant> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == raw)
            .ok_or_else(|| UnknownVariant {
                what: "attention reason",
                value: raw.to_owned(),
                allowed: Self::ALL.map(Attention::as_str).join(", "),
            })
    }
}

/// The line's most urgent reason to need a person at `now`, if any. `budget` is the partner's
/// resend limit as the line has used it ([`crate::decide::resend_budget`]).
pub fn attention(step: StepFacts<'_>, budget: &ResendBudget, now: Timestamp) -> Option<Attention> {
    let state = step.state;
    if !state.provisioning_in_progress() {
        return None;
    }
    if state.stage == Stage::Onboarded {
        return Some(Attention::OnboardedNotProvisioned);
    }
    match next_step(step) {
        Some(NextStep::Waiting(Waiting::LastEmailFailed)) => {
            return Some(Attention::LastEmailFailed);
        }
        Some(NextStep::Waiting(Waiting::ClosedInProgress)) => {
            return Some(Attention::ClosedInProgress);
        }
        _ => {}
    }
    if state
        .closure_due_at()
        .is_some_and(|at| at.duration_since(now) <= CLOSING_SOON)
    {
        return Some(Attention::ClosingSoon);
    }
    budget.next_at.map(|_| Attention::ResendBudgetUsed)
}

/// How a store narrows the lines it reads for the attention list: every line that could need
/// a person at `now` matches these (a superset; [`attention`] decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidates {
    /// Lines whose window closes before this instant.
    pub closing_before: Timestamp,
    /// Lines with a resend queued since this instant (the rate limit's window).
    pub resent_since: Timestamp,
}

impl Candidates {
    pub fn at(now: Timestamp) -> Self {
        Self {
            closing_before: now + CLOSING_SOON,
            resent_since: now - crate::rate_limit::WINDOW,
        }
    }
}

#[cfg(test)]
#[path = "attention_tests.rs"]
mod tests;
