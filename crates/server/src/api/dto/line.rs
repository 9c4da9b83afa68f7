//! A subscription line as the API shows it: its contact, organization, emails, and what the
//! caller may do with it (`actions`) and why it needs a person (`attention`). Its words (a
//! stage, a state, a reason) are the domain's own `&'static str`, its texts are borrowed from
//! the line read and its instants and dates are written straight into the response ([`Time`],
//! [`Day`]): an order of 1,000 lines made ~8,000 `String`s of the words and ~10,000 of the
//! rest.

use provisio_domain::actions::Offer;
use provisio_store::{EmailRecord, Line, LineContext};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Day, Time};
use crate::app::offers::Offered;

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationDto<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailDto {
    #[schema(value_type = String)]
    pub id: uuid::Uuid,
    /// `initial`, `resend`, `contact_changed` or `reminder` (provisioning emails to the line's
    /// contact), or `handed_off` (the notice to the ordering contact that the contact handed
    /// the setup off to a colleague from the setup page).
    pub kind: &'static str,
    /// The bare address.
    pub to: String,
    /// `queued`, `sending`, `sent`, `retrying`, `failed` or `cancelled`.
    pub state: &'static str,
    pub attempts: u32,
    #[schema(value_type = String)]
    pub queued_at: Time,
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<Time>,
    pub last_reply: Option<String>,
}

impl From<&EmailRecord> for EmailDto {
    fn from(e: &EmailRecord) -> Self {
        Self {
            id: e.id,
            kind: e.kind.as_str(),
            to: e.to.to_string(),
            state: e.state.as_str(),
            attempts: e.attempts,
            queued_at: Time(e.queued_at),
            sent_at: e.sent_at.map(Time),
            last_reply: e.last_reply.clone(),
        }
    }
}

/// A line's emails, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailList {
    pub items: Vec<EmailDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineDto<'a> {
    pub subscription_ref: &'a str,
    /// The web order id.
    pub order_id: &'a str,
    pub line_number: u32,
    pub offer: &'a str,
    pub quantity: u32,
    #[schema(value_type = String)]
    pub requested_start_date: Day,
    pub provisioning_contact: ContactDto<'a>,
    pub locale: &'static str,
    /// `scheduled`, `awaiting_provisioning`, `onboarded`, `provisioned` or `cancelled`.
    pub stage: &'static str,
    /// `open` or `closed`.
    pub status: &'static str,
    pub closed_reason: Option<&'static str>,
    #[schema(value_type = Option<String>)]
    pub first_sent_at: Option<Time>,
    #[schema(value_type = Option<String>)]
    pub closes_at: Option<Time>,
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<Time>,
    pub organization: Option<OrganizationDto<'a>>,
    pub past_point_of_no_return: bool,
    pub provisioning_in_progress: bool,
    pub last_email: Option<EmailDto>,
    /// What the caller may do with the line now (SPEC §11).
    pub actions: ActionsDto,
    /// Why the line needs a person, if it does: `last_email_failed`, `closed_in_progress`,
    /// `closing_soon`, `resend_budget_used` or `onboarded_not_provisioned`.
    pub attention: Option<&'static str>,
}

/// One action as offered to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDto {
    pub allowed: bool,
    /// The problem code the action would be refused with (`permission_denied`,
    /// `past_point_of_no_return`, `line_cancelled`, `resend_rate_limited`,
    /// `invalid_transition`); null when allowed.
    #[schema(example = "resend_rate_limited")]
    pub reason: Option<&'static str>,
    /// When the answer changes, where known (the next possible resend).
    #[schema(value_type = Option<String>)]
    pub until: Option<Time>,
}

impl From<&Offer> for ActionDto {
    fn from(o: &Offer) -> Self {
        Self {
            allowed: o.allowed(),
            reason: o.reason(),
            until: o.until.map(Time),
        }
    }
}

/// The line's actions for the caller: what they may do, and if not, why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionsDto {
    pub resend: ActionDto,
    pub change_contact: ActionDto,
    pub cancel: ActionDto,
}

impl<'a> LineDto<'a> {
    pub fn new(order_id: &'a str, l: &'a Line, offered: &Offered) -> Self {
        let s = &l.state;
        Self {
            subscription_ref: l.sub_ref.as_str(),
            order_id,
            line_number: l.line_number,
            offer: l.offer.as_str(),
            quantity: l.quantity,
            requested_start_date: Day(l.requested_start_date),
            provisioning_contact: ContactDto {
                email: l.contact_email.as_str(),
                name: l.contact_name.as_deref(),
            },
            locale: l.locale.as_str(),
            stage: s.stage.as_str(),
            status: s.status.as_str(),
            closed_reason: s.closed_reason.map(|r| r.as_str()),
            first_sent_at: s.first_sent_at.map(Time),
            closes_at: s.closes_at.map(Time),
            closed_at: s.closed_at.map(Time),
            organization: l.organization.as_ref().map(|o| OrganizationDto {
                id: &o.id,
                name: &o.name,
            }),
            past_point_of_no_return: s.past_point_of_no_return(),
            provisioning_in_progress: s.provisioning_in_progress(),
            last_email: l.last_email.as_ref().map(EmailDto::from),
            actions: ActionsDto {
                resend: (&offered.actions.resend).into(),
                change_contact: (&offered.actions.change_contact).into(),
                cancel: (&offered.actions.cancel).into(),
            },
            attention: offered.attention.map(|a| a.as_str()),
        }
    }

    /// A line of a list, or alone, as the caller sees it.
    pub fn listed(c: &'a LineContext, offered: &Offered) -> Self {
        LineDto::new(c.web_order_id.as_str(), &c.line, offered)
    }
}
