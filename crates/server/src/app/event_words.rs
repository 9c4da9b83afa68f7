//! An audit event in words (issue 19: "never an internal code on a page"). A stored event
//! (its type and JSON data) is read back into a typed [`What`], its actor into a typed
//! [`By`]; each gives its words as [`Message`]s (a translation key with arguments) that the
//! edges render in the reader's language. One reading serves a line's timeline (pages, API,
//! CSV) and the audit log; an event type this code does not know gets generic words.

use provisio_domain::event::{EventType, Overtaken};
use provisio_domain::{ClosedReason, CompanyKind, EmailKind, Role};
use provisio_store::EventRecord;
use serde_json::Value;

use crate::error::Message;

/// Who did something, as a history names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    /// A user, by name and role; a support agent acting on a case names it (the cases issue
    /// writes `case_id` into the event's data).
    Person {
        name: String,
        role: Role,
        case: Option<String>,
    },
    /// Whoever holds the setup link, on the setup page.
    Customer,
    /// The automatic first email, at the start of the requested start date.
    ServiceOnStartDate,
    /// provisio itself: delivery, closure by policy, mail overtaken.
    Service,
    /// The operator at the command line (administration without a person).
    CommandLine,
}

impl By {
    /// The event's user, if it names one.
    pub fn person(event: &EventRecord) -> Option<By> {
        let name = event.actor_name.clone().or(event.actor_email.clone())?;
        Some(By::Person {
            name,
            role: event.actor_role.unwrap_or(Role::Member),
            case: event.data.get("case_id").and_then(|c| match c {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
        })
    }

    pub fn message(&self) -> Message {
        match self {
            By::Person { name, role, case } => {
                let key = match (role, case) {
                    (Role::SupportAgent, Some(_)) => "timeline-by-agent-case",
                    (Role::SupportAgent, None) => "timeline-by-agent",
                    (Role::Admin, _) => "timeline-by-admin",
                    (Role::Integration, _) => "timeline-by-integration",
                    (Role::Member, _) => "timeline-by-person",
                };
                let m = Message::new(key).with("name", name.clone());
                match case {
                    Some(case) => m.with("case", case.clone()),
                    None => m,
                }
            }
            By::Customer => Message::new("timeline-by-customer"),
            By::ServiceOnStartDate => Message::new("timeline-by-service-start"),
            By::Service => Message::new("timeline-by-service"),
            By::CommandLine => Message::new("admin-audit-operator"),
        }
    }
}

/// An email an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub id: Option<uuid::Uuid>,
    pub kind: Option<EmailKind>,
    pub to: String,
}

/// What the mail server (or the transport) answered to an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An SMTP reply: its code and the whole line as the server gave it.
    Smtp { code: u16, text: String },
    /// The file transport wrote the message to a file: no mail server was asked.
    File,
    /// No reply: what went wrong on the way (connection, TLS, a timeout).
    NoReply(String),
}

impl Reply {
    pub fn of(raw: &str) -> Reply {
        let raw = raw.trim();
        if raw.starts_with("written to ") {
            return Reply::File;
        }
        match raw.get(..3).and_then(|c| c.parse::<u16>().ok()) {
            Some(code) if (200..600).contains(&code) => Reply::Smtp {
                code,
                text: raw.to_owned(),
            },
            _ => Reply::NoReply(raw.to_owned()),
        }
    }

    /// "The mail server accepted it: 250 …", "… refused it: 550 …".
    pub fn message(&self) -> Message {
        match self {
            Reply::Smtp { code, text } => {
                let key = match code {
                    200..=299 => "timeline-reply-accepted",
                    400..=499 => "timeline-reply-later",
                    _ => "timeline-reply-refused",
                };
                Message::new(key).with("reply", text.clone())
            }
            Reply::File => Message::new("timeline-reply-file"),
            Reply::NoReply(text) => Message::new("timeline-reply-none").with("reply", text.clone()),
        }
    }
}

/// What happened, read from a stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    OrderPlaced,
    EmailQueued(Mail),
    EmailSent {
        mail: Mail,
        attempts: u64,
        reply: Reply,
        /// The first acceptance: the provisioning window started.
        window_started: bool,
    },
    EmailFailed {
        mail: Mail,
        attempts: u64,
        reply: Reply,
    },
    EmailCancelled {
        id: Option<uuid::Uuid>,
        reason: Option<Overtaken>,
    },
    ResendRequested {
        mail: Mail,
        first_send: bool,
        /// "Send me a fresh link" on the setup page.
        fresh_link: bool,
    },
    ResendRefused {
        contact_change: bool,
        code: String,
    },
    ContactChanged {
        from: String,
        to: String,
        send_now: bool,
        /// Handed off to a colleague on the setup page.
        hand_off: bool,
    },
    Onboarded {
        organization: String,
    },
    Provisioned,
    Closed {
        reason: Option<ClosedReason>,
    },
    Cancelled,
    PolicyChanged {
        offer: String,
        window_days: u64,
    },
    CompanyCreated {
        company: String,
        kind: Option<CompanyKind>,
    },
    UserCreated {
        user: String,
        company: String,
        role: Option<Role>,
        can_resend: bool,
    },
    PasswordSet {
        user: String,
    },
    UserDisabled {
        user: String,
    },
    UserEnabled {
        user: String,
    },
    UserChanged {
        user: String,
        can_resend: bool,
    },
    ApiKeyCreated {
        user: String,
    },
    ApiKeyRevoked {
        user: String,
    },
    /// A type this code does not know (generic words, never its code).
    Other,
}

