//! Complete decisions on one line. Each takes the line's facts ([`LineFacts`], read by a store
//! inside the writing transaction) and returns *every* effect of the action ([`Effects`]):
//! the new state, the contact, the organization, the audit events, the mail to queue (kind and
//! recipient), the waiting mail to cancel and what becomes of the line's setup links; or a
//! refusal with the events that audit it. The app layer loads the facts and hands the
//! decision to the store; the store persists it and decides nothing.
//!
//! Who may act is decided here too, from the facts (the order's parties), so an action cannot
//! run unchecked: the permits of [`crate::permission`] are minted inside.

use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use crate::case::{self, CaseEffects, CaseFacts};
use crate::event::{Event, RefusedAction};
use crate::lifecycle::{LineState, Transition};
use crate::mail::{HandOff, MailFact, MintMail, NewMail, Recipient};
use crate::organization::Organization;
use crate::permission::{
    Actor, LinePermit, OrderParties, authorize_by_link, authorize_cancel, authorize_fresh_link,
    authorize_hand_off, authorize_line_action, authorize_report,
};
use crate::rate_limit::{ResendBudget, ResendLimit, is_double_click};
use crate::refusal::Refusal;
use crate::state::{EmailKind, LinkState};
use crate::values::{ContactEmail, Locale};

/// "Send me a fresh link" from the setup page: emails per line per rolling hour, counted
/// apart from the partner's resend limit (SPEC §11).
pub const FRESH_LINKS_PER_HOUR: u32 = 3;
/// Hand-offs to a colleague from the setup page, per line per rolling hour (SPEC §11).
pub const HAND_OFFS_PER_HOUR: u32 = 3;

/// What a decision knows of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFacts {
    pub state: LineState,
    /// The provisioning contact as it stands.
    pub contact: Recipient,
    /// The order's parties, for who may act.
    pub parties: OrderParties,
    /// The line's mail that decisions read, oldest first: every email still waiting to go
    /// out, and every one queued since the start of the rate limit's window.
    pub mail: Vec<MailFact>,
    /// The line's support cases that are not resolved.
    pub cases: Vec<CaseFacts>,
}

impl LineFacts {
    /// Resends among [`LineFacts::mail`], oldest first.
    fn resends(&self) -> impl DoubleEndedIterator<Item = &MailFact> {
        self.mail.iter().filter(|m| m.kind == EmailKind::Resend)
    }

    /// The waiting mail that follows the line: what a contact change, onboarding or
    /// cancellation cancels.
    fn waiting_for_the_line(&self) -> Vec<Uuid> {
        self.mail
            .iter()
            .filter(|m| m.waiting() && m.kind.traits().provisioning)
            .map(|m| m.id)
            .collect()
    }
}

/// Everything one decision changes, committed together.
#[derive(Debug, Clone, PartialEq)]
pub struct Effects {
    pub state: LineState,
    /// The new provisioning contact (or the same address with a new name or language).
    pub contact: Option<Recipient>,
    pub organization: Option<Organization>,
    pub events: Vec<Event>,
    /// Mail to put into the outbox, in this order.
    pub queue: Vec<NewMail>,
    /// Waiting mail (queued or retrying) to cancel.
    pub cancel: Vec<Uuid>,
    /// Every live setup link of the line turns into this state.
    pub links: Option<LinkState>,
    /// What becomes of the line's support cases (an on-behalf resend's note; resolved by
    /// onboarding).
    pub cases: Vec<CaseEffects>,
}

impl Effects {
    /// No effect yet besides keeping `state`.
    pub fn new(state: LineState) -> Self {
        Self {
            state,
            contact: None,
            organization: None,
            events: vec![],
            queue: vec![],
            cancel: vec![],
            links: None,
            cases: vec![],
        }
    }

    fn from_transition(t: Transition) -> Self {
        Self {
            events: t.events,
            ..Self::new(t.line)
        }
    }

    /// Queues `mail` with its `email.queued` event.
    fn queue(&mut self, mail: NewMail) {
        self.events.push(Event::EmailQueued {
            email_id: mail.id,
            kind: mail.kind,
            to: mail.to.email.clone(),
        });
        self.queue.push(mail);
    }
}

/// How a decision ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Apply(Box<Effects>),
    /// Refused; the events (e.g. `resend.refused`) are written all the same.
    Refuse {
        refusal: Refusal,
        events: Vec<Event>,
    },
    /// A double click: answer with this earlier email, change nothing.
    Replay(Uuid),
}

