//! What provisio sends, as typed values (STYLE habit 8): one variant of [`Outbound`] per kind
//! of mail, each with its composer in `compose/`: provisioning emails, the hand-off notice and
//! the support-case notifications. The outbox stores what to say (kind, subject, recipient, locale);
//! delivery fills the value at each attempt, so the deadline and the setup link are those of
//! that attempt, while the `Message-ID` stays the one fixed when queued.

use provisio_domain::{CaseRequestType, EmailKind, Locale};

/// A person or role with an address, as shown in a header or in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    pub fn new(name: Option<String>, address: impl Into<String>) -> Self {
        Self {
            name,
            address: address.into(),
        }
    }

    /// The name when there is one, else the address.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.address)
    }
}

/// The headers every kind of mail has.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// E.g. `0190f3…@provisio`, without angle brackets; fixed when queued, reused on retries.
    pub message_id: String,
    /// The attempt time from the service clock.
    pub date: jiff::Timestamp,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub to: Mailbox,
    /// The language of the whole message.
    pub locale: Locale,
    /// The Message-ID of the thread this mail belongs to (bare, like `message_id`), e.g. the
    /// thread id of a support case: the message then carries `In-Reply-To` and `References`
    /// naming it, so mail programs that thread by those headers keep every notice of one case
    /// together. `None` for mail that starts no conversation (provisioning emails).
    pub thread: Option<String>,
}

/// Everything one provisioning email says (SPEC §4).
#[derive(Debug, Clone)]
pub struct ProvisioningEmail {
    /// Reply-To is the ordering contact; To the provisioning contact.
    pub envelope: Envelope,
    pub kind: EmailKind,
    pub web_order_id: String,
    pub subscription_ref: String,
    pub end_customer: String,
    pub partner: String,
    pub offer: String,
    pub quantity: u32,
    pub requested_start_date: jiff::civil::Date,
    /// When the line closes by policy; shown as a date and time in `time_zone`.
    pub deadline: jiff::Timestamp,
    pub time_zone: jiff::tz::TimeZone,
    pub setup_url: String,
    pub admin_portal_url: Option<String>,
    /// Whom to contact with questions: the ordering contact (partner side).
    pub help_contact: Mailbox,
    /// The contact who handed the setup off to the recipient from the setup page (SPEC §10),
    /// when that is why this email came: the email says so, so the colleague knows whose
    /// request it is.
    pub handed_off_by: Option<Mailbox>,
}

/// The notice to the ordering contact that the provisioning contact handed the setup off to
/// a colleague from the setup page (SPEC §10): who, to whom, for which line.
#[derive(Debug, Clone)]
pub struct HandOffNotice {
    /// To the ordering contact; Reply-To the contact who handed off.
    pub envelope: Envelope,
    pub web_order_id: String,
    pub subscription_ref: String,
    pub end_customer: String,
    /// The partner the order is from; the footer names it, as in the provisioning emails.
    pub partner: String,
    pub offer: String,
    /// The provisioning contact who handed the setup off.
    pub from: Mailbox,
    /// The colleague, now the line's provisioning contact.
    pub to: Mailbox,
    /// The line in the workspace (its row on the order page), where the ordering contact can
    /// see it and change the contact again.
    pub line_url: String,
}

/// A notification about a support case (SPEC §11): to the support agents that a case was
/// opened, or to its opener that it was answered or resolved. Every notice of one case has
/// the same Subject and the same `envelope.thread`, so mail programs keep them together.
#[derive(Debug, Clone)]
pub struct CaseNotice {
    /// To the support agents' address (CaseOpened) or the case's opener (the other two);
    /// `thread` set to the case's thread id. A Reply-To is never written (replies by email
    /// are not read; the notice says to answer on the case page), whatever this one says.
    pub envelope: Envelope,
    /// `CaseOpened`, `CaseAnswered` or `CaseResolved`.
    pub kind: EmailKind,
    pub request_type: CaseRequestType,
    /// The line the case is about, when it names one.
    pub subscription_ref: Option<String>,
    /// The order the case is about, when it names one.
    pub web_order_id: Option<String>,
    pub end_customer: Option<String>,
    /// Who opened the case.
    pub opener: Mailbox,
    /// The opener's company.
    pub company: String,
    /// Who answered or resolved; None when the service resolved it (the line was onboarded).
    pub author: Option<Mailbox>,
    /// The text: the description (CaseOpened), the public answer (CaseAnswered), the
    /// resolving comment (CaseResolved, may be None). Shown in full, quoted as text.
    pub text: Option<String>,
    /// The line's last provisioning email failed (CaseOpened: the agents see it at once).
    pub last_email_failed: bool,
    /// The case page, absolute.
    pub case_url: String,
}

/// Outbound mail of every kind.
#[derive(Debug, Clone)]
pub enum Outbound {
    Provisioning(ProvisioningEmail),
    HandOff(HandOffNotice),
    Case(CaseNotice),
}

impl Outbound {
    pub fn envelope(&self) -> &Envelope {
        match self {
            Outbound::Provisioning(p) => &p.envelope,
            Outbound::HandOff(n) => &n.envelope,
            Outbound::Case(n) => &n.envelope,
        }
    }

    /// Where replies go: the envelope's Reply-To, except for a case notice, which has none
    /// (nobody reads replies to it; an answer belongs on the case page, where the case's
    /// people see it).
    pub fn reply_to(&self) -> Option<&Mailbox> {
        match self {
            Outbound::Provisioning(p) => p.envelope.reply_to.as_ref(),
            Outbound::HandOff(n) => n.envelope.reply_to.as_ref(),
            Outbound::Case(_) => None,
        }
    }
}

impl From<CaseNotice> for Outbound {
    fn from(n: CaseNotice) -> Self {
        Outbound::Case(n)
    }
}

impl From<HandOffNotice> for Outbound {
    fn from(n: HandOffNotice) -> Self {
        Outbound::HandOff(n)
    }
}

impl From<ProvisioningEmail> for Outbound {
    fn from(p: ProvisioningEmail) -> Self {
        Outbound::Provisioning(p)
    }
}
