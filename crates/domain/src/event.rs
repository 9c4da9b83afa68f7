//! Audit events (R11): every action and state change writes one, with actor and time.
//!
//! An event is a typed value made by the rules (or the app layer); a store backend persists
//! its [`Event::kind`] and its [`Event::data`] (the variant's fields as JSON) and never builds
//! one itself, so every backend writes exactly the same records.

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::ids::CaseId;
use crate::state::{CaseRequestType, ClosedReason, CompanyKind, EmailKind, Role, Stage};
use crate::values::{ContactEmail, OfferSku};

/// The event types of SPEC §3 (R11). The spelling is stable: clients filter on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    OrderCreated,
    EmailQueued,
    EmailSent,
    EmailFailed,
    EmailCancelled,
    ResendRequested,
    ResendRefused,
    ContactChanged,
    LineOnboarded,
    LineProvisioned,
    LineClosed,
    LineCancelled,
    PolicyChanged,
    CompanyCreated,
    UserCreated,
    PasswordSet,
    UserDisabled,
    UserEnabled,
    UserChanged,
    ApiKeyCreated,
    ApiKeyRevoked,
    CaseOpened,
    CaseCommented,
    CaseClaimed,
    CaseResolved,
    CaseReopened,
}

impl EventType {
    pub const ALL: &'static [EventType] = &[
        Self::OrderCreated,
        Self::EmailQueued,
        Self::EmailSent,
        Self::EmailFailed,
        Self::EmailCancelled,
        Self::ResendRequested,
        Self::ResendRefused,
        Self::ContactChanged,
        Self::LineOnboarded,
        Self::LineProvisioned,
        Self::LineClosed,
        Self::LineCancelled,
        Self::PolicyChanged,
        Self::CompanyCreated,
        Self::UserCreated,
        Self::PasswordSet,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::UserChanged,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
        Self::CaseOpened,
        Self::CaseCommented,
        Self::CaseClaimed,
        Self::CaseResolved,
        Self::CaseReopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderCreated => "order.created",
            Self::EmailQueued => "email.queued",
            Self::EmailSent => "email.sent",
            Self::EmailFailed => "email.failed",
            Self::EmailCancelled => "email.cancelled",
            Self::ResendRequested => "resend.requested",
            Self::ResendRefused => "resend.refused",
            Self::ContactChanged => "contact.changed",
            Self::LineOnboarded => "line.onboarded",
            Self::LineProvisioned => "line.provisioned",
            Self::LineClosed => "line.closed",
            Self::LineCancelled => "line.cancelled",
            Self::PolicyChanged => "policy.changed",
            Self::CompanyCreated => "company.created",
            Self::UserCreated => "user.created",
            Self::PasswordSet => "user.password_set",
            Self::UserDisabled => "user.disabled",
            Self::UserEnabled => "user.enabled",
            Self::UserChanged => "user.changed",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::CaseOpened => "case.opened",
            Self::CaseCommented => "case.commented",
            Self::CaseClaimed => "case.claimed",
            Self::CaseResolved => "case.resolved",
            Self::CaseReopened => "case.reopened",
        }
    }
}

/// How a line's stage moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StageChange {
    pub from: Stage,
    pub to: Stage,
}

/// One attempt at an email, as its `email.sent` / `email.failed` event tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub email_id: Uuid,
    pub kind: EmailKind,
    pub to: ContactEmail,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// The SMTP reply (or what went wrong on the way).
    pub reply: String,
}

/// Why a waiting email was not sent after all (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overtaken {
    LineCancelled,
    PastPointOfNoReturn,
    ContactChanged,
}

/// The action a `resend.refused` event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusedAction {
    Resend,
    ChangeContact,
}

/// Where an action came from when it matters to the audit: onboarding by API or by the setup
/// link; a resend or contact change from the setup page (`setup_link`; otherwise absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// An integration, support agent or admin by API.
    Api,
    /// The provisioning contact on the setup page.
    SetupLink,
}

