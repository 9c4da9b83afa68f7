//! Support cases (SPEC §7, §10, §11 "Cases"): who may see and work a case, the values its
//! decisions (`decide.rs`) read and return — opening (one open case per line, request type
//! and company; 10 openings per user per hour), comments (an agent's public answer waits on
//! the opener; the opener's comment reopens), claims, resolving (also by the line's
//! onboarding), and the notes an on-behalf resend leaves. Each decision returns all its
//! effects ([`CaseEffects`]): the state written over the version it read, the comment, the
//! events and the notification mail. Notifications go to the opener only for what others
//! did, never for internal notes; the agents get one per new case.

mod decide;

pub use decide::*;

use jiff::Timestamp;
use uuid::Uuid;

use crate::event::Event;
use crate::ids::{CaseId, CompanyId, UserId};
use crate::mail::{MintMail, NewMail, Recipient};
use crate::permission::Actor;
use crate::state::{CaseRequestType, CaseState, EmailKind, Role};
use crate::values::{SubRef, ValueError, WebOrderId};

/// Cases a user may open in a rolling hour (SPEC §11); refused requests do not count.
pub const CASES_PER_HOUR: u32 = 10;
/// The longest description or comment, in characters.
pub const TEXT_MAX_CHARS: usize = 10_000;

/// What a person wrote in a case: trimmed, not empty, at most [`TEXT_MAX_CHARS`]
/// characters, no control characters but line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseText(String);

impl CaseText {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(ValueError::invalid("value-text-empty", vec![]));
        }
        let chars = text.chars().count();
        if chars > TEXT_MAX_CHARS {
            return Err(ValueError::invalid(
                "value-too-long",
                vec![("max", TEXT_MAX_CHARS.to_string())],
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(ValueError::invalid("value-control-characters", vec![]));
        }
        Ok(Self(text.replace("\r\n", "\n")))
    }

    /// Wraps text read from storage.
    pub fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether the actor works cases (answers, internal notes, claims, on-behalf resends).
pub fn is_support(actor: &Actor) -> bool {
    matches!(actor.role, Role::SupportAgent | Role::Admin)
}

/// The one visibility rule of cases: support sees every case; everyone else their own
/// company's (the opener's company). Another company's case answers like an unknown one.
pub fn may_see(actor: &Actor, case_company: CompanyId) -> bool {
    is_support(actor) || actor.company_id == case_company
}

/// Whether the actor may read a comment: internal notes are support's alone.
pub fn may_read(actor: &Actor, internal: bool) -> bool {
    !internal || is_support(actor)
}

/// Who opened a case and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opener {
    pub user: UserId,
    pub company: CompanyId,
    pub to: Recipient,
}

/// A case as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub id: CaseId,
    pub state: CaseState,
    pub request_type: CaseRequestType,
    pub opener: Opener,
    pub claimed_by: Option<UserId>,
    /// The first public answer by support (the queue's time to first answer).
    pub first_answer_at: Option<Timestamp>,
    pub line: Option<SubRef>,
    /// Written over (compare-and-set).
    pub version: u32,
    /// For a resolved case: another case of the same line and request type that is open
    /// now (one may be open at a time, so this one cannot be reopened beside it).
    pub open_beside: Option<CaseId>,
}

/// A comment's content: a person's text, or a note the service writes in words of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    Text(CaseText),
    /// Support resent the provisioning email on the opener's behalf.
    ResendQueued {
        email_id: Uuid,
        to: String,
    },
    /// The SMTP server answered that resend: accepted, refused for good, or deferred (it
    /// will be tried again).
    ResendAnswered {
        email_id: Uuid,
        to: String,
        result: Answered,
        reply: Option<String>,
    },
    /// The line was onboarded: the case resolved itself.
    Onboarded {
        organization: String,
    },
}

/// How the SMTP server answered an on-behalf resend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Accepted,
    Refused,
    Deferred,
}

impl Answered {
    /// What an attempt's outcome says of the resend: accepted, refused for good, or deferred.
    pub fn of(outcome: &crate::delivery::Outcome) -> Self {
        use crate::delivery::Outcome;
        match outcome {
            Outcome::Sent { .. } => Answered::Accepted,
            Outcome::RetryAt { .. } => Answered::Deferred,
            Outcome::Failed { .. } => Answered::Refused,
        }
    }
}

impl Note {
    /// The stored spelling of the note's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Text(_) => "text",
            Note::ResendQueued { .. } => "resend_queued",
            Note::ResendAnswered { .. } => "resend_answered",
            Note::Onboarded { .. } => "onboarded",
        }
    }
}

/// A comment to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    pub id: Uuid,
    /// None: the service.
    pub author: Option<UserId>,
    /// For support only: never shown or mailed to the opener.
    pub internal: bool,
    pub note: Note,
}

/// A case's new state, written over the version the decision read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseWrite {
    pub state: CaseState,
    pub claimed_by: Option<UserId>,
    pub first_answer_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
}

/// Everything a decision on a case does.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseEffects {
    pub case: CaseId,
    /// The version the decision read; `write` goes over it.
    pub version: u32,
    pub write: Option<CaseWrite>,
    pub comment: Option<NewComment>,
    pub events: Vec<Event>,
    /// Notifications (case mail), each about this case.
    pub queue: Vec<NewMail>,
}

impl CaseEffects {
    fn on(case: &CaseFacts) -> Self {
        Self {
            case: case.id,
            version: case.version,
            write: None,
            comment: None,
            events: vec![],
            queue: vec![],
        }
    }

    /// Nothing to do (a repeated claim or resolve).
    pub fn is_empty(&self) -> bool {
        self.write.is_none()
            && self.comment.is_none()
            && self.events.is_empty()
            && self.queue.is_empty()
    }

    fn write(&mut self, case: &CaseFacts) -> &mut CaseWrite {
        self.write.get_or_insert(CaseWrite {
            state: case.state,
            claimed_by: case.claimed_by,
            first_answer_at: case.first_answer_at,
            resolved_at: None,
        })
    }

    /// Tells `to` with a notice of `kind` about this case (and `comment`, if any).
    fn notify(
        &mut self,
        ids: &mut dyn MintMail,
        kind: EmailKind,
        to: Recipient,
        by: Option<UserId>,
        comment: Option<Uuid>,
    ) {
        let mut mail = NewMail::new(ids, kind, to, by);
        mail.case = Some(CaseMail {
            case: self.case,
            comment,
        });
        self.queue.push(mail);
    }
}

/// What a case notice is about: the case, and the comment it reports (an answer, the
/// resolving note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaseMail {
    pub case: CaseId,
    pub comment: Option<Uuid>,
}

/// A new case as asked for; the order (and line) is one the opener may see (the app found
/// it in their scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub id: CaseId,
    pub request_type: CaseRequestType,
    pub order: WebOrderId,
    pub line: Option<SubRef>,
    pub description: CaseText,
    /// Opened by support (who see every company's cases).
    pub by_support: bool,
}

/// What opening reads inside the writing transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningFacts {
    /// When the opener opened their cases of the last hour.
    pub opened_recently: Vec<Timestamp>,
    /// The open cases of the same line and request type, each with the company that opened
    /// it.
    pub open_for_line: Vec<(CaseId, CompanyId)>,
}

/// A case opened: the new case and its effects.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub case: CaseFacts,
    pub effects: CaseEffects,
}
