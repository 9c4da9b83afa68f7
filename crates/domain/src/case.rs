//! Support cases (SPEC §7, §10, §11 "Cases"): who may see and work a case, and every decision
//! on one — opening (one open case per line and request type, 10 openings per user per hour),
//! comments (an agent's public answer waits on the opener; the opener's comment reopens),
//! claims, resolving (also by the line's onboarding), and the notes an on-behalf resend leaves.
//! Each decision returns all its effects ([`CaseEffects`]): the state written over the
//! version it read, the comment, the events and the notification mail. Notifications go to
//! the opener only for what others did, never for internal notes; the agents get one per new
//! case.

use jiff::Timestamp;
use uuid::Uuid;

use crate::event::Event;
use crate::ids::{CaseId, CompanyId, UserId};
use crate::mail::{MintMail, NewMail, Recipient};
use crate::permission::Actor;
use crate::rate_limit::WINDOW;
use crate::refusal::{Denial, Refusal};
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
            return Err(ValueError::invalid("value-required", vec![]));
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
}

/// What opening reads inside the writing transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningFacts {
    /// When the opener opened their cases of the last hour.
    pub opened_recently: Vec<Timestamp>,
    /// The open case of the same line and request type, if there is one.
    pub same_open: Option<CaseId>,
}

/// A case opened: the new case and its effects.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub case: CaseFacts,
    pub effects: CaseEffects,
}

