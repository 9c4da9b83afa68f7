//! People and orders the domain's own tests share.

use uuid::Uuid;

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