impl Decision {
    fn apply(effects: Effects) -> Self {
        Decision::Apply(Box::new(effects))
    }

    /// A refusal of a resend or contact change, audited as SPEC §9 says (those the actor may
    /// learn about).
    fn refused(action: RefusedAction, refusal: Refusal) -> Self {
        let events = refusal.audit(action).into_iter().collect();
        Decision::Refuse { refusal, events }
    }

    /// A refusal nobody is told about in the audit (reports, cancel; a setup-page request,
    /// whose asker learns nothing of it).
    fn refused_silently(refusal: Refusal) -> Self {
        Decision::Refuse {
            refusal,
            events: vec![],
        }
    }

    /// A decision whose refusals nobody is told about in the audit.
    fn of(result: Result<Effects, Refusal>) -> Self {
        match result {
            Ok(effects) => Self::apply(effects),
            Err(refusal) => Self::refused_silently(refusal),
        }
    }
}

/// Who asks for a resend.
#[derive(Debug, Clone)]
pub enum Asker {
    /// A user (by API, the pages or the CLI), under R5 and R10.
    User(Actor),
    /// "Send me a fresh link" from any setup link of the line (SPEC §10, §11).
    SetupLink,
}

/// A resend request's circumstances.
#[derive(Debug, Clone)]
pub struct ResendAsk {
    pub by: Asker,
    /// The request carries an `Idempotency-Key`: the store answers repeats, so the
    /// double-click rule does not apply.
    pub keyed: bool,
    /// The partner's limit (R10).
    pub limit: ResendLimit,
    pub now: Timestamp,
    /// Support resends on the opener's behalf from this case (SPEC §10): the email and its
    /// event name the case, and the case gets a note.
    pub for_case: Option<CaseFacts>,
}

/// R2 / R5 / R10: resend the provisioning email to the line's current contact. A double click
/// (no key, the same asker within 5 s, the same contact) answers with the first email. People's
/// resends count against the partner's limit; fresh links from the setup page against their
/// own, and their refusals are not audited (the asker learns nothing of them).
pub fn resend(facts: &LineFacts, ask: &ResendAsk, ids: &mut dyn MintMail) -> Decision {
    let (permit, limit) = match &ask.by {
        Asker::User(actor) => match authorize_line_action(actor, &facts.parties) {
            Ok(permit) => (permit, ask.limit),
            Err(r) => return Decision::refused(RefusedAction::Resend, r),
        },
        Asker::SetupLink => (
            authorize_fresh_link(),
            ResendLimit {
                per_hour: FRESH_LINKS_PER_HOUR,
            },
        ),
    };
    let asker = permit.actor();
    let contact = &facts.contact.email;
    if !ask.keyed
        && let Some(prev) = facts.resends().rev().find(|m| m.requested_by == asker)
        && is_double_click(Some(prev.queued_at), ask.now)
        // Not after a change of contact in between: that resend is another request.
        && prev.to == *contact
    {
        return Decision::Replay(prev.id);
    }
    let counted: Vec<Timestamp> = facts
        .resends()
        .filter(|m| m.requested_by.is_some() == asker.is_some())
        .map(|m| m.queued_at)
        .collect();
    let plan = match facts
        .state
        .decide_resend(&permit, &limit, &counted, ask.now)
    {
        Ok(plan) => plan,
        Err(r) if permit.by_link() => return Decision::refused_silently(r),
        Err(r) => return Decision::refused(RefusedAction::Resend, r),
    };
    let mut mail = NewMail::new(ids, EmailKind::Resend, facts.contact.clone(), asker);
    let mut effects = Effects::new(facts.state.clone());
    if let (Some(case), Asker::User(actor)) = (&ask.for_case, &ask.by) {
        mail.for_case = Some(case.id);
        let to = mail.to.email.as_str();
        effects
            .cases
            .push(case::resend_noted(case, actor, mail.id, to, ids));
    }
    effects.events.push(Event::ResendRequested {
        email_id: mail.id,
        to: mail.to.email.clone(),
        first_send: plan.is_first_send,
        via: plan.via,
        case_id: mail.for_case,
    });
    effects.queue(mail);
    Decision::apply(effects)
}

/// When the resends that count against a limit were queued: people's against the partner's
/// (R10), the setup page's fresh links (`by_link`) against their own (SPEC §11).
fn counted_resends(mail: &[MailFact], by_link: bool) -> Vec<Timestamp> {
    mail.iter()
        .filter(|m| m.kind == EmailKind::Resend && m.requested_by.is_none() == by_link)
        .map(|m| m.queued_at)
        .collect()
}

