//! Placing, finding and listing orders and their lines.

use jiff::SignedDuration;
use provisio_domain::event::{Event, EventType};
use provisio_domain::order::{NewOrder, RawOrder};
use provisio_domain::permission::{can_see, ensure_visible};
use provisio_domain::policy::rsd_start;
use provisio_domain::{
    Actor, CompanyId, CompanyKind, ContactEmail, LineStatus, Role, Stage, SubRef, WebOrderId,
};
use provisio_store::{
    Company, Created, EventRecord, IdempotencyKey, LineContext, LineQuery, NewLineRecord,
    NewOrderRecord, Order, OrderQuery, Page, PageRequest,
};
use serde_json::json;

use super::{App, scope_of};
use crate::error::{AppError, AppResult};

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL: SignedDuration = SignedDuration::from_hours(24);

/// An order to place, fields still raw, with the parties it names.
#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub order: RawOrder,
    pub partner_id: Option<String>,
    pub distributor_id: Option<String>,
    /// The ordering contact's email, when an admin or integration places the order for them.
    pub placed_by: Option<String>,
}

/// A client's `Idempotency-Key` with the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

pub struct OrderFilter {
    pub q: Option<String>,
    pub status: Option<LineStatus>,
    pub stage: Option<Stage>,
    pub page: PageRequest,
}

impl App {
    async fn company_of_kind(
        &self,
        path: &str,
        raw: &str,
        kind: CompanyKind,
    ) -> AppResult<Company> {
        let id: CompanyId = raw
            .parse()
            .map_err(|_| AppError::invalid(path, format!("'{raw}' is not a company id")))?;
        match self.store.company(id).await? {
            Some(c) if c.kind == kind => Ok(c),
            Some(c) => Err(AppError::invalid(
                path,
                format!("{} is a {}, not a {kind}", c.name, c.kind),
            )),
            None => Err(AppError::invalid(path, format!("no company with id {raw}"))),
        }
    }

    /// Decides partner, distributor and ordering contact for an order placed by `actor`.
    async fn parties(
        &self,
        actor: &Actor,
        input: &OrderInput,
    ) -> AppResult<(CompanyId, Option<CompanyId>, provisio_domain::UserId)> {
        if actor.role == Role::SupportAgent {
            return Err(AppError::permission_denied(
                "support agents do not place orders",
            ));
        }
        // Admins and operator integrations place orders for any partner.
        let for_anyone = actor.is_admin() || actor.company_kind == CompanyKind::Operator;
        let partner = match &input.partner_id {
            Some(raw) => {
                self.company_of_kind("partner_id", raw, CompanyKind::Partner)
                    .await?
                    .id
            }
            None if actor.company_kind == CompanyKind::Partner => actor.company_id,
            None => {
                return Err(AppError::invalid(
                    "partner_id",
                    "partner_id is required when your company is not a partner",
                ));
            }
        };
        let distributor = match &input.distributor_id {
            Some(raw) => Some(
                self.company_of_kind("distributor_id", raw, CompanyKind::Distributor)
                    .await?
                    .id,
            ),
            None if actor.company_kind == CompanyKind::Distributor => Some(actor.company_id),
            None => None,
        };
        if !for_anyone {
            let own = match actor.company_kind {
                CompanyKind::Partner => partner == actor.company_id,
                CompanyKind::Distributor => distributor == Some(actor.company_id),
                CompanyKind::Operator => true,
            };
            if !own {
                return Err(AppError::permission_denied(
                    "you may only place orders in which your company is the partner or distributor",
                ));
            }
        }
        let placed_by = match &input.placed_by {
            None => actor.user_id,
            Some(raw) => {
                let email = ContactEmail::parse(raw)
                    .map_err(|e| AppError::invalid_field("placed_by", e))?;
                if email.as_str() == actor.email {
                    actor.user_id
                } else if !(actor.is_admin() || actor.role == Role::Integration) {
                    return Err(AppError::permission_denied(
                        "only an admin or an integration may place an order on someone's behalf",
                    ));
                } else {
                    let user = self.store.user_by_email(&email).await?.ok_or_else(|| {
                        AppError::invalid("placed_by", format!("no user {email}"))
                    })?;
                    if user.company.id != partner {
                        return Err(AppError::invalid(
                            "placed_by",
                            format!("{email} is not a user of the order's partner company"),
                        ));
                    }
                    user.id
                }
            }
        };
        Ok((partner, distributor, placed_by))
    }