/// One audit record before it is stored; the store adds the order, line, actor and time.
/// Serialized (untagged) it is the event's `data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Event {
    OrderCreated {
        lines: usize,
    },
    EmailQueued {
        email_id: Uuid,
        kind: EmailKind,
        to: ContactEmail,
    },
    /// The SMTP server accepted the email (or it was written to a file); the first
    /// acceptance of a line also tells how its stage moved (R1).
    EmailSent {
        #[serde(flatten)]
        attempt: Attempt,
        #[serde(skip_serializing_if = "Option::is_none")]
        stage: Option<StageChange>,
    },
    EmailFailed(Attempt),
    EmailCancelled {
        email_id: Uuid,
        reason: Overtaken,
    },
    ResendRequested {
        email_id: Uuid,
        to: ContactEmail,
        /// Before the RSD a resend is the first send (R2).
        first_send: bool,
        /// `setup_link`: asked for from the setup page ("Send me a fresh link").
        #[serde(skip_serializing_if = "Option::is_none")]
        via: Option<Via>,
        /// Support resent on the opener's behalf from this case (SPEC §10).
        #[serde(skip_serializing_if = "Option::is_none")]
        case_id: Option<CaseId>,
    },
    /// A refusal the actor may learn about (SPEC §9); `code` is the problem code.
    ResendRefused {
        action: RefusedAction,
        code: &'static str,
    },
    ContactChanged {
        from: ContactEmail,
        to: ContactEmail,
        send_now: bool,
        /// `setup_link`: the contact handed the setup off to a colleague (SPEC §10).
        #[serde(skip_serializing_if = "Option::is_none")]
        via: Option<Via>,
    },
    LineOnboarded {
        #[serde(flatten)]
        stage: StageChange,
        organization: String,
        organization_id: String,
        via: Via,
    },
    LineProvisioned(StageChange),
    LineClosed {
        reason: ClosedReason,
    },
    LineCancelled(StageChange),
    PolicyChanged {
        offer: OfferSku,
        window_days: u32,
    },
    /// Administration (SPEC §10), about no order: who created a company or a user, and who
    /// changed whose access.
    CompanyCreated {
        company: String,
        kind: CompanyKind,
    },
    UserCreated {
        user: ContactEmail,
        company: String,
        role: Role,
        can_resend: bool,
    },
    /// A web sign-in password was set (never the password).
    PasswordSet {
        user: ContactEmail,
    },
    UserDisabled {
        user: ContactEmail,
    },
    UserEnabled {
        user: ContactEmail,
    },
    /// May resend (and change contacts) or not any more.
    UserChanged {
        user: ContactEmail,
        can_resend: bool,
    },
    ApiKeyCreated {
        user: ContactEmail,
    },
    ApiKeyRevoked {
        user: ContactEmail,
        key_id: Uuid,
    },
    /// Support cases (SPEC §11), about the case (not its line).
    CaseOpened {
        case_id: CaseId,
        request_type: CaseRequestType,
    },
    CaseCommented {
        case_id: CaseId,
        comment_id: Uuid,
        internal: bool,
    },
    CaseClaimed {
        case_id: CaseId,
    },
    CaseResolved {
        case_id: CaseId,
        /// The line was onboarded: the service resolved it.
        by_service: bool,
    },
    CaseReopened {
        case_id: CaseId,
    },
}