/// R10 as the workspace shows it: how much of the partner's limit the line's resends of the
/// last hour (among `mail`) use, and when the next is possible once it is used up.
pub fn resend_budget(mail: &[MailFact], limit: ResendLimit, now: Timestamp) -> ResendBudget {
    limit.budget(&counted_resends(mail, false), now)
}

/// A new provisioning contact as given (R4): the name and language are optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    pub email: ContactEmail,
    pub name: Option<String>,
    pub locale: Option<Locale>,
}

/// R4 by a permitted user: every earlier link dies, waiting mail to the old contact is
/// cancelled, and the new contact is emailed now when the line was sent or its RSD has
/// passed (else on the RSD). The line's own address again changes only a name or language
/// given with it: no email, and the links stay valid.
pub fn change_contact(
    facts: &LineFacts,
    actor: &Actor,
    new: &NewContact,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> Decision {
    let permit = match may_change_contact(facts, actor) {
        Ok(p) => p,
        Err(r) => return Decision::refused(RefusedAction::ChangeContact, r),
    };
    let contact = Recipient {
        email: new.email.clone(),
        name: new.name.clone(),
        locale: new.locale.unwrap_or(facts.contact.locale),
    };
    match readdress(facts, &permit, contact, None, now, ids) {
        Ok(mut effects) if effects.contact.is_none() => {
            effects.contact = Some(Recipient {
                email: facts.contact.email.clone(),
                name: new.name.clone().or_else(|| facts.contact.name.clone()),
                locale: new.locale.unwrap_or(facts.contact.locale),
            });
            Decision::apply(effects)
        }
        Ok(effects) => Decision::apply(effects),
        Err(r) => Decision::refused(RefusedAction::ChangeContact, r),
    }
}

/// R4 / R5: whether `actor` may change the line's contact at all (whatever the new address):
/// the gate of [`change_contact`], and what the line's `actions` say of it.
pub fn may_change_contact(facts: &LineFacts, actor: &Actor) -> Result<LinePermit, Refusal> {
    let permit = authorize_line_action(actor, &facts.parties)?;
    facts.state.ensure_before_ponr()?;
    Ok(permit)
}

/// A setup link as its holder presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkHeld {
    pub state: LinkState,
    /// The address the email carrying it was sent to.
    pub sent_to: ContactEmail,
}

