//! Audit events (R11): every action and state change writes one, with actor and time.

use serde_json::{Value, json};

use crate::state::{ClosedReason, Stage};

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
}

impl EventType {
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
        }
    }
}

/// One audit record before it is stored; the store adds the line, actor and time.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventType,
    pub data: Value,
}

impl Event {
    pub fn new(kind: EventType, data: Value) -> Self {
        Self { kind, data }
    }

    pub fn stage_changed(kind: EventType, from: Stage, to: Stage) -> Self {
        Self::new(kind, json!({ "from": from.as_str(), "to": to.as_str() }))
    }

    pub fn closed(reason: ClosedReason) -> Self {
        Self::new(EventType::LineClosed, json!({ "reason": reason.as_str() }))
    }
}
