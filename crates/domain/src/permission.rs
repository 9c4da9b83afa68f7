//! Who may do what (R5, R9, SPEC §9). Authorization returns a permit value that the matching
//! mutation requires, so an unchecked resend or cancel does not compile (STYLE habit 4).

use crate::ids::{CompanyId, UserId};
use crate::refusal::{Denial, OrderingContact, Refusal};
use crate::state::{CompanyKind, LinkState, Role, Stage};
use crate::values::ContactEmail;

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
    /// The operator at the command line, as the rules read them: an admin of the operator
    /// (the CLI acts with the operator's full rights; `--as` names a user otherwise).
    pub fn operator() -> Self {
        Actor {
            user_id: UserId::from_uuid(uuid::Uuid::nil()),
            name: "operator".into(),
            email: String::new(),
            role: Role::Admin,
            company_id: CompanyId::from_uuid(uuid::Uuid::nil()),
            company_kind: CompanyKind::Operator,
            can_resend: true,
        }
    }

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
    /// Whether the order's distributor serves its partner now (the link an admin made; SPEC
    /// §11: a distributor acts on an order only while it stands).
    pub distributor_serves_partner: bool,
    pub placed_by: UserId,
    pub ordering_contact: OrderingContact,
}

impl OrderParties {
    /// The order's partner, or its distributor while it serves the partner.
    fn involves(&self, company: CompanyId) -> bool {
        self.partner_id == company
            || (self.distributor_id == Some(company) && self.distributor_serves_partner)
    }
}

/// Whose orders a user sees: the one rule for a single order or line and for every list. A
/// store's list query selects candidates by it; the app keeps only those it
/// [admits](Scope::admits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Admins, support agents, any user of an operator company.
    Everything,
    /// The orders of which the company is the partner, or the distributor while it serves
    /// the partner, and the orders the user placed.
    Company {
        company_id: CompanyId,
        user_id: UserId,
    },
}

impl Scope {
    pub fn of(actor: &Actor) -> Self {
        if actor.sees_everything() {
            Scope::Everything
        } else {
            Scope::Company {
                company_id: actor.company_id,
                user_id: actor.user_id,
            }
        }
    }

    pub fn admits(&self, order: &OrderParties) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Company {
                company_id,
                user_id,
            } => order.involves(*company_id) || order.placed_by == *user_id,
        }
    }
}

/// Whether the actor may see the order at all. Anything they may not see is `not_found`.
pub fn can_see(actor: &Actor, order: &OrderParties) -> bool {
    Scope::of(actor).admits(order)
}

/// Fails with `not_found` when the actor may not see the order.
pub fn ensure_visible(actor: &Actor, order: &OrderParties) -> Result<(), Refusal> {
    if can_see(actor, order) {
        Ok(())
    } else {
        Err(Refusal::NotFound)
    }
}

/// Permission to resend a line's provisioning email or change its contact (R5), or, from
/// the setup page, for the holder of a setup link (SPEC §10). Only this module mints permits
/// (their fields are private), so an unchecked action does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePermit {
    /// None: the holder of a setup link.
    actor: Option<UserId>,
}

impl LinePermit {
    pub fn actor(&self) -> Option<UserId> {
        self.actor
    }

    /// Whether the action comes from the setup page.
    pub fn by_link(&self) -> bool {
        self.actor.is_none()
    }
}

/// Permission to cancel a line (R9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelPermit {
    actor: UserId,
}

impl CancelPermit {
    pub fn actor(&self) -> UserId {
        self.actor
    }
}

/// Permission to report onboarding or completed service configuration (R7, R8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPermit {
    /// None: the provisioning contact through a live setup link.
    actor: Option<UserId>,
}

impl ReportPermit {
    /// Whether the provisioning contact reports through their setup link.
    pub fn by_link(&self) -> bool {
        self.actor.is_none()
    }
}

/// Permission to place an order with these parties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPermit {
    actor: UserId,
    partner: CompanyId,
    distributor: Option<CompanyId>,
    placed_by: UserId,
}

impl OrderPermit {
    /// Who placed it (the events' actor); may differ from the ordering contact.
    pub fn actor(&self) -> UserId {
        self.actor
    }
    pub fn partner(&self) -> CompanyId {
        self.partner
    }
    pub fn distributor(&self) -> Option<CompanyId> {
        self.distributor
    }
    /// The ordering contact.
    pub fn placed_by(&self) -> UserId {
        self.placed_by
    }
}

fn denied(actor: &Actor, order: &OrderParties, reason: Denial) -> Refusal {
    if !can_see(actor, order) {
        return Refusal::NotFound;
    }
    // The ordering contact is named when they can help: never to themselves, and not for
    // reports, which no member (the ordering contact included) may make.
    let ordering_contact = (order.placed_by != actor.user_id && reason != Denial::Report)
        .then(|| order.ordering_contact.clone());
    Refusal::PermissionDenied {
        reason,
        ordering_contact,
    }
}

