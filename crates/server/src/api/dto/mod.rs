//! The JSON shapes of SPEC §7. Inputs reject unknown fields; outputs are built from store
//! records. Fields may be added, never renamed.

use jiff::Timestamp;
use provisio_domain::order::{RawLine, RawOrder};
use provisio_store::{Company, EventRecord, Order, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::offers::Offered;
use crate::app::orders::OrderInput;

mod access;
mod case;
mod line;
mod lists;
mod written;
pub use access::*;
pub use case::*;
pub use line::*;
pub use lists::*;
pub use written::{Day, LINE_BYTES, Time, written};

pub fn time(t: Timestamp) -> String {
    t.to_string()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCompanyBody {
    pub name: String,
    /// `partner`, `distributor` or `operator`.
    #[schema(example = "partner")]
    pub kind: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub company_id: String,
    pub email: String,
    pub name: String,
    /// `member`, `support_agent`, `admin` or `integration`.
    #[schema(example = "member")]
    pub role: String,
    #[serde(default)]
    pub can_resend: bool,
    /// For the web sign-in; at least 10 characters.
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndCustomerBody {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLineBody {
    #[schema(example = "A-FLEX")]
    pub offer: String,
    #[schema(minimum = 1)]
    pub quantity: i64,
    /// `YYYY-MM-DD`.
    #[schema(example = "2026-05-04")]
    pub requested_start_date: String,
    pub provisioning_contact: ContactBody,
    /// `en` or `sv`; defaults to the order's locale.
    pub locale: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderBody {
    /// Assigned by the service (`W` + digits) when absent.
    pub web_order_id: Option<String>,
    /// Defaults to the caller's company; required when that is not a partner.
    pub partner_id: Option<String>,
    pub distributor_id: Option<String>,
    /// The ordering contact's email, when an admin or integration places the order.
    pub placed_by: Option<String>,
    pub end_customer: EndCustomerBody,
    /// `en` (default) or `sv`.
    pub locale: Option<String>,
    /// 1 to 1,000 lines.
    pub lines: Vec<NewLineBody>,
}

impl From<NewOrderBody> for OrderInput {
    fn from(b: NewOrderBody) -> Self {
        OrderInput {
            order: RawOrder {
                web_order_id: b.web_order_id,
                end_customer_name: b.end_customer.name,
                locale: b.locale,
                lines: b
                    .lines
                    .into_iter()
                    .map(|l| RawLine {
                        offer: l.offer,
                        quantity: l.quantity,
                        requested_start_date: l.requested_start_date,
                        contact_email: l.provisioning_contact.email,
                        contact_name: l.provisioning_contact.name,
                        locale: l.locale,
                    })
                    .collect(),
            },
            partner_id: b.partner_id,
            distributor_id: b.distributor_id,
            placed_by: b.placed_by,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    #[schema(minimum = 1, maximum = 3650)]
    pub window_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyDto {
    pub id: String,
    pub name: String,
    pub kind: String,
}

impl From<&Company> for CompanyDto {
    fn from(c: &Company) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            kind: c.kind.as_str().into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: String,
    pub company_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub can_resend: bool,
    /// `active`, or `disabled`: a disabled user cannot sign in and their API keys answer 401.
    #[schema(example = "active")]
    pub status: String,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            company_id: u.company.id.to_string(),
            email: u.email.to_string(),
            name: u.name.clone(),
            role: u.role.as_str().into(),
            can_resend: u.can_resend,
            status: u.status.as_str().into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyDto {
    pub id: String,
    /// Shown only in this response; store it now.
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDto {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndCustomerDto {
    pub name: String,
}

/// What an order is, without its lines: shared by the order itself and its list summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderHeadDto {
    pub order_id: String,
    pub partner: CompanyDto,
    pub distributor: Option<CompanyDto>,
    pub end_customer: EndCustomerDto,
    pub placed_by: PersonDto,
    pub placed_at: String,
    pub locale: String,
}

impl From<&Order> for OrderHeadDto {
    fn from(o: &Order) -> Self {
        Self {
            order_id: o.web_order_id.as_str().to_owned(),
            partner: (&o.partner).into(),
            distributor: o.distributor.as_ref().map(CompanyDto::from),
            end_customer: EndCustomerDto {
                name: o.end_customer.clone(),
            },
            placed_by: PersonDto {
                name: o.placed_by.name.clone(),
                email: o.placed_by.email.clone(),
            },
            placed_at: time(o.placed_at),
            locale: o.locale.as_str().into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto<'a> {
    #[serde(flatten)]
    pub head: OrderHeadDto,
    pub lines: Vec<LineDto<'a>>,
}

impl<'a> OrderDto<'a> {
    /// The order with each line's [`Offered`] (in the order of its lines).
    pub fn new(o: &'a Order, offers: &[Offered]) -> Self {
        let id = o.web_order_id.as_str();
        Self {
            head: o.into(),
            lines: o
                .lines
                .iter()
                .zip(offers)
                .map(|(l, offered)| LineDto::new(id, l, offered))
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    pub offer: String,
    pub window_days: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyDto>,
    /// The window of every offer without its own policy.
    pub default_window_days: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Senders {
    /// Addresses customers' IT admins should allowlist.
    pub addresses: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorDto {
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    #[serde(rename = "type")]
    pub kind: String,
    pub at: String,
    pub actor: Option<ActorDto>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<&EventRecord> for EventDto {
    fn from(e: &EventRecord) -> Self {
        Self {
            kind: e.kind.clone(),
            at: time(e.at),
            actor: e.actor_email.clone().map(|email| ActorDto { email }),
            data: e.data.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// Oldest first; includes the order's own events.
    pub items: Vec<EventDto>,
}

/// RFC 9457 problem details, with our stable `code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable problem code (the OpenAPI document lists them from the one table).
    pub code: String,
    /// Per-field problems of a 422.
    pub errors: Option<Vec<FieldProblem>>,
    /// With permission_denied on an order: whom to ask.
    pub ordering_contact: Option<PersonDto>,
    /// With past_point_of_no_return.
    pub admin_portal_url: Option<String>,
    /// With resend_rate_limited: seconds until a resend is allowed (as `Retry-After`).
    pub retry_after: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub path: String,
    pub code: String,
    pub message: String,
}