/// SPEC §10 "Someone else in my company will set this up": the current contact hands the
/// line to a colleague through their live link, a contact change under R4, and the ordering
/// contact (`ordering`, in their language) gets a notice naming who handed it to whom. At
/// most [`HAND_OFFS_PER_HOUR`] per line per hour (SPEC §11).
pub fn hand_off(
    facts: &LineFacts,
    link: &LinkHeld,
    colleague: &ContactEmail,
    ordering: &Recipient,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> Decision {
    let old = &facts.contact.email;
    let permit = match authorize_hand_off(link.state, &link.sent_to, old) {
        Ok(p) => p,
        Err(r) => return Decision::refused(RefusedAction::ChangeContact, r),
    };
    let recent: Vec<Timestamp> = facts
        .mail
        .iter()
        .filter(|m| m.kind == EmailKind::HandedOff)
        .map(|m| m.queued_at)
        .collect();
    let budget = ResendLimit {
        per_hour: HAND_OFFS_PER_HOUR,
    };
    if let Err(r) = facts
        .state
        .ensure_before_ponr()
        .and_then(|()| budget.check(&recent, now))
    {
        return Decision::refused(RefusedAction::ChangeContact, r);
    }
    let contact = Recipient {
        email: colleague.clone(),
        name: None,
        locale: facts.contact.locale,
    };
    let handed = HandOff {
        from: old.clone(),
        to: colleague.clone(),
    };
    match readdress(facts, &permit, contact, Some(&handed), now, ids) {
        Ok(mut effects) => {
            let mut notice = NewMail::new(ids, EmailKind::HandedOff, ordering.clone(), None);
            notice.hand_off = Some(handed);
            effects.queue(notice);
            Decision::apply(effects)
        }
        Err(r) => Decision::refused(RefusedAction::ChangeContact, r),
    }
}

/// The effects of R4 shared by a contact change and a hand-off. The same address leaves the
/// contact unset (nothing to change). A hand-off (`handed`) rides on the email to the new
/// contact, so it can say who asked them to set the service up.
fn readdress(
    facts: &LineFacts,
    permit: &LinePermit,
    contact: Recipient,
    handed: Option<&HandOff>,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> Result<Effects, Refusal> {
    let old = &facts.contact.email;
    let plan = facts
        .state
        .decide_contact_change(permit, old, &contact.email, now)?;
    let mut effects = Effects::new(facts.state.clone());
    if plan.same_address {
        return Ok(effects);
    }
    effects.links = Some(LinkState::Revoked);
    effects.cancel = facts.waiting_for_the_line();
    effects.events.push(plan.event);
    if plan.send_now {
        let mut mail = NewMail::new(
            ids,
            EmailKind::ContactChanged,
            contact.clone(),
            permit.actor(),
        );
        mail.hand_off = handed.cloned();
        effects.queue(mail);
    }
    effects.contact = Some(contact);
    Ok(effects)
}

/// Who reports an onboarding.
#[derive(Debug, Clone, Copy)]
pub enum Reporter<'a> {
    /// An integration, support agent or admin by API.
    User(&'a Actor),
    /// The provisioning contact through a setup link.
    Link(&'a LinkHeld),
}

/// R7: the organization is onboarded (the point of no return): it is recorded, every link of
/// the line is spent, and waiting mail is cancelled.
pub fn onboard(
    facts: &LineFacts,
    by: Reporter<'_>,
    organization: &Organization,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> Decision {
    let permit = match by {
        Reporter::User(actor) => authorize_report(actor, &facts.parties),
        Reporter::Link(link) => authorize_by_link(link.state, &link.sent_to, &facts.contact.email),
    };
    Decision::of(
        permit
            .and_then(|p| facts.state.onboard(&p, organization))
            .map(|t| {
                let mut effects = Effects::from_transition(t);
                effects.organization = Some(organization.clone());
                effects.links = Some(LinkState::Spent);
                effects.cancel = facts.waiting_for_the_line();
                // The line's open cases resolve themselves, each telling its opener.
                effects.cases = facts
                    .cases
                    .iter()
                    .filter_map(|c| case::resolve_onboarded(c, &organization.name, now, ids))
                    .collect();
                effects
            }),
    )
}

/// R8: service configuration is complete; the line closes as provisioned.
pub fn mark_provisioned(facts: &LineFacts, actor: &Actor, now: Timestamp) -> Decision {
    Decision::of(
        authorize_report(actor, &facts.parties)
            .and_then(|p| facts.state.mark_provisioned(&p, now))
            .map(Effects::from_transition),
    )
}

/// R9: cancel before PONR: the links die and nothing more is sent.
pub fn cancel(facts: &LineFacts, actor: &Actor, now: Timestamp) -> Decision {
    Decision::of(
        authorize_cancel(actor, &facts.parties)
            .and_then(|p| facts.state.cancel(&p, now))
            .map(|t| {
                let mut effects = Effects::from_transition(t);
                effects.links = Some(LinkState::Revoked);
                effects.cancel = facts.waiting_for_the_line();
                effects
            }),
    )
}

/// R1: the automatic first send, when due: the initial email to the current contact.
pub fn first_send(
    state: &LineState,
    contact: &Recipient,
    now: Timestamp,
    ids: &mut dyn MintMail,
) -> Option<Effects> {
    if !state.first_send_due(now) {
        return None;
    }
    let mut next = state.clone();
    next.initial_queued = true;
    let mut effects = Effects::new(next);
    effects.queue(NewMail::new(ids, EmailKind::Initial, contact.clone(), None));
    Some(effects)
}

/// R6: closes the line when its window (the offer's policy now), counted from the first send,
/// has run out. A line the sweep found by a deadline that a policy change has since moved, and
/// whose new window still runs, gets that deadline instead ([`follow_policy`]): the sweep must
/// not find it again by the old one.
pub fn close(state: &LineState, window: SignedDuration, now: Timestamp) -> Option<Effects> {
    match state.close_if_lapsed(now, window) {
        Some(closed) => Some(Effects::from_transition(closed)),
        None => follow_policy(state, window).map(Effects::new),
    }
}

/// R6: after an offer's policy changed, a line whose window runs takes the deadline the new
/// `window` gives (no event: the policy change is the audited act); `None` when it has it.
pub fn follow_policy(state: &LineState, window: SignedDuration) -> Option<LineState> {
    state.under_window(window)
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