fn denied_outright(reason: Denial) -> Refusal {
    Refusal::PermissionDenied {
        reason,
        ordering_contact: None,
    }
}

/// Which lines a user may resend and re-address (R5) beyond the orders they placed
/// themselves, which every user may. [`authorize_line_action`] applies it and the admin's
/// users page shows it, so the page cannot say other than the rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResendStanding {
    /// Every order, as an admin.
    Admin,
    /// Every order, as a support agent.
    SupportAgent,
    /// Granted (`can_resend`): the orders of their partner company, or of the partners their
    /// distributor company serves.
    Granted,
    /// Only the orders they placed. A grant in the operator company changes nothing: it is
    /// no order's partner or distributor.
    OwnOrdersOnly,
}

impl ResendStanding {
    pub fn of(role: Role, company_kind: CompanyKind, can_resend: bool) -> Self {
        match role {
            Role::Admin => ResendStanding::Admin,
            Role::SupportAgent => ResendStanding::SupportAgent,
            Role::Member | Role::Integration
                if can_resend && company_kind != CompanyKind::Operator =>
            {
                ResendStanding::Granted
            }
            Role::Member | Role::Integration => ResendStanding::OwnOrdersOnly,
        }
    }

    /// Whether the `can_resend` grant decides this user's standing (for admins and support
    /// agents, and in the operator company, it changes nothing).
    pub fn grant_matters(role: Role, company_kind: CompanyKind) -> bool {
        ResendStanding::of(role, company_kind, true)
            != ResendStanding::of(role, company_kind, false)
    }
}

/// R5: the ordering contact; users of the order's partner or distributor company with
/// `can_resend`; support agents; admins ([`ResendStanding`]). Others who can see the order
/// are told whom to ask; the rest do not learn that it exists.
pub fn authorize_line_action(actor: &Actor, order: &OrderParties) -> Result<LinePermit, Refusal> {
    let allowed = order.placed_by == actor.user_id
        || match ResendStanding::of(actor.role, actor.company_kind, actor.can_resend) {
            ResendStanding::Admin | ResendStanding::SupportAgent => true,
            ResendStanding::Granted => order.involves(actor.company_id),
            ResendStanding::OwnOrdersOnly => false,
        };
    if allowed {
        Ok(LinePermit {
            actor: Some(actor.user_id),
        })
    } else {
        Err(denied(actor, order, Denial::LineAction))
    }
}

/// R9: an admin or the ordering contact may cancel.
pub fn authorize_cancel(actor: &Actor, order: &OrderParties) -> Result<CancelPermit, Refusal> {
    if actor.is_admin() || order.placed_by == actor.user_id {
        Ok(CancelPermit {
            actor: actor.user_id,
        })
    } else {
        Err(denied(actor, order, Denial::Cancel))
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
        Err(denied(actor, order, Denial::Report))
    }
}

/// What a setup link is now, as its page shows it (R7, SPEC §8): `Spent` once the line is
/// past the point of no return (continue at the admin portal), `Revoked` when the line was
/// re-addressed since the link was sent or cancelled (ask the partner), `Live` otherwise:
/// the link opens the form, and exactly then do [`authorize_by_link`] and
/// [`authorize_hand_off`] permit.
pub fn link_standing(
    link: LinkState,
    sent_to: &ContactEmail,
    contact_now: &ContactEmail,
    stage: Stage,
) -> LinkState {
    if stage.past_point_of_no_return() || link == LinkState::Spent {
        LinkState::Spent
    } else if stage == Stage::Cancelled || link == LinkState::Revoked || sent_to != contact_now {
        LinkState::Revoked
    } else {
        LinkState::Live
    }
}

/// R7 from the setup page: the link is the credential. It must still be live, and the line's
/// contact (read where the change is written) must be the one the link was sent to: a contact
/// change committed since has revoked it.
pub fn authorize_by_link(
    link: LinkState,
    sent_to: &ContactEmail,
    contact_now: &ContactEmail,
) -> Result<ReportPermit, Refusal> {
    if link == LinkState::Live && sent_to == contact_now {
        Ok(ReportPermit { actor: None })
    } else {
        Err(Refusal::NotFound)
    }
}

/// SPEC §10 "Someone else in my company will set this up": the current contact hands the
/// setup off to a colleague, a contact change (R4) made through their live link (the same
/// test as [`authorize_by_link`]).
pub fn authorize_hand_off(
    link: LinkState,
    sent_to: &ContactEmail,
    contact_now: &ContactEmail,
) -> Result<LinePermit, Refusal> {
    authorize_by_link(link, sent_to, contact_now).map(|_| LinePermit { actor: None })
}

/// SPEC §10 "Send me a fresh link": whoever holds any setup link of the line, live or not,
/// may ask for a resend. It goes only to the line's current contact (never to the address the
/// old link was sent to), under the rate limit (R10), so holding an old link reveals nothing
/// and reaches no one new.
pub fn authorize_fresh_link() -> LinePermit {
    LinePermit { actor: None }
}