impl Event {
    pub fn kind(&self) -> EventType {
        match self {
            Event::OrderCreated { .. } => EventType::OrderCreated,
            Event::EmailQueued { .. } => EventType::EmailQueued,
            Event::EmailSent { .. } => EventType::EmailSent,
            Event::EmailFailed(_) => EventType::EmailFailed,
            Event::EmailCancelled { .. } => EventType::EmailCancelled,
            Event::ResendRequested { .. } => EventType::ResendRequested,
            Event::ResendRefused { .. } => EventType::ResendRefused,
            Event::ContactChanged { .. } => EventType::ContactChanged,
            Event::LineOnboarded { .. } => EventType::LineOnboarded,
            Event::LineProvisioned(_) => EventType::LineProvisioned,
            Event::LineClosed { .. } => EventType::LineClosed,
            Event::LineCancelled(_) => EventType::LineCancelled,
            Event::PolicyChanged { .. } => EventType::PolicyChanged,
            Event::CompanyCreated { .. } => EventType::CompanyCreated,
            Event::UserCreated { .. } => EventType::UserCreated,
            Event::PasswordSet { .. } => EventType::PasswordSet,
            Event::UserDisabled { .. } => EventType::UserDisabled,
            Event::UserEnabled { .. } => EventType::UserEnabled,
            Event::UserChanged { .. } => EventType::UserChanged,
            Event::ApiKeyCreated { .. } => EventType::ApiKeyCreated,
            Event::ApiKeyRevoked { .. } => EventType::ApiKeyRevoked,
            Event::CaseOpened { .. } => EventType::CaseOpened,
            Event::CaseCommented { .. } => EventType::CaseCommented,
            Event::CaseClaimed { .. } => EventType::CaseClaimed,
            Event::CaseResolved { .. } => EventType::CaseResolved,
            Event::CaseReopened { .. } => EventType::CaseReopened,
        }
    }

    /// The event's fields as stored and shown (`data` of SPEC §7's event shape).
    pub fn data(&self) -> Value {
        // Every field is a string, number, bool or a struct of those: this cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// [`Event::data`] as the stores keep it: the same fields written straight as JSON text,
    /// without the map `data` builds first (an event is written with every closed line,
    /// first send and sent email; the map was ~5 % of a closure's CPU). Its keys come in the
    /// fields' order instead of sorted: a reader parses the text back into `data`'s value.
    pub fn stored_data(&self) -> String {
        // As `data`: this cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn email(s: &str) -> ContactEmail {
        ContactEmail::parse(s).unwrap()
    }

    #[test]
    fn data_keeps_the_published_shapes() {
        let id = Uuid::from_u128(7);
        let attempt = Attempt {
            email_id: id,
            kind: EmailKind::Initial,
            to: email("kim@kund.test"),
            attempts: 1,
            reply: "250 ok".into(),
        };
        let first = Event::EmailSent {
            attempt: attempt.clone(),
            stage: Some(StageChange {
                from: Stage::Scheduled,
                to: Stage::AwaitingProvisioning,
            }),
        };
        assert_eq!(first.kind().as_str(), "email.sent");
        assert_eq!(
            first.data(),
            json!({"email_id": id.to_string(), "kind": "initial", "to": "kim@kund.test",
                   "attempts": 1, "reply": "250 ok",
                   "stage": {"from": "scheduled", "to": "awaiting_provisioning"}})
        );
        let later = Event::EmailSent {
            attempt,
            stage: None,
        };
        assert!(later.data().get("stage").is_none());
        for event in [&first, &later] {
            let stored: Value = serde_json::from_str(&event.stored_data()).unwrap();
            assert_eq!(stored, event.data(), "{event:?}");
        }
        let onboarded = Event::LineOnboarded {
            stage: StageChange {
                from: Stage::AwaitingProvisioning,
                to: Stage::Onboarded,
            },
            organization: "Kund AB".into(),
            organization_id: "org_1".into(),
            via: Via::SetupLink,
        };
        assert_eq!(
            onboarded.data(),
            json!({"from": "awaiting_provisioning", "to": "onboarded", "organization": "Kund AB",
                   "organization_id": "org_1", "via": "setup_link"})
        );
        let stored: Value = serde_json::from_str(&onboarded.stored_data()).unwrap();
        assert_eq!(stored, onboarded.data());
        assert_eq!(
            Event::LineClosed {
                reason: ClosedReason::ProvisioningWindowLapsed
            }
            .data(),
            json!({"reason": "provisioning_window_lapsed"})
        );
        assert_eq!(
            Event::ResendRefused {
                action: RefusedAction::ChangeContact,
                code: "permission_denied"
            }
            .data(),
            json!({"action": "change_contact", "code": "permission_denied"})
        );
        assert_eq!(
            Event::EmailCancelled {
                email_id: id,
                reason: Overtaken::PastPointOfNoReturn
            }
            .data(),
            json!({"email_id": id.to_string(), "reason": "past_point_of_no_return"})
        );
    }
}