fn text(data: &Value, name: &str) -> String {
    data.get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn number(data: &Value, name: &str) -> u64 {
    data.get(name).and_then(Value::as_u64).unwrap_or_default()
}

fn flag(data: &Value, name: &str) -> bool {
    data.get(name).and_then(Value::as_bool).unwrap_or_default()
}

fn via_setup(data: &Value) -> bool {
    data.get("via").and_then(Value::as_str) == Some("setup_link")
}

fn mail(data: &Value) -> Mail {
    Mail {
        id: data
            .get("email_id")
            .and_then(Value::as_str)
            .and_then(|id| uuid::Uuid::parse_str(id).ok()),
        kind: data
            .get("kind")
            .and_then(Value::as_str)
            .and_then(|k| EmailKind::parse(k).ok()),
        to: text(data, "to"),
    }
}

fn overtaken(raw: &str) -> Option<Overtaken> {
    match raw {
        "line_cancelled" => Some(Overtaken::LineCancelled),
        "past_point_of_no_return" => Some(Overtaken::PastPointOfNoReturn),
        "contact_changed" => Some(Overtaken::ContactChanged),
        _ => None,
    }
}

impl What {
    pub fn of(event: &EventRecord) -> What {
        let d = &event.data;
        let Some(kind) = EventType::ALL
            .iter()
            .find(|t| t.as_str() == event.kind)
            .copied()
        else {
            return What::Other;
        };
        let user = || text(d, "user");
        match kind {
            EventType::OrderCreated => What::OrderPlaced,
            EventType::EmailQueued => What::EmailQueued(mail(d)),
            EventType::EmailSent => What::EmailSent {
                mail: mail(d),
                attempts: number(d, "attempts"),
                reply: Reply::of(&text(d, "reply")),
                window_started: d.get("stage").is_some(),
            },
            EventType::EmailFailed => What::EmailFailed {
                mail: mail(d),
                attempts: number(d, "attempts"),
                reply: Reply::of(&text(d, "reply")),
            },
            EventType::EmailCancelled => What::EmailCancelled {
                id: mail(d).id,
                reason: overtaken(&text(d, "reason")),
            },
            EventType::ResendRequested => What::ResendRequested {
                mail: mail(d),
                first_send: flag(d, "first_send"),
                fresh_link: via_setup(d),
            },
            EventType::ResendRefused => What::ResendRefused {
                contact_change: text(d, "action") == "change_contact",
                code: text(d, "code"),
            },
            EventType::ContactChanged => What::ContactChanged {
                from: text(d, "from"),
                to: text(d, "to"),
                send_now: flag(d, "send_now"),
                hand_off: via_setup(d),
            },
            EventType::LineOnboarded => What::Onboarded {
                organization: text(d, "organization"),
            },
            EventType::LineProvisioned => What::Provisioned,
            EventType::LineClosed => What::Closed {
                reason: ClosedReason::parse(&text(d, "reason")).ok(),
            },
            EventType::LineCancelled => What::Cancelled,
            // A case's events are about the case, shown on its page, never in a line's
            // history or the administration log.
            EventType::CaseOpened
            | EventType::CaseCommented
            | EventType::CaseClaimed
            | EventType::CaseResolved
            | EventType::CaseReopened => What::Other,
            EventType::PolicyChanged => What::PolicyChanged {
                offer: text(d, "offer"),
                window_days: number(d, "window_days"),
            },
            EventType::CompanyCreated => What::CompanyCreated {
                company: text(d, "company"),
                kind: CompanyKind::parse(&text(d, "kind")).ok(),
            },
            EventType::UserCreated => What::UserCreated {
                user: user(),
                company: text(d, "company"),
                role: Role::parse(&text(d, "role")).ok(),
                can_resend: flag(d, "can_resend"),
            },
            EventType::PasswordSet => What::PasswordSet { user: user() },
            EventType::UserDisabled => What::UserDisabled { user: user() },
            EventType::UserEnabled => What::UserEnabled { user: user() },
            EventType::UserChanged => What::UserChanged {
                user: user(),
                can_resend: flag(d, "can_resend"),
            },
            EventType::ApiKeyCreated => What::ApiKeyCreated { user: user() },
            EventType::ApiKeyRevoked => What::ApiKeyRevoked { user: user() },
        }
    }

    /// The email this is about, if it names one.
    pub fn email_id(&self) -> Option<uuid::Uuid> {
        match self {
            What::EmailQueued(mail)
            | What::EmailSent { mail, .. }
            | What::EmailFailed { mail, .. }
            | What::ResendRequested { mail, .. } => mail.id,
            What::EmailCancelled { id, .. } => *id,
            _ => None,
        }
    }
}

mod text;
pub use text::state;
