//! Who may do what (R5, R9, SPEC §9). Authorization returns a permit value that the matching
//! mutation requires, so an unchecked resend or cancel does not compile (STYLE habit 4).

use crate::ids::{CompanyId, UserId};
use crate::refusal::{OrderingContact, Refusal};
use crate::state::{CompanyKind, Role};

/// The authenticated caller, as loaded for each request (never cached: a CLI change takes
/// effect at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub company_id: CompanyId,
    pub company_kind: CompanyKind,
    pub can_resend: bool,
}

impl Actor {
    /// Admins and support agents see everything, as does any user of an operator company.
    pub fn sees_everything(&self) -> bool {
        self.company_kind == CompanyKind::Operator
            || matches!(self.role, Role::Admin | Role::SupportAgent)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The parties of an order that permissions depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderParties {
    pub partner_id: CompanyId,
    pub distributor_id: Option<CompanyId>,
    pub placed_by: UserId,
    pub ordering_contact: OrderingContact,
}

impl OrderParties {
    fn involves(&self, company: CompanyId) -> bool {
        self.partner_id == company || self.distributor_id == Some(company)
    }
}

/// Whether the actor may see the order at all. Anything they may not see is `not_found`.
pub fn can_see(actor: &Actor, order: &OrderParties) -> bool {
    actor.sees_everything() || order.involves(actor.company_id) || order.placed_by == actor.user_id
}

/// Fails with `not_found` when the actor may not see the order.
pub fn ensure_visible(actor: &Actor, order: &OrderParties) -> Result<(), Refusal> {
    if can_see(actor, order) {
        Ok(())
    } else {
        Err(Refusal::NotFound)
    }
}

/// Permission to resend a line's provisioning email or change its contact (R5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePermit {
    pub actor: UserId,
}

/// Permission to cancel a line (R9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelPermit {
    pub actor: UserId,
}

/// Permission to report onboarding or completed service configuration (R7, R8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPermit {
    pub actor: Option<UserId>,
}

impl ReportPermit {
    /// The provisioning contact onboarding through a live setup link: the link is the
    /// credential, so the setup page (and only it) mints this permit.
    pub fn by_setup_link() -> Self {
        Self { actor: None }
    }
}

fn denied(actor: &Actor, order: &OrderParties, why: &'static str) -> Refusal {
    if can_see(actor, order) {
        Refusal::PermissionDenied {
            reason: why,
            ordering_contact: Some(order.ordering_contact.clone()),
        }
    } else {
        Refusal::NotFound
    }
}

/// R5: the ordering contact; users of the order's partner or distributor company with
/// `can_resend`; support agents; admins. Others who can see the order are told whom to ask;
/// the rest do not learn that it exists.
pub fn authorize_line_action(actor: &Actor, order: &OrderParties) -> Result<LinePermit, Refusal> {
    let allowed = order.placed_by == actor.user_id
        || matches!(actor.role, Role::Admin | Role::SupportAgent)
        || (order.involves(actor.company_id) && actor.can_resend);
    if allowed {
        Ok(LinePermit {
            actor: actor.user_id,
        })
    } else {
        Err(denied(
            actor,
            order,
            "you may not resend provisioning emails or change provisioning contacts on this order; ask the ordering contact",
        ))
    }
}

/// R9: an admin or the ordering contact may cancel.
pub fn authorize_cancel(actor: &Actor, order: &OrderParties) -> Result<CancelPermit, Refusal> {
    if actor.is_admin() || order.placed_by == actor.user_id {
        Ok(CancelPermit {
            actor: actor.user_id,
        })
    } else {
        Err(denied(
            actor,
            order,
            "only the ordering contact or an admin may cancel a line",
        ))
    }
}

/// R7/R8 by API: an integration of the order's partner or distributor company, any
/// integration of an operator company, support agents and admins.
pub fn authorize_report(actor: &Actor, order: &OrderParties) -> Result<ReportPermit, Refusal> {
    let allowed = match actor.role {
        Role::Admin | Role::SupportAgent => true,
        Role::Integration => {
            actor.company_kind == CompanyKind::Operator || order.involves(actor.company_id)
        }
        Role::Member => false,
    };
    if allowed {
        Ok(ReportPermit {
            actor: Some(actor.user_id),
        })
    } else {
        Err(denied(
            actor,
            order,
            "only an integration, a support agent or an admin may report onboarding or service configuration",
        ))
    }
}