/// Support agents help with orders; they do not place them. Checked before anything else
/// about an order is looked at.
pub fn ensure_may_order(actor: &Actor) -> Result<(), Refusal> {
    if actor.role == Role::SupportAgent {
        Err(denied_outright(Denial::SupportAgentOrders))
    } else {
        Ok(())
    }
}

/// Only an admin or an integration names someone else as an order's ordering contact.
pub fn ensure_may_order_on_behalf(actor: &Actor) -> Result<(), Refusal> {
    if actor.is_admin() || actor.role == Role::Integration {
        Ok(())
    } else {
        Err(denied_outright(Denial::OnBehalf))
    }
}

/// The ordering contact an order names, as looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacedBy {
    /// The caller (no `placed_by`, or the caller's own address).
    Caller,
    /// Another user, of this company.
    User { id: UserId, company: CompanyId },
    /// An address of no user.
    Unknown,
}

/// A company an order names, as looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Company(CompanyId),
    /// The id names no company of the kind the field asks for, as far as the caller may
    /// know (an id of another tenant's company of another kind is as good as none).
    Unknown,
}

/// Why an order may not be placed with these parties. A field the caller may not use is
/// refused as though it named nothing at all (SPEC §11 "Tenancy"), whatever the reason:
/// no such company or user, another tenant's, or one without the link the order needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRefusal {
    Denied(Refusal),
    /// `partner_id` names no partner the caller may order for.
    NoSuchPartner,
    /// `distributor_id` names no distributor that may act on this order.
    NoSuchDistributor,
    /// `placed_by` names no user of the order's partner company.
    NoSuchOrderingContact,
}

/// Who may place an order for whom: admins and operator integrations for any partner, with
/// any distributor; a partner for itself, naming only a distributor that serves it; a
/// distributor for a partner it serves. Only an admin or an integration names someone else
/// as the ordering contact, who must be a user of the partner.
///
/// `distributor_serves_partner` is the link the order depends on, as looked up: for a
/// distributor placing it, whether the caller's company serves `partner`; otherwise whether
/// the named distributor does. The fields are judged in the order of the request (partner,
/// distributor, ordering contact), each on its own value and the caller alone, so a refusal
/// never tells which of another tenant's companies or users exist, or how they are linked.
pub fn authorize_order(
    actor: &Actor,
    partner: CompanyId,
    distributor: Option<Named>,
    distributor_serves_partner: bool,
    placed_by: PlacedBy,
) -> Result<OrderPermit, OrderRefusal> {
    ensure_may_order(actor).map_err(OrderRefusal::Denied)?;
    let for_anyone = actor.is_admin() || actor.company_kind == CompanyKind::Operator;
    let serves = distributor_serves_partner;
    let partner_usable = for_anyone
        || match actor.company_kind {
            CompanyKind::Partner => partner == actor.company_id,
            CompanyKind::Distributor => serves,
            CompanyKind::Operator => true,
        };
    if !partner_usable {
        return Err(OrderRefusal::NoSuchPartner);
    }
    let distributor = match distributor {
        None if !for_anyone && actor.company_kind == CompanyKind::Distributor => {
            return Err(OrderRefusal::Denied(denied_outright(
                Denial::OwnCompanyOrders,
            )));
        }
        None => None,
        Some(Named::Unknown) => return Err(OrderRefusal::NoSuchDistributor),
        Some(Named::Company(d)) => {
            let usable = for_anyone
                || match actor.company_kind {
                    CompanyKind::Partner => serves,
                    CompanyKind::Distributor => d == actor.company_id,
                    CompanyKind::Operator => true,
                };
            if !usable {
                return Err(OrderRefusal::NoSuchDistributor);
            }
            Some(d)
        }
    };
    let placed_by = match placed_by {
        PlacedBy::Caller => actor.user_id,
        PlacedBy::User { .. } | PlacedBy::Unknown => {
            ensure_may_order_on_behalf(actor).map_err(OrderRefusal::Denied)?;
            match placed_by {
                PlacedBy::User { id, company } if company == partner => id,
                _ => return Err(OrderRefusal::NoSuchOrderingContact),
            }
        }
    };
    Ok(OrderPermit {
        actor: actor.user_id,
        partner,
        distributor,
        placed_by,
    })
}

/// Managing companies, users, API keys and offer policies is for admins.
pub fn ensure_admin(actor: &Actor) -> Result<(), Refusal> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(denied_outright(Denial::AdminOnly))
    }
}

/// Permits for the domain's own tests, which exercise the rules behind the checks.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub fn line(actor: UserId) -> LinePermit {
        LinePermit { actor: Some(actor) }
    }
    pub fn line_by_link() -> LinePermit {
        LinePermit { actor: None }
    }
    pub fn cancel(actor: UserId) -> CancelPermit {
        CancelPermit { actor }
    }
    pub fn by_link() -> ReportPermit {
        ReportPermit { actor: None }
    }
}

#[cfg(test)]
#[path = "permission_tests.rs"]
mod tests;
