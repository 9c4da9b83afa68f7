//! People and orders the domain's own tests share.

use jiff::Timestamp;
use uuid::Uuid;

use crate::decide::LineFacts;
use crate::lifecycle::LineState;
use crate::mail::Recipient;
use crate::values::{ContactEmail, Locale};

use crate::ids::{CompanyId, UserId};
use crate::permission::{Actor, OrderParties};
use crate::refusal::OrderingContact;
use crate::state::{CompanyKind, Role};

/// The ordering contact: a partner member (who may act on her own orders).
pub fn pia() -> Actor {
    Actor {
        user_id: UserId::from_uuid(Uuid::from_u128(1)),
        name: "Pia".into(),
        email: "pia@partner.test".into(),
        role: Role::Member,
        company_id: CompanyId::from_uuid(Uuid::from_u128(10)),
        company_kind: CompanyKind::Partner,
        can_resend: false,
    }
}

/// The operator's admin.
pub fn ada() -> Actor {
    Actor {
        user_id: UserId::from_uuid(Uuid::from_u128(2)),
        name: "Ada".into(),
        email: "ada@operator.test".into(),
        role: Role::Admin,
        company_id: CompanyId::from_uuid(Uuid::from_u128(20)),
        company_kind: CompanyKind::Operator,
        can_resend: false,
    }
}

/// An order Pia placed for her company, without a distributor.
pub fn pias_order() -> OrderParties {
    let pia = pia();
    OrderParties {
        partner_id: pia.company_id,
        distributor_id: None,
        distributor_serves_partner: false,
        placed_by: pia.user_id,
        ordering_contact: OrderingContact {
            name: pia.name,
            email: pia.email,
        },
    }
}

pub fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The requested start date of [`facts`]' line.
pub const RSD: &str = "2026-05-04T00:00:00Z";

pub fn email(s: &str) -> ContactEmail {
    ContactEmail::parse(s).unwrap()
}

/// A new line of [`pias_order`] for Kim, in Swedish, before its RSD.
pub fn facts() -> LineFacts {
    LineFacts {
        state: LineState::new(t(RSD)),
        contact: Recipient {
            email: email("kim@kund.test"),
            name: Some("Kim".into()),
            locale: Locale::Sv,
        },
        parties: pias_order(),
        mail: vec![],
        cases: vec![],
    }
}