/// Managing companies, users, API keys and offer policies is for admins.
pub fn ensure_admin(actor: &Actor) -> Result<(), Refusal> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(Refusal::PermissionDenied {
            reason: "this requires the admin role",
            ordering_contact: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn company(n: u128) -> CompanyId {
        CompanyId::from_uuid(Uuid::from_u128(n))
    }
    fn user(n: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(n))
    }
    const PARTNER: u128 = 1;
    const DISTRIBUTOR: u128 = 2;
    const OTHER: u128 = 3;
    const OPERATOR: u128 = 4;

    fn actor(id: u128, company_n: u128, kind: CompanyKind, role: Role, can_resend: bool) -> Actor {
        Actor {
            user_id: user(id),
            name: format!("user {id}"),
            email: format!("u{id}@x.test"),
            role,
            company_id: company(company_n),
            company_kind: kind,
            can_resend,
        }
    }

    fn order() -> OrderParties {
        OrderParties {
            partner_id: company(PARTNER),
            distributor_id: Some(company(DISTRIBUTOR)),
            placed_by: user(10),
            ordering_contact: OrderingContact {
                name: "Olle".into(),
                email: "olle@p.test".into(),
            },
        }
    }

    #[test]
    fn r5_who_may_resend() {
        let o = order();
        let may = [
            actor(10, PARTNER, CompanyKind::Partner, Role::Member, false), // ordering contact
            actor(11, PARTNER, CompanyKind::Partner, Role::Member, true),
            actor(
                12,
                DISTRIBUTOR,
                CompanyKind::Distributor,
                Role::Member,
                true,
            ),
            actor(
                13,
                OPERATOR,
                CompanyKind::Operator,
                Role::SupportAgent,
                false,
            ),
            actor(14, OPERATOR, CompanyKind::Operator, Role::Admin, false),
        ];
        for a in &may {
            assert_eq!(
                authorize_line_action(a, &o),
                Ok(LinePermit { actor: a.user_id }),
                "{a:?}"
            );
        }
    }

    #[test]
    fn r5_without_can_resend_names_the_ordering_contact() {
        let o = order();
        for a in [
            actor(11, PARTNER, CompanyKind::Partner, Role::Member, false),
            actor(
                12,
                DISTRIBUTOR,
                CompanyKind::Distributor,
                Role::Member,
                false,
            ),
        ] {
            match authorize_line_action(&a, &o) {
                Err(Refusal::PermissionDenied {
                    ordering_contact: Some(c),
                    ..
                }) => {
                    assert_eq!(c.email, "olle@p.test");
                    assert_eq!(c.name, "Olle");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn r5_other_companies_get_not_found_even_with_can_resend() {
        let a = actor(20, OTHER, CompanyKind::Partner, Role::Member, true);
        assert_eq!(authorize_line_action(&a, &order()), Err(Refusal::NotFound));
        assert_eq!(authorize_cancel(&a, &order()), Err(Refusal::NotFound));
        assert!(!can_see(&a, &order()));
        let integration = actor(21, OTHER, CompanyKind::Partner, Role::Integration, false);
        assert_eq!(
            authorize_report(&integration, &order()),
            Err(Refusal::NotFound)
        );
    }

    #[test]
    fn r9_cancel_is_for_admins_and_the_ordering_contact() {
        let o = order();
        assert!(
            authorize_cancel(
                &actor(10, PARTNER, CompanyKind::Partner, Role::Member, false),
                &o
            )
            .is_ok()
        );
        assert!(
            authorize_cancel(
                &actor(14, OPERATOR, CompanyKind::Operator, Role::Admin, false),
                &o
            )
            .is_ok()
        );
        let refused = authorize_cancel(
            &actor(11, PARTNER, CompanyKind::Partner, Role::Member, true),
            &o,
        );
        assert!(matches!(refused, Err(Refusal::PermissionDenied { .. })));
        let agent = authorize_cancel(
            &actor(
                13,
                OPERATOR,
                CompanyKind::Operator,
                Role::SupportAgent,
                false,
            ),
            &o,
        );
        assert!(matches!(agent, Err(Refusal::PermissionDenied { .. })));
    }

    #[test]
    fn reports_come_from_integrations_and_staff() {
        let o = order();
        for a in [
            actor(
                30,
                OPERATOR,
                CompanyKind::Operator,
                Role::Integration,
                false,
            ),
            actor(31, PARTNER, CompanyKind::Partner, Role::Integration, false),
            actor(
                13,
                OPERATOR,
                CompanyKind::Operator,
                Role::SupportAgent,
                false,
            ),
            actor(14, OPERATOR, CompanyKind::Operator, Role::Admin, false),
        ] {
            assert!(authorize_report(&a, &o).is_ok(), "{a:?}");
        }
        let member = actor(10, PARTNER, CompanyKind::Partner, Role::Member, true);
        assert!(matches!(
            authorize_report(&member, &o),
            Err(Refusal::PermissionDenied { .. })
        ));
    }

    #[test]
    fn only_admins_administer() {
        assert!(
            ensure_admin(&actor(
                14,
                OPERATOR,
                CompanyKind::Operator,
                Role::Admin,
                false
            ))
            .is_ok()
        );
        let agent = actor(
            13,
            OPERATOR,
            CompanyKind::Operator,
            Role::SupportAgent,
            true,
        );
        assert!(matches!(
            ensure_admin(&agent),
            Err(Refusal::PermissionDenied {
                ordering_contact: None,
                ..
            })
        ));
    }
}
