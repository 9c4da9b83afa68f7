//! Records for changing a line: the read-decide-write of every action (R2–R9), and the
//! outbox: rows of typed outbound mail with their subject, claims, results and setup links.

use std::sync::Arc;

use jiff::Timestamp;
use provisio_domain::delivery::Outcome;
use provisio_domain::{
    ContactEmail, EmailKind, Event, LineState, LinkState, Locale, Refusal, UserId,
};

use crate::records::{EmailRecord, HandOff, IdempotencyKey, Line, LineContext, Organization};

/// What a decision sees: the line (read inside the writing transaction) and its recent
/// resends, for the rate limit and the double-click rule.
#[derive(Debug, Clone)]
pub struct LineSnapshot {
    pub line: LineContext,
    /// Resends of the line queued at or after `UpdateRequest::resends_since`, oldest first.
    pub recent_resends: Vec<ResendRecord>,
}

#[derive(Debug, Clone)]
pub struct ResendRecord {
    pub email: EmailRecord,
    pub requested_by: Option<UserId>,
}

/// The circumstances of one change.
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    /// Recorded as the events' actor (None: the provisioning contact or the service).
    pub actor: Option<UserId>,
    pub now: Timestamp,
    pub resends_since: Timestamp,
    /// A resend's `Idempotency-Key`: a repeat answers with the email the first one queued.
    pub idempotency: Option<IdempotencyKey>,
}

/// The decision, made by pure domain code on a [`LineSnapshot`]. It may run more than once
/// (a backend retries a transaction that failed to serialize), so it only decides: every
/// effect is in the [`Decision`] it returns.
pub type Decide = Arc<dyn Fn(&LineSnapshot) -> Decision + Send + Sync>;

/// A scheduler rule applied to each candidate line (R1 first sends, R6 closure).
pub type LineRule<'a> = &'a (dyn Fn(&LineContext) -> Option<LineChange> + Sync + 'a);

#[derive(Debug, Clone)]
pub enum Decision {
    Apply(Box<LineChange>),
    /// Refused; the events (e.g. `resend.refused`) are written all the same.
    Refuse {
        refusal: Refusal,
        events: Vec<Event>,
    },
    /// A double click: answer with this earlier email, change nothing.
    Replay(EmailRecord),
}

/// Everything one action changes, committed together.
#[derive(Debug, Clone)]
pub struct LineChange {
    pub state: LineState,
    pub contact: Option<ContactUpdate>,
    pub organization: Option<Organization>,
    pub events: Vec<Event>,
    /// An email to put into the outbox.
    pub email: Option<NewEmail>,
    /// A notice about the change to someone else (e.g. `handed_off` to the ordering
    /// contact), queued in the same transaction.
    pub notice: Option<NewEmail>,
    /// Turns every live setup link of the line into this state.
    pub links: Option<LinkState>,
    /// Cancels the line's provisioning emails that have not gone out yet (queued or
    /// retrying); notices about the line still go.
    pub cancel_pending: bool,
}

impl LineChange {
    pub fn new(state: LineState) -> Self {
        Self {
            state,
            contact: None,
            organization: None,
            events: vec![],
            email: None,
            notice: None,
            links: None,
            cancel_pending: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ContactUpdate {
    pub email: ContactEmail,
    pub name: Option<String>,
    pub locale: Locale,
}

impl ContactUpdate {
    /// The line's contact as it stands.
    pub fn current(line: &Line) -> Self {
        Self {
            email: line.contact_email.clone(),
            name: line.contact_name.clone(),
            locale: line.locale,
        }
    }
}

/// An outbox row: the typed message, not rendered text (SPEC §9). Its subject (a line here)
/// is the thing the change that queues it is about.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub id: uuid::Uuid,
    pub kind: EmailKind,
    pub to: ContactEmail,
    pub to_name: Option<String>,
    pub locale: Locale,
    pub requested_by: Option<UserId>,
    /// Fixed when queued, kept on retries.
    pub message_id: String,
    /// What a `handed_off` notice reports.
    pub hand_off: Option<HandOff>,
}

/// How an update ended.
#[derive(Debug, Clone)]
pub enum Decided {
    Applied {
        line: LineContext,
        email: Option<EmailRecord>,
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
    /// A provisioning email of a line.
    Line(Box<LineContext>),
}

/// A claimed email with what rendering needs.
#[derive(Debug, Clone)]
pub struct ClaimedEmail {
    pub email: EmailRecord,
    pub to_name: Option<String>,
    pub locale: Locale,
    pub message_id: String,
    /// Index into `ClaimRequest::token_hashes` of this email's setup token, if it has one.
    pub token: Option<usize>,
    pub subject: MailSubject,
}

/// The end of one attempt, recorded if the lease is still ours.
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
