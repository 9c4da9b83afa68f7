//! Outbound mail as the rules see it: what each kind of mail *is* (declared once, in
//! [`EmailKind::traits`]), the mail a decision queues ([`NewMail`]), and the facts about a
//! line's mail that decisions read ([`MailFact`]).
//!
//! Nothing else in the code base asks "is this kind a notice?" by name: a store selects by
//! indexed columns and persists what a decision says; the rules ask a kind's traits
//! (`kind.traits().provisioning`: a setup link at each attempt, the window's start, the
//! line's last email, cancelled and overtaken with the line — one rule, one name). Adding a
//! kind of mail is a variant here (and its composer), not a change to any SQL `WHERE` clause.

use jiff::Timestamp;
use uuid::Uuid;

use crate::ids::UserId;
use crate::state::{EmailKind, EmailState, MailSubjectKind};
use crate::values::{ContactEmail, Locale};

/// What a kind of mail is, for every rule that cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailTraits {
    /// What the mail is about.
    pub subject: MailSubjectKind,
    /// A provisioning email to the line's contact: it carries a setup link (a fresh token at
    /// each attempt), its acceptance by the SMTP server starts the line's window (R1), it is
    /// the line's "last email", and it is cancelled or overtaken by what becomes of the line
    /// (a contact change, cancellation, PONR). A notice about the line to someone else
    /// (`handed_off`, to the ordering contact) is none of these: what it reports happened.
    pub provisioning: bool,
}

/// A provisioning email to the line's contact.
const PROVISIONING: MailTraits = MailTraits {
    subject: MailSubjectKind::Line,
    provisioning: true,
};

/// A notice about a line to someone other than its contact.
const LINE_NOTICE: MailTraits = MailTraits {
    subject: MailSubjectKind::Line,
    provisioning: false,
};

/// A notification about a support case (to the agents, or to its opener).
const CASE_NOTICE: MailTraits = MailTraits {
    subject: MailSubjectKind::Case,
    provisioning: false,
};

impl EmailKind {
    /// The one declaration of what this kind of mail is.
    pub const fn traits(self) -> MailTraits {
        match self {
            EmailKind::Initial
            | EmailKind::Resend
            | EmailKind::ContactChanged
            | EmailKind::Reminder => PROVISIONING,
            EmailKind::HandedOff => LINE_NOTICE,
            EmailKind::CaseOpened | EmailKind::CaseAnswered | EmailKind::CaseResolved => {
                CASE_NOTICE
            }
        }
    }

    /// What an email of this kind is about.
    pub const fn subject(self) -> MailSubjectKind {
        self.traits().subject
    }
}

/// The words an email is written in (SPEC §11): a resend that is the line's first send (the
/// line was not sent when it went out: `line_first_sent_at` is none, or is this email's
/// `sent_at`) reads as a first email, without "Resent:"; every other email in its own kind's
/// words.
pub fn worded_as(
    kind: EmailKind,
    line_first_sent_at: Option<Timestamp>,
    sent_at: Option<Timestamp>,
) -> EmailKind {
    let first_send = line_first_sent_at.is_none() || line_first_sent_at == sent_at;
    match kind {
        EmailKind::Resend if first_send => EmailKind::Initial,
        other => other,
    }
}

/// Whom a mail goes to, and in which language.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Recipient {
    pub email: ContactEmail,
    pub name: Option<String>,
    pub locale: Locale,
}

/// A hand-off from the setup page (SPEC §10): the provisioning contact who handed the setup
/// off, and the colleague they handed it to. The `handed_off` notice reports it to the
/// ordering contact; the colleague's `contact_changed` email carries it too, to say who asked
/// them to set the service up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HandOff {
    pub from: ContactEmail,
    pub to: ContactEmail,
}

/// The identity of a new outbox row: its id and the `Message-ID` it keeps on every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailId {
    pub id: Uuid,
    pub message_id: String,
}

/// Mints the identity of each mail a decision queues. The rules stay pure: the app passes
/// one that makes UUIDv7s and Message-IDs in the sender's domain; tests pass a counter.
pub trait MintMail {
    fn mint(&mut self) -> MailId;
}