    /// Places an order: all of it, or nothing (R1 sends come from the scheduler).
    pub async fn create_order(
        &self,
        actor: &Actor,
        input: OrderInput,
        idempotency: Option<Idempotency>,
    ) -> AppResult<Created<Order>> {
        let order = NewOrder::parse(&input.order)?;
        let (partner_id, distributor_id, placed_by) = self.parties(actor, &input).await?;
        let now = self.clock.now();
        let zone = &self.config.time_zone;
        let lines: Vec<NewLineRecord> = order
            .lines
            .into_iter()
            .map(|line| NewLineRecord {
                rsd_start: rsd_start(line.requested_start_date, zone),
                line,
            })
            .collect();
        let event = Event::new(EventType::OrderCreated, json!({ "lines": lines.len() }));
        let created = self
            .store
            .create_order(NewOrderRecord {
                web_order_id: order.web_order_id,
                partner_id,
                distributor_id,
                end_customer: order.end_customer,
                locale: order.locale,
                placed_by,
                actor: actor.user_id,
                placed_at: now,
                lines,
                event,
                idempotency: idempotency.map(|i| IdempotencyKey {
                    user_id: actor.user_id,
                    key: i.key,
                    request_hash: i.request_hash,
                    not_before: now - IDEMPOTENCY_TTL,
                }),
            })
            .await?;
        if let Created::New(o) = &created {
            tracing::info!(order = %o.web_order_id, lines = o.lines.len(), "order created");
            // Lines with an RSD today or earlier are emailed at once (R1).
            self.wake.notify_one();
        }
        Ok(created)
    }

    pub async fn order(&self, actor: &Actor, raw_id: &str) -> AppResult<Order> {
        let order = self.order_for_operator(raw_id).await?;
        ensure_visible(actor, &order.parties()).map_err(|_| AppError::not_found("order"))?;
        Ok(order)
    }

    pub async fn list_orders(&self, actor: &Actor, f: OrderFilter) -> AppResult<Page<Order>> {
        let query = OrderQuery {
            scope: scope_of(actor),
            q: f.q,
            status: f.status,
            stage: f.stage,
            page: f.page,
        };
        Ok(self.store.list_orders(&query).await?)
    }

    /// A line the actor may see; anything else is `not_found`.
    pub async fn line(&self, actor: &Actor, raw_ref: &str) -> AppResult<LineContext> {
        let sub_ref =
            SubRef::parse(raw_ref).map_err(|_| AppError::not_found("subscription line"))?;
        let line = self
            .store
            .line(&sub_ref)
            .await?
            .ok_or_else(|| AppError::not_found("subscription line"))?;
        if !can_see(actor, &line.parties()) {
            return Err(AppError::not_found("subscription line"));
        }
        Ok(line)
    }

    pub async fn list_lines(
        &self,
        actor: &Actor,
        q: Option<String>,
        incomplete_only: bool,
        page: PageRequest,
    ) -> AppResult<Page<LineContext>> {
        let query = LineQuery {
            scope: scope_of(actor),
            q,
            incomplete_only,
            page,
        };
        Ok(self.store.list_lines(&query).await?)
    }

    pub async fn line_events(&self, actor: &Actor, raw_ref: &str) -> AppResult<Vec<EventRecord>> {
        let line = self.line(actor, raw_ref).await?;
        Ok(self.store.line_events(&line.line.sub_ref).await?)
    }
}

impl App {
    /// The user named by `--as` at the command line, acting with their own rights.
    pub async fn actor_by_email(&self, raw: &str) -> AppResult<Actor> {
        let email = ContactEmail::parse(raw).map_err(|e| AppError::invalid_field("--as", e))?;
        let user = self
            .store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| AppError::invalid("--as", format!("no user {email}")))?;
        Ok(Actor {
            user_id: user.id,
            name: user.name,
            email: user.email.to_string(),
            role: user.role,
            company_id: user.company.id,
            company_kind: user.company.kind,
            can_resend: user.can_resend,
        })
    }

    /// Any order, for the operator at the command line (and, checked, for users); a malformed
    /// id is simply not found.
    pub async fn order_for_operator(&self, raw_id: &str) -> AppResult<Order> {
        let id = WebOrderId::parse(raw_id).map_err(|_| AppError::not_found("order"))?;
        self.store
            .order(&id)
            .await?
            .ok_or_else(|| AppError::not_found("order"))
    }
}
