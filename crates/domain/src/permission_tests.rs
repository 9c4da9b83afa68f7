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
        distributor_serves_partner: true,
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
            authorize_line_action(a, &o).map(|p| p.actor()),
            Ok(Some(a.user_id)),
            "{a:?}"
        );
    }
}

/// The standing the admin's users page shows is the rule itself: for every role in every
/// kind of company, with and without the grant, what it says about an order of the user's
/// company that someone else placed, and about one the user placed.
#[test]
fn r5_the_standing_shown_is_the_rule_applied() {
    let mut seen = std::collections::HashSet::new();
    for kind in CompanyKind::ALL {
        let company_n = match kind {
            CompanyKind::Partner => PARTNER,
            CompanyKind::Distributor => DISTRIBUTOR,
            CompanyKind::Operator => OPERATOR,
        };
        for role in Role::ALL.iter().filter(|r| r.allowed_in(*kind)) {
            for can_resend in [false, true] {
                let a = actor(30, company_n, *kind, *role, can_resend);
                let standing = ResendStanding::of(*role, *kind, can_resend);
                seen.insert(standing);
                let others = authorize_line_action(&a, &order()).is_ok();
                let expected = match standing {
                    ResendStanding::Admin | ResendStanding::SupportAgent => true,
                    ResendStanding::Granted => true,
                    ResendStanding::OwnOrdersOnly => false,
                };
                assert_eq!(others, expected, "{a:?} {standing:?}");
                let own = OrderParties {
                    placed_by: a.user_id,
                    ..order()
                };
                assert!(authorize_line_action(&a, &own).is_ok(), "{a:?} own order");
                assert_eq!(
                    ResendStanding::grant_matters(*role, *kind),
                    matches!(role, Role::Member | Role::Integration)
                        && *kind != CompanyKind::Operator,
                    "{a:?}"
                );
            }
        }
    }
    assert_eq!(seen.len(), 4, "every standing occurs: {seen:?}");
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

/// SPEC §11: a distributor sees and acts on the orders that name it only while it serves the
/// order's partner; once unlinked, they are unknown to it, by the same rule as every list.
#[test]
fn a_distributor_that_no_longer_serves_the_partner_sees_nothing_of_the_order() {
    let unlinked = OrderParties {
        distributor_serves_partner: false,
        ..order()
    };
    let dana = actor(
        12,
        DISTRIBUTOR,
        CompanyKind::Distributor,
        Role::Member,
        true,
    );
    assert!(can_see(&dana, &order()));
    assert!(Scope::of(&dana).admits(&order()));
    assert!(!can_see(&dana, &unlinked));
    assert!(!Scope::of(&dana).admits(&unlinked));
    assert_eq!(
        authorize_line_action(&dana, &unlinked),
        Err(Refusal::NotFound)
    );
    let integration = actor(
        15,
        DISTRIBUTOR,
        CompanyKind::Distributor,
        Role::Integration,
        false,
    );
    assert!(authorize_report(&integration, &order()).is_ok());
    assert_eq!(
        authorize_report(&integration, &unlinked),
        Err(Refusal::NotFound)
    );
    // The partner and the ordering contact are not affected.
    let partner = actor(11, PARTNER, CompanyKind::Partner, Role::Member, true);
    assert!(authorize_line_action(&partner, &unlinked).is_ok());
    assert_eq!(
        Scope::of(&actor(
            14,
            OPERATOR,
            CompanyKind::Operator,
            Role::Admin,
            false
        )),
        Scope::Everything
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
    // The ordering contact is no help here (no member may report): nobody is named.
    assert!(matches!(
        authorize_report(&member, &o),
        Err(Refusal::PermissionDenied {
            reason: Denial::Report,
            ordering_contact: None
        })
    ));
}

#[test]
fn a_refusal_never_names_the_caller_as_whom_to_ask() {
    let o = order();
    // cy (no can_resend) is told whom to ask; pia placed the order, and is never told to
    // ask herself.
    let cy = actor(11, PARTNER, CompanyKind::Partner, Role::Member, false);
    assert!(matches!(
        authorize_line_action(&cy, &o),
        Err(Refusal::PermissionDenied {
            ordering_contact: Some(_),
            ..
        })
    ));
    let pia = actor(10, PARTNER, CompanyKind::Partner, Role::Member, false);
    assert!(matches!(
        authorize_report(&pia, &o),
        Err(Refusal::PermissionDenied {
            ordering_contact: None,
            ..
        })
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

#[test]
fn orders_name_the_callers_own_company_unless_staff() {
    let pia = actor(10, PARTNER, CompanyKind::Partner, Role::Member, false);
    let permit = authorize_order(&pia, company(PARTNER), None, false, PlacedBy::Caller).unwrap();
    assert_eq!(
        (permit.actor(), permit.placed_by(), permit.partner()),
        (pia.user_id, pia.user_id, company(PARTNER))
    );
    // Another partner is refused like an id of no company at all.
    assert_eq!(
        authorize_order(&pia, company(OTHER), None, false, PlacedBy::Caller),
        Err(OrderRefusal::NoSuchPartner)
    );
    let dist = Some(Named::Company(company(DISTRIBUTOR)));
    let dana = actor(
        12,
        DISTRIBUTOR,
        CompanyKind::Distributor,
        Role::Member,
        true,
    );
    assert!(authorize_order(&dana, company(PARTNER), dist, true, PlacedBy::Caller).is_ok());
    // Only for a partner the distributor serves: another is as unknown as no partner.
    assert_eq!(
        authorize_order(&dana, company(PARTNER), dist, false, PlacedBy::Caller).map(|_| ()),
        Err(OrderRefusal::NoSuchPartner)
    );
    // ... and only as itself.
    let other_dist = Some(Named::Company(company(OTHER)));
    assert_eq!(
        authorize_order(&dana, company(PARTNER), other_dist, true, PlacedBy::Caller).map(|_| ()),
        Err(OrderRefusal::NoSuchDistributor)
    );
    // A partner names only a distributor that serves it; one that does not, another
    // company and an unknown id are all no distributor.
    assert!(authorize_order(&pia, company(PARTNER), dist, true, PlacedBy::Caller).is_ok());
    for named in [dist, other_dist, Some(Named::Unknown)] {
        assert_eq!(
            authorize_order(&pia, company(PARTNER), named, false, PlacedBy::Caller).map(|_| ()),
            Err(OrderRefusal::NoSuchDistributor),
            "{named:?}"
        );
    }
    // The partner is judged first, on its own: a wrong distributor does not change the
    // answer about another partner.
    assert_eq!(
        authorize_order(
            &pia,
            company(OTHER),
            Some(Named::Unknown),
            false,
            PlacedBy::Caller
        )
        .map(|_| ()),
        Err(OrderRefusal::NoSuchPartner)
    );
    let agent = actor(
        13,
        OPERATOR,
        CompanyKind::Operator,
        Role::SupportAgent,
        false,
    );
    assert_eq!(
        ensure_may_order(&agent).map_err(|r| r.key()),
        Err("denied-support-agent-orders")
    );
    let admin = actor(14, OPERATOR, CompanyKind::Operator, Role::Admin, false);
    assert!(authorize_order(&admin, company(OTHER), None, false, PlacedBy::Caller).is_ok());
    assert!(authorize_order(&admin, company(OTHER), dist, false, PlacedBy::Caller).is_ok());
    assert_eq!(
        authorize_order(
            &admin,
            company(OTHER),
            Some(Named::Unknown),
            false,
            PlacedBy::Caller
        )
        .map(|_| ()),
        Err(OrderRefusal::NoSuchDistributor)
    );
}

#[test]
fn only_admins_and_integrations_order_on_behalf_of_a_partner_user() {
    let olle = PlacedBy::User {
        id: user(10),
        company: company(PARTNER),
    };
    let admin = actor(14, OPERATOR, CompanyKind::Operator, Role::Admin, false);
    let permit = authorize_order(&admin, company(PARTNER), None, false, olle).unwrap();
    assert_eq!((permit.actor(), permit.placed_by()), (user(14), user(10)));
    // A user of another company is no user of the partner, like an address of nobody.
    for named in [olle, PlacedBy::Unknown] {
        assert_eq!(
            authorize_order(&admin, company(OTHER), None, false, named).map(|_| ()),
            Err(OrderRefusal::NoSuchOrderingContact)
        );
    }
    let bo = actor(11, PARTNER, CompanyKind::Partner, Role::Member, true);
    for named in [olle, PlacedBy::Unknown] {
        assert!(matches!(
            authorize_order(&bo, company(PARTNER), None, false, named),
            Err(OrderRefusal::Denied(Refusal::PermissionDenied {
                reason: Denial::OnBehalf,
                ..
            }))
        ));
    }
    let erp = actor(31, PARTNER, CompanyKind::Partner, Role::Integration, false);
    assert!(authorize_order(&erp, company(PARTNER), None, false, olle).is_ok());
}

#[test]
fn a_setup_link_permits_while_live_and_addressed_to_the_contact() {
    let kim = ContactEmail::parse("kim@kund.test").unwrap();
    let new = ContactEmail::parse("new@kund.test").unwrap();
    assert!(
        authorize_by_link(LinkState::Live, &kim, &kim)
            .unwrap()
            .by_link()
    );
    assert_eq!(
        authorize_by_link(LinkState::Live, &kim, &new),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        authorize_by_link(LinkState::Spent, &kim, &kim),
        Err(Refusal::NotFound)
    );
}

#[test]
fn a_live_link_sent_to_the_current_contact_may_hand_off_and_any_link_may_ask_for_a_fresh_one() {
    let kim = ContactEmail::parse("kim@kund.test").unwrap();
    let other = ContactEmail::parse("new@kund.test").unwrap();
    let permit = authorize_hand_off(LinkState::Live, &kim, &kim).unwrap();
    assert!(permit.by_link());
    assert_eq!(permit.actor(), None);
    // Re-addressed since, or no longer live: the page shows what the link is now.
    assert_eq!(
        authorize_hand_off(LinkState::Live, &kim, &other),
        Err(Refusal::NotFound)
    );
    assert_eq!(
        authorize_hand_off(LinkState::Revoked, &kim, &kim),
        Err(Refusal::NotFound)
    );
    assert!(authorize_fresh_link().by_link());
}

#[test]
fn a_link_is_live_only_while_it_can_set_up_the_line() {
    let kim = ContactEmail::parse("kim@kund.test").unwrap();
    let ines = ContactEmail::parse("ines@kund.test").unwrap();
    let standing = |link, contact: &ContactEmail, stage| link_standing(link, &kim, contact, stage);
    assert_eq!(
        standing(LinkState::Live, &kim, Stage::AwaitingProvisioning),
        LinkState::Live
    );
    assert_eq!(
        standing(LinkState::Live, &kim, Stage::Onboarded),
        LinkState::Spent
    );
    assert_eq!(
        standing(LinkState::Spent, &kim, Stage::AwaitingProvisioning),
        LinkState::Spent
    );
    assert_eq!(
        standing(LinkState::Live, &ines, Stage::Scheduled),
        LinkState::Revoked,
        "re-addressed since"
    );
    assert_eq!(
        standing(LinkState::Live, &kim, Stage::Cancelled),
        LinkState::Revoked
    );
    // Live exactly when the link permits.
    for (link, contact) in [
        (LinkState::Live, &kim),
        (LinkState::Revoked, &kim),
        (LinkState::Live, &ines),
    ] {
        let live = standing(link, contact, Stage::Scheduled) == LinkState::Live;
        assert_eq!(live, authorize_by_link(link, &kim, contact).is_ok());
    }
}
