//! Why a rule refused: the domain's typed refusals. The server maps each to a problem code and
//! HTTP status in one table (crates/server/src/error.rs) and renders its words per edge from
//! the translation key of [`Refusal::key`] (`locales/*/errors.ftl`); nothing here is prose.

use crate::event::{Event, RefusedAction};
use crate::ids::CaseId;
use crate::state::Stage;

/// Whom to ask when you may not act on an order yourself (case 1.1 of the article).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrderingContact {
    pub name: String,
    pub email: String,
}

/// What a permission check was about, so the refusal can say what is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// R5: resend or change the provisioning contact.
    LineAction,
    /// R9: cancel a line.
    Cancel,
    /// R7 / R8 by API: report onboarding or completed configuration.
    Report,
    /// Administration: companies, users, API keys, policies.
    AdminOnly,
    /// Support agents help with orders; they do not place them.
    SupportAgentOrders,
    /// An order must name the caller's own company as partner or distributor.
    OwnCompanyOrders,
    /// Only admins and integrations place orders on someone's behalf.
    OnBehalf,
    /// Offer policies are changed by an admin through the API, not at the command line.
    PolicyByApi,
    /// Support cases: answers, internal notes, claims and on-behalf resends are support's.
    CaseSupportOnly,
}

impl Denial {
    pub fn key(self) -> &'static str {
        match self {
            Denial::LineAction => "denied-line-action",
            Denial::Cancel => "denied-cancel",
            Denial::Report => "denied-report",
            Denial::AdminOnly => "denied-admin-only",
            Denial::SupportAgentOrders => "denied-support-agent-orders",
            Denial::OwnCompanyOrders => "denied-own-company-orders",
            Denial::OnBehalf => "denied-on-behalf",
            Denial::PolicyByApi => "denied-policy-by-api",
            Denial::CaseSupportOnly => "denied-case-support-only",
        }
    }
}

/// A state change a line's stage does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineAction {
    Onboard,
    MarkProvisioned,
    Cancel,
}

impl LineAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LineAction::Onboard => "onboard",
            LineAction::MarkProvisioned => "mark_provisioned",
            LineAction::Cancel => "cancel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The thing does not exist, or the actor may not learn that it does.
    #[error("not found")]
    NotFound,
    /// R5: with the ordering contact to ask, when the actor may see the order.
    #[error("permission denied ({reason:?})")]
    PermissionDenied {
        reason: Denial,
        ordering_contact: Option<OrderingContact>,
    },
    /// R3: the line is onboarded; setup is finished in the admin portal.
    #[error("past the point of no return")]
    PastPointOfNoReturn,
    #[error("the line is cancelled")]
    LineCancelled,
    /// R10: too many resends in the rolling hour.
    #[error("rate limited: {limit} per hour, retry after {retry_after_secs} s")]
    RateLimited { limit: u32, retry_after_secs: u64 },
    #[error("cannot {} a line that is {from}", .action.as_str())]
    InvalidTransition { from: Stage, action: LineAction },
    /// A second open case for the same line and request type: this one is open.
    #[error("case {case_id} is open for this line and request")]
    CaseExists { case_id: CaseId },
    /// SPEC §11: too many cases opened in the rolling hour.
    #[error("rate limited: {limit} cases per hour, retry after {retry_after_secs} s")]
    CaseRateLimited { limit: u32, retry_after_secs: u64 },
    /// An on-behalf resend needs a case about a line.
    #[error("the case is about no line")]
    CaseWithoutLine,
}

impl Refusal {
    /// The stable problem code (SPEC §6).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotFound => "not_found",
            Refusal::PermissionDenied { .. } => "permission_denied",
            Refusal::PastPointOfNoReturn => "past_point_of_no_return",
            Refusal::LineCancelled => "line_cancelled",
            Refusal::RateLimited { .. } => "resend_rate_limited",
            Refusal::InvalidTransition { .. } => "invalid_transition",
            Refusal::CaseExists { .. } => "already_exists",
            Refusal::CaseRateLimited { .. } => "rate_limited",
            Refusal::CaseWithoutLine => "invalid_transition",
        }
    }

    /// The translation key of the refusal's message.
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::NotFound => "refused-not-found",
            Refusal::PermissionDenied { reason, .. } => reason.key(),
            Refusal::PastPointOfNoReturn => "refused-past-point-of-no-return",
            Refusal::LineCancelled => "refused-line-cancelled",
            Refusal::RateLimited { .. } => "refused-rate-limited",
            Refusal::InvalidTransition { action, .. } => match action {
                LineAction::Onboard => "refused-transition-onboard",
                LineAction::MarkProvisioned => "refused-transition-mark-provisioned",
                LineAction::Cancel => "refused-transition-cancel",
            },
            Refusal::CaseExists { .. } => "refused-case-exists",
            Refusal::CaseRateLimited { .. } => "refused-case-rate-limited",
            Refusal::CaseWithoutLine => "refused-case-without-line",
        }
    }

    /// SPEC §9: refusals of a resend or contact change that the actor may learn about are
    /// audited as `resend.refused`; `not_found` and bad input write nothing.
    pub fn audit(&self, action: RefusedAction) -> Option<Event> {
        match self {
            Refusal::PermissionDenied { .. }
            | Refusal::PastPointOfNoReturn
            | Refusal::LineCancelled
            | Refusal::RateLimited { .. } => Some(Event::ResendRefused {
                action,
                code: self.code(),
            }),
            Refusal::NotFound
            | Refusal::InvalidTransition { .. }
            | Refusal::CaseExists { .. }
            | Refusal::CaseRateLimited { .. }
            | Refusal::CaseWithoutLine => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_the_actor_may_learn_about_are_audited() {
        let audited = [
            Refusal::PermissionDenied {
                reason: Denial::LineAction,
                ordering_contact: None,
            },
            Refusal::PastPointOfNoReturn,
            Refusal::LineCancelled,
            Refusal::RateLimited {
                limit: 5,
                retry_after_secs: 9,
            },
        ];
        for r in &audited {
            let event = r.audit(RefusedAction::Resend).expect("audited");
            assert_eq!(event.data()["code"], r.code());
        }
        assert_eq!(Refusal::NotFound.audit(RefusedAction::Resend), None);
        let transition = Refusal::InvalidTransition {
            from: Stage::Cancelled,
            action: LineAction::Cancel,
        };
        assert_eq!(transition.audit(RefusedAction::ChangeContact), None);
    }
}