/// Opens a case (SPEC §11): one open case per line and request type (the second answers
/// with the first), at most [`CASES_PER_HOUR`] per opener per rolling hour. The agents are
/// told (`agents`: the configured address, if any).
pub fn open(
    opening: &Opening,
    opener: Opener,
    facts: &OpeningFacts,
    agents: Option<&Recipient>,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> Result<Opened, Refusal> {
    if let Some(existing) = facts.same_open {
        return Err(Refusal::CaseExists { case_id: existing });
    }
    let mut recent: Vec<Timestamp> = facts
        .opened_recently
        .iter()
        .copied()
        .filter(|t| *t > now - WINDOW && *t <= now)
        .collect();
    if recent.len() >= CASES_PER_HOUR as usize {
        recent.sort();
        let next_at = recent[recent.len() - CASES_PER_HOUR as usize] + WINDOW;
        let secs = next_at.duration_since(now).as_secs().max(1);
        return Err(Refusal::CaseRateLimited {
            limit: CASES_PER_HOUR,
            retry_after_secs: u64::try_from(secs).unwrap_or(1),
        });
    }
    let case = CaseFacts {
        id: opening.id,
        state: CaseState::Open,
        request_type: opening.request_type,
        claimed_by: None,
        first_answer_at: None,
        line: opening.line.clone(),
        version: 0,
        open_beside: None,
        opener,
    };
    let mut effects = CaseEffects::on(&case);
    effects.events.push(Event::CaseOpened {
        case_id: case.id,
        request_type: case.request_type,
    });
    if let Some(agents) = agents {
        effects.notify(
            ids,
            EmailKind::CaseOpened,
            agents.clone(),
            Some(case.opener.user),
            None,
        );
    }
    Ok(Opened { case, effects })
}

fn agents_only() -> Refusal {
    Refusal::PermissionDenied {
        reason: Denial::CaseSupportOnly,
        ordering_contact: None,
    }
}

/// A comment (SPEC §11). Support's public answer makes the case `waiting` and tells the
/// opener; an internal note (support only) changes nothing and tells nobody; a comment by
/// the opener's side makes a waiting or resolved case `open` again.
pub fn comment(
    case: &CaseFacts,
    actor: &Actor,
    text: CaseText,
    internal: bool,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> Result<CaseEffects, Refusal> {
    let support = is_support(actor) && actor.user_id != case.opener.user;
    if internal && !is_support(actor) {
        return Err(agents_only());
    }
    let mut effects = CaseEffects::on(case);
    let comment = NewComment {
        id: ids.mint().id,
        author: Some(actor.user_id),
        internal,
        note: Note::Text(text),
    };
    effects.events.push(Event::CaseCommented {
        case_id: case.id,
        comment_id: comment.id,
        internal,
    });
    if internal {
        // A note among agents: nothing moves.
    } else if support {
        let write = effects.write(case);
        write.state = CaseState::Waiting;
        write.first_answer_at = case.first_answer_at.or(Some(now));
        effects.notify(
            ids,
            EmailKind::CaseAnswered,
            case.opener.to.clone(),
            Some(actor.user_id),
            Some(comment.id),
        );
    } else if case.state != CaseState::Open {
        effects.write(case).state = CaseState::Open;
        effects
            .events
            .push(Event::CaseReopened { case_id: case.id });
    }
    // One case per line and request type is open at a time: a resolved case does not come
    // back beside a newer open one; the comment belongs there (answered as opening it again
    // would be).
    let reopens = case.state == CaseState::Resolved
        && effects
            .write
            .as_ref()
            .is_some_and(|w| w.state != CaseState::Resolved);
    if let (true, Some(open)) = (reopens, case.open_beside) {
        return Err(Refusal::CaseExists { case_id: open });
    }
    effects.comment = Some(comment);
    Ok(effects)
}

/// Support takes the case. Taking one's own case again changes nothing.
pub fn claim(case: &CaseFacts, actor: &Actor) -> Result<CaseEffects, Refusal> {
    if !is_support(actor) {
        return Err(agents_only());
    }
    let mut effects = CaseEffects::on(case);
    if case.claimed_by != Some(actor.user_id) {
        effects.write(case).claimed_by = Some(actor.user_id);
        effects.events.push(Event::CaseClaimed { case_id: case.id });
    }
    Ok(effects)
}

/// Support or the opener's side resolves the case; the opener is told unless it was them.
/// A resolved case stays as it is.
pub fn resolve(
    case: &CaseFacts,
    actor: &Actor,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> CaseEffects {
    let mut effects = CaseEffects::on(case);
    if case.state == CaseState::Resolved {
        return effects;
    }
    let write = effects.write(case);
    write.state = CaseState::Resolved;
    write.resolved_at = Some(now);
    effects.events.push(Event::CaseResolved {
        case_id: case.id,
        by_service: false,
    });
    if actor.user_id != case.opener.user {
        effects.notify(
            ids,
            EmailKind::CaseResolved,
            case.opener.to.clone(),
            Some(actor.user_id),
            None,
        );
    }
    effects
}

/// The line of an open case was onboarded: the case resolves itself with a note saying so,
/// and the opener is told.
pub fn resolve_onboarded(
    case: &CaseFacts,
    organization: &str,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> Option<CaseEffects> {
    if case.state == CaseState::Resolved {
        return None;
    }
    let mut effects = CaseEffects::on(case);
    let write = effects.write(case);
    write.state = CaseState::Resolved;
    write.resolved_at = Some(now);
    let comment = NewComment {
        id: ids.mint().id,
        author: None,
        internal: false,
        note: Note::Onboarded {
            organization: organization.to_owned(),
        },
    };
    effects.events.push(Event::CaseResolved {
        case_id: case.id,
        by_service: true,
    });
    effects.notify(
        ids,
        EmailKind::CaseResolved,
        case.opener.to.clone(),
        None,
        Some(comment.id),
    );
    effects.comment = Some(comment);
    Some(effects)
}

/// Support may resend on the opener's behalf (SPEC §10) only on a case about a line.
pub fn ensure_may_resend_for(case: &CaseFacts, actor: &Actor) -> Result<SubRef, Refusal> {
    if !is_support(actor) {
        return Err(agents_only());
    }
    case.line.clone().ok_or(Refusal::CaseWithoutLine)
}

/// The note an on-behalf resend leaves in the case: who resent, to whom.
pub fn resend_noted(
    case: &CaseFacts,
    actor: &Actor,
    email_id: Uuid,
    to: &str,
    ids: &mut dyn MintMail,
) -> CaseEffects {
    let mut effects = CaseEffects::on(case);
    effects.comment = Some(NewComment {
        id: ids.mint().id,
        author: Some(actor.user_id),
        internal: false,
        note: Note::ResendQueued {
            email_id,
            to: to.to_owned(),
        },
    });
    effects
}

/// The note the SMTP server's answer to an on-behalf resend leaves in its case: the
/// acceptance, the refusal, or the first deferral (later deferrals add nothing: the
/// acceptance or refusal will follow).
pub fn resend_answered(
    email_id: Uuid,
    to: &str,
    result: Answered,
    attempt: u32,
    reply: Option<&str>,
    ids: &mut dyn MintMail,
) -> Option<NewComment> {
    if result == Answered::Deferred && attempt > 1 {
        return None;
    }
    Some(NewComment {
        id: ids.mint().id,
        author: None,
        internal: false,
        note: Note::ResendAnswered {
            email_id,
            to: to.to_owned(),
            result,
            reply: reply.map(str::to_owned),
        },
    })
}
