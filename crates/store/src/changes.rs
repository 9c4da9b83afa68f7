//! Records for changing a line: the read-decide-write of every action (R2–R9), and the
//! outbox: rows of typed outbound mail with their subject, claims, results and setup links.
//!
//! What an action does is the domain's [`Decision`] with its [`Effects`]; a backend reads the
//! [`LineFacts`] inside its writing transaction, asks the decision, and persists the effects
//! as they are, guarding the write with the line's version (compare-and-set).

use std::sync::Arc;

use jiff::Timestamp;
use provisio_domain::delivery::Outcome;
use provisio_domain::{
    ContactEmail, Decision, Effects, EmailKind, LineFacts, LineState, LinkState, OfferSku,
    Recipient, Refusal, SubRef, UserId, WebOrderId,
};

use crate::records::{EmailRecord, IdempotencyKey, LineContext};

/// Whose mail [`crate::LineActions::recent_mail`] reads: some lines, or every line of an order
/// (read through the order: an order of 1,000 lines looked each up by reference, ~1.3 ms).
#[derive(Debug, Clone, Copy)]
pub enum MailOf<'a> {
    Lines(&'a [SubRef]),
    Order(&'a WebOrderId),
}

/// The circumstances of one change.
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    /// Recorded as the events' actor (None: the provisioning contact or the service).
    pub actor: Option<UserId>,
    pub now: Timestamp,
    /// The facts carry the line's mail queued since then (and every email still waiting).
    pub mail_since: Timestamp,
    /// A resend's `Idempotency-Key`: a repeat answers with the email the first one queued.
    pub idempotency: Option<IdempotencyKey>,
    /// The facts carry the line's open support cases (`LineFacts::cases`): only onboarding
    /// decides on them, so every other action (a resend) does not read them.
    pub open_cases: bool,
}

/// The decision on a line's facts, made by pure domain code (`provisio_domain::decide`). It
/// may run more than once (a backend retries a transaction that lost a race), so it only
/// decides: every effect is in the [`Decision`] it returns.
pub type Decide = Arc<dyn Fn(&LineFacts) -> Decision + Send + Sync>;

/// R1: the first send of a line the planner found due, decided by
/// `provisio_domain::decide::first_send` on its state and contact.
pub type FirstSendRule<'a> = &'a (dyn Fn(&LineState, &Recipient) -> Option<Effects> + Sync + 'a);

/// R6: the closure of a line the sweep found due, decided by `provisio_domain::decide::close`
/// on its state and offer.
pub type CloseRule<'a> = &'a (dyn Fn(&LineState, &OfferSku) -> Option<Effects> + Sync + 'a);

/// R6: the deadline a policy change gives a line whose window runs, decided by
/// `provisio_domain::decide::follow_policy` on its state and the offer's window (in days, as
/// the policy stores it); `None` keeps the line as it is.
pub type FollowRule<'a> = &'a (dyn Fn(&LineState, u32) -> Option<LineState> + Sync + 'a);

/// How an update ended.
#[derive(Debug, Clone)]
pub enum Decided {
    Applied {
        line: LineContext,
        /// The mail it queued, in the decision's order.
        queued: Vec<EmailRecord>,
    },
    Refused(Refusal),
    /// A repeated idempotency key or a double click: the first result.
    Replayed {
        line: LineContext,
        email: EmailRecord,
    },
}

/// A setup link (its own record, SPEC §9), found by its token's hash: the email that carried
/// it, its state, and the line as it is now.
#[derive(Debug, Clone)]
pub struct SetupLink {
    pub email_id: uuid::Uuid,
    /// The address the email carrying the link was sent to.
    pub sent_to: ContactEmail,
    pub link: LinkState,
    pub line: LineContext,
}

/// Asks for due emails, leased to `owner` until `lease_until` (real time).
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub owner: String,
    /// Business time: retries due by then are claimed.
    pub now: Timestamp,
    /// Real time: leases that ended before this are abandoned and may be claimed again.
    pub real_now: Timestamp,
    pub lease_until: Timestamp,
    /// Hashes of freshly minted setup tokens: at most this many emails are claimed, and each
    /// whose kind carries a setup link takes the next one (replacing the link of an earlier
    /// failed attempt of the same email).
    pub token_hashes: Vec<String>,
}

/// What an outbox row is about, with what composing its message needs.
#[derive(Debug, Clone)]
pub enum MailSubject {
    /// A provisioning email of a line, or a notice about it.
    Line(Box<LineContext>),
    /// A notice about a support case: the case as it stands, the comment it reports (an
    /// answer, the resolving note), and the case's line, if it is about one.
    Case {
        case: Box<crate::cases::CaseRecord>,
        comment: Option<uuid::Uuid>,
        line: Option<Box<LineContext>>,
    },
}

/// A claimed email with what rendering needs.
#[derive(Debug, Clone)]
pub struct ClaimedEmail {
    pub email: EmailRecord,
    pub message_id: String,
    /// Index into `ClaimRequest::token_hashes` of this email's setup token, if it has one.
    pub token: Option<usize>,
    pub subject: MailSubject,
}

/// The end of one attempt, recorded only by the holder of its lease: the owner and the
/// attempt number it was claimed with fence the result (a late result from an instance that
/// lost its lease changes nothing).
#[derive(Debug, Clone)]
pub struct Finished {
    pub email_id: uuid::Uuid,
    /// The email's kind and recipient, as claimed (for the attempt's event).
    pub kind: EmailKind,
    pub to: ContactEmail,
    /// The number of this attempt, counting from 1.
    pub attempt: u32,
    pub owner: String,
    pub at: Timestamp,
    pub outcome: Outcome,
}
