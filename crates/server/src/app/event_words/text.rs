//! The words of a [`What`]: a short title and the details, as messages (keys in
//! `locales/*/web.ftl`, the timeline block).

use provisio_domain::event::Overtaken;
use provisio_domain::{ClosedReason, CompanyKind, EmailKind, EmailState, Role};

use super::{Mail, What};
use crate::error::Message;

/// "The first email to kim@…", "A resent email to …".
fn mail(m: &Mail) -> Message {
    let key = match m.kind {
        Some(EmailKind::Initial) => "timeline-mail-initial",
        Some(EmailKind::Resend) => "timeline-mail-resend",
        Some(EmailKind::ContactChanged) => "timeline-mail-contact_changed",
        Some(EmailKind::Reminder) => "timeline-mail-reminder",
        Some(EmailKind::HandedOff) => "timeline-mail-handed_off",
        Some(EmailKind::CaseOpened | EmailKind::CaseAnswered | EmailKind::CaseResolved) | None => {
            "timeline-mail-other"
        }
    };
    Message::new(key).with("to", m.to.clone())
}

/// An email's delivery state in words (the labels the pages use).
pub fn state(s: EmailState) -> Message {
    Message::new(match s {
        EmailState::Queued => "email-state-queued",
        EmailState::Sending => "email-state-sending",
        EmailState::Sent => "email-state-sent",
        EmailState::Retrying => "email-state-retrying",
        EmailState::Failed => "email-state-failed",
        EmailState::Cancelled => "email-state-cancelled",
    })
}

fn attempts(count: u64) -> Option<Message> {
    (count > 1).then(|| Message::new("timeline-attempts").with("count", count.to_string()))
}

fn may_resend(yes: bool) -> Message {
    Message::new(match yes {
        true => "timeline-may-resend",
        false => "timeline-may-not-resend",
    })
}

fn role(r: Role) -> Message {
    Message::new(match r {
        Role::Member => "admin-role-member",
        Role::SupportAgent => "admin-role-support_agent",
        Role::Admin => "admin-role-admin",
        Role::Integration => "admin-role-integration",
    })
}

fn company_kind(k: CompanyKind) -> Message {
    Message::new(match k {
        CompanyKind::Partner => "admin-kind-partner",
        CompanyKind::Distributor => "admin-kind-distributor",
        CompanyKind::Operator => "admin-kind-operator",
    })
}

/// Why an action was refused, for a refusal code.
fn refusal(code: &str) -> Message {
    Message::new(match code {
        "permission_denied" => "timeline-refused-permission",
        "past_point_of_no_return" => "timeline-refused-ponr",
        "line_cancelled" => "timeline-refused-cancelled",
        "resend_rate_limited" => "timeline-refused-rate-limited",
        _ => "timeline-refused-other",
    })
}

fn user(key: &'static str, user: &str) -> Message {
    Message::new(key).with("user", user.to_owned())
}

impl What {
    /// What happened, in a few words.
    pub fn title(&self) -> Message {
        Message::new(match self {
            What::OrderPlaced => "timeline-order-placed",
            What::EmailQueued(_) => "timeline-email-queued",
            What::EmailSent { .. } => "timeline-email-sent",
            What::EmailFailed { .. } => "timeline-email-failed",
            What::EmailCancelled { .. } => "timeline-email-cancelled",
            What::ResendRequested {
                fresh_link: true, ..
            } => "timeline-fresh-link",
            What::ResendRequested { .. } => "timeline-resend",
            What::ResendRefused {
                contact_change: true,
                ..
            } => "timeline-contact-refused",
            What::ResendRefused { .. } => "timeline-resend-refused",
            What::ContactChanged { hand_off: true, .. } => "timeline-handed-off",
            What::ContactChanged { .. } => "timeline-contact-changed",
            What::Onboarded { .. } => "timeline-onboarded",
            What::Provisioned => "timeline-provisioned",
            What::Closed { .. } => "timeline-closed",
            What::Cancelled => "timeline-cancelled",
            What::PolicyChanged { .. } => "event-policy-changed",
            What::CompanyCreated { .. } => "event-company-created",
            What::UserCreated { .. } => "event-user-created",
            What::PasswordSet { .. } => "event-user-password_set",
            What::UserDisabled { .. } => "event-user-disabled",
            What::UserEnabled { .. } => "event-user-enabled",
            What::UserChanged { .. } => "event-user-changed",
            What::ApiKeyCreated { .. } => "event-api_key-created",
            What::ApiKeyRevoked { .. } => "event-api_key-revoked",
            What::Other => "timeline-other",
        })
    }