impl<F: FnMut() -> MailId> MintMail for F {
    fn mint(&mut self) -> MailId {
        self()
    }
}

/// A mail to put into the outbox: the typed message, never rendered text (SPEC §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NewMail {
    pub id: Uuid,
    /// Fixed when queued, kept on retries.
    pub message_id: String,
    pub kind: EmailKind,
    pub to: Recipient,
    /// The person who asked (a resend or contact change); none for the service or the setup
    /// page.
    pub requested_by: Option<UserId>,
    /// The hand-off this mail is about: what a `handed_off` notice reports, or who handed the
    /// line to the recipient of a `contact_changed` email. None for every other mail.
    pub hand_off: Option<HandOff>,
    /// A case notice: the case (and the comment) it is about.
    pub case: Option<crate::case::CaseMail>,
    /// A provisioning email support resent from this case on the opener's behalf: the
    /// SMTP server's answer becomes a note in the case.
    pub for_case: Option<crate::ids::CaseId>,
}

impl NewMail {
    pub fn new(
        ids: &mut dyn MintMail,
        kind: EmailKind,
        to: Recipient,
        requested_by: Option<UserId>,
    ) -> Self {
        let MailId { id, message_id } = ids.mint();
        Self {
            id,
            message_id,
            kind,
            to,
            requested_by,
            hand_off: None,
            case: None,
            for_case: None,
        }
    }
}

/// One of a line's emails, as the rules read it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailFact {
    pub id: Uuid,
    pub kind: EmailKind,
    pub to: ContactEmail,
    pub state: EmailState,
    pub queued_at: Timestamp,
    pub requested_by: Option<UserId>,
}

impl EmailState {
    /// Still waiting to go out (queued, or retrying after a transient failure): a contact
    /// change or cancellation may still cancel it.
    pub fn waiting(self) -> bool {
        matches!(self, EmailState::Queued | EmailState::Retrying)
    }

    /// On its way: waiting, or being sent right now. Delivery attempts it without anyone's
    /// action.
    pub fn on_its_way(self) -> bool {
        self.waiting() || self == EmailState::Sending
    }
}

impl MailFact {
    pub fn waiting(&self) -> bool {
        self.state.waiting()
    }

    pub fn on_its_way(&self) -> bool {
        self.state.on_its_way()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resend_that_is_the_first_send_reads_as_a_first_email() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let first = t("2026-05-01T10:00:00Z");
        // Rendered before it goes, on a line not yet sent.
        assert_eq!(worded_as(EmailKind::Resend, None, None), EmailKind::Initial);
        // Shown afterwards: it was the first send.
        assert_eq!(
            worded_as(EmailKind::Resend, Some(first), Some(first)),
            EmailKind::Initial
        );
        // A resend of a line sent before.
        assert_eq!(
            worded_as(EmailKind::Resend, Some(first), None),
            EmailKind::Resend
        );
        assert_eq!(
            worded_as(
                EmailKind::Resend,
                Some(first),
                Some(t("2026-05-02T10:00:00Z"))
            ),
            EmailKind::Resend
        );
        assert_eq!(
            worded_as(EmailKind::ContactChanged, None, None),
            EmailKind::ContactChanged
        );
    }

    #[test]
    fn provisioning_emails_and_notices_are_told_apart_in_one_place() {
        let provisioning: Vec<_> = EmailKind::ALL
            .iter()
            .filter(|k| k.traits().provisioning)
            .collect();
        assert_eq!(
            provisioning,
            [
                &EmailKind::Initial,
                &EmailKind::Resend,
                &EmailKind::ContactChanged,
                &EmailKind::Reminder
            ]
        );
        for k in EmailKind::ALL {
            let case = k.as_str().starts_with("case_");
            let expected = if case {
                MailSubjectKind::Case
            } else {
                MailSubjectKind::Line
            };
            assert_eq!(k.subject(), expected, "{k}");
        }
    }
}
