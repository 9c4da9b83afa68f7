//! Every decision on a support case, each returning all its effects.

use jiff::Timestamp;
use uuid::Uuid;

use super::{
    Answered, CASES_PER_HOUR, CaseEffects, CaseFacts, CaseText, NewComment, Note, Opened, Opener,
    Opening, OpeningFacts, is_support,
};
use crate::event::Event;
use crate::mail::{MintMail, Recipient};
use crate::permission::Actor;
use crate::rate_limit::WINDOW;
use crate::refusal::{Denial, Refusal};
use crate::state::{CaseState, EmailKind};
use crate::values::SubRef;

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
    // One open case per line and request type: a company's own, which its people are
    // answered with; support, who see every company's cases, with any company's. (Another
    // company's case is not named to a partner or distributor: it is not theirs to see.)
    let same = facts
        .open_for_line
        .iter()
        .find(|(_, company)| opening.by_support || *company == opener.company);
    if let Some((existing, _)) = same {
        return Err(Refusal::CaseExists { case_id: *existing });
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