    /// The details, one sentence each: the email and the mail server's reply, old and new
    /// contact, why something was refused or not sent.
    pub fn details(&self) -> Vec<Message> {
        match self {
            What::OrderPlaced | What::Provisioned | What::Cancelled | What::Other => vec![],
            What::EmailQueued(m) => vec![mail(m)],
            What::EmailSent {
                mail: m,
                attempts: n,
                reply,
                window_started,
            } => {
                let mut words = vec![mail(m), reply.message()];
                words.extend(attempts(*n));
                if *window_started {
                    words.push(Message::new("timeline-window-started"));
                }
                words
            }
            What::EmailFailed {
                mail: m,
                attempts: n,
                reply,
            } => {
                let mut words = vec![mail(m), reply.message()];
                words.extend(attempts(*n));
                words
            }
            What::EmailCancelled { reason, .. } => reason
                .map(|r| {
                    Message::new(match r {
                        Overtaken::LineCancelled => "timeline-overtaken-cancelled",
                        Overtaken::PastPointOfNoReturn => "timeline-overtaken-ponr",
                        Overtaken::ContactChanged => "timeline-overtaken-contact",
                    })
                })
                .into_iter()
                .collect(),
            What::ResendRequested {
                mail: m,
                first_send,
                ..
            } => {
                let mut words = vec![Message::new("timeline-to").with("to", m.to.clone())];
                if *first_send {
                    words.push(Message::new("timeline-first-send"));
                }
                words
            }
            What::ResendRefused { code, .. } => vec![refusal(code)],
            What::ContactChanged {
                from, to, send_now, ..
            } => vec![
                Message::new("timeline-from-to")
                    .with("from", from.clone())
                    .with("to", to.clone()),
                Message::new(match send_now {
                    true => "timeline-send-now",
                    false => "timeline-send-on-start-date",
                }),
            ],
            What::Onboarded { organization } => {
                vec![
                    Message::new("timeline-organization")
                        .with("organization", organization.clone()),
                ]
            }
            What::Closed { reason } => reason
                .map(|r| {
                    Message::new(match r {
                        ClosedReason::ProvisioningWindowLapsed => "timeline-closed-lapsed",
                        ClosedReason::Provisioned => "timeline-closed-provisioned",
                        ClosedReason::Cancelled => "timeline-closed-cancelled",
                    })
                })
                .into_iter()
                .collect(),
            What::PolicyChanged { offer, window_days } => vec![
                Message::new("timeline-policy")
                    .with("offer", offer.clone())
                    .with("days", window_days.to_string()),
            ],
            What::CompanyCreated { company, kind } => {
                let m = Message::new("timeline-company").with("company", company.clone());
                vec![match kind {
                    Some(k) => m.with_message("kind", company_kind(*k)),
                    None => m.with("kind", ""),
                }]
            }
            What::UserCreated {
                user: u,
                company,
                role: r,
                can_resend,
            } => {
                let m = Message::new("timeline-user-created")
                    .with("user", u.clone())
                    .with("company", company.clone())
                    .with_message("resend", may_resend(*can_resend));
                vec![match r {
                    Some(r) => m.with_message("role", role(*r)),
                    None => m.with("role", ""),
                }]
            }
            What::PasswordSet { user: u }
            | What::UserDisabled { user: u }
            | What::UserEnabled { user: u }
            | What::ApiKeyCreated { user: u }
            | What::ApiKeyRevoked { user: u } => vec![user("timeline-user", u)],
            What::UserChanged {
                user: u,
                can_resend,
            } => vec![
                user("timeline-user-resend", u).with_message("resend", may_resend(*can_resend)),
            ],
        }
    }
}
