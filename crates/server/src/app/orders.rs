//! Placing, finding and listing orders and their lines.

use jiff::SignedDuration;
use provisio_domain::event::Event;
use provisio_domain::order::{NewOrder, RawOrder};
use provisio_domain::permission::{
    Named, OrderRefusal, PlacedBy, authorize_order, can_see, ensure_may_order,
    ensure_may_order_on_behalf, ensure_visible,
};
use provisio_domain::policy::rsd_start;
use provisio_domain::search::Search;
use provisio_domain::{
    Actor, CompanyId, CompanyKind, ContactEmail, FieldPath, OrderPermit, Scope, SubRef, WebOrderId,
};
use provisio_store::{
    Company, Created, EventRecord, IdempotencyKey, LineContext, LineWindow, NewLineRecord,
    NewOrderRecord, Order, OrderQuery, OrderSummary, OrderWindow, Page, PageRequest, Wake,
    retrying,
};

use super::App;
use super::line_list::LineFilter;
use crate::error::{AppError, AppResult, Thing};

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

impl App {
    /// The company an order's field names, when it is one of `kind`. An id of no company,
    /// or (for a caller who does not see every company) of another company of another
    /// kind, is [`Named::Unknown`]: the domain refuses it as it refuses another tenant's
    /// company, in the same words. Only a company the caller sees is named when its kind is
    /// wrong.
    async fn named_company(
        &self,
        actor: &Actor,
        field: &'static str,
        raw: &str,
        kind: CompanyKind,
    ) -> AppResult<Named> {
        let id: CompanyId = raw.parse().map_err(|_| {
            AppError::invalid_value(field, "value-company-id", vec![("value", raw.to_owned())])
        })?;
        match self.store.company(id).await? {
            Some(c) if c.kind == kind || actor.sees_everything() || c.id == actor.company_id => {
                of_kind(field, c, kind).map(|c| Named::Company(c.id))
            }
            _ => Ok(Named::Unknown),
        }
    }

    /// Looks up the parties an order names and has the domain authorize them. The lookups
    /// themselves refuse only what depends on the value sent and the caller alone (a
    /// malformed id or address, a company the caller sees but of the wrong kind); what
    /// depends on other tenants' data is judged field by field, partner first, as
    /// `authorize_order` does, so no answer tells which of their things exist.
    async fn order_permit(&self, actor: &Actor, input: &OrderInput) -> AppResult<OrderPermit> {
        ensure_may_order(actor)?;
        let email = match &input.placed_by {
            Some(raw) => Some(
                ContactEmail::parse(raw)
                    .map_err(|e| AppError::invalid(FieldPath::name("placed_by"), e))?,
            ),
            None => None,
        };
        let someone_else = email.as_ref().filter(|e| e.as_str() != actor.email);
        if someone_else.is_some() {
            // Whether the caller may name someone else at all is asked before looking
            // anything up: the answer must not depend on who exists.
            ensure_may_order_on_behalf(actor)?;
        }
        let partner = match &input.partner_id {
            Some(raw) => {
                self.named_company(actor, "partner_id", raw, CompanyKind::Partner)
                    .await?
            }
            None if actor.company_kind == CompanyKind::Partner => Named::Company(actor.company_id),
            None => {
                return Err(AppError::invalid_value(
                    "partner_id",
                    "value-partner-required",
                    vec![],
                ));
            }
        };
        let distributor = match &input.distributor_id {
            Some(raw) => Some(
                self.named_company(actor, "distributor_id", raw, CompanyKind::Distributor)
                    .await?,
            ),
            None if actor.company_kind == CompanyKind::Distributor => {
                Some(Named::Company(actor.company_id))
            }
            None => None,
        };
        let placed_by = match someone_else {
            None => PlacedBy::Caller,
            Some(email) => match self.store.user_by_email(email).await? {
                Some(user) => PlacedBy::User {
                    id: user.id,
                    company: user.company.id,
                },
                None => PlacedBy::Unknown,
            },
        };
        // An id of no partner is refused here, before the rest is judged: the partner is
        // the first field the domain judges too.
        let Named::Company(partner) = partner else {
            return Err(no_such(OrderRefusal::NoSuchPartner));
        };
        // The link the order depends on (see `authorize_order`).
        let linked = match (actor.company_kind, distributor) {
            (CompanyKind::Distributor, _) => Some(actor.company_id),
            (_, Some(Named::Company(d))) => Some(d),
            _ => None,
        };
        let serves = match linked {
            Some(d) => self.store.serves(d, partner).await?,
            None => false,
        };
        authorize_order(actor, partner, distributor, serves, placed_by).map_err(no_such)
    }

    /// After a bulk import: the store's planner statistics brought up to date.
    pub async fn refresh_statistics(&self) -> AppResult<()> {
        Ok(self.store.refresh_statistics().await?)
    }

    /// Places an order: all of it, or nothing (R1 sends come from the scheduler).
    pub async fn create_order(
        &self,
        actor: &Actor,
        input: OrderInput,
        idempotency: Option<Idempotency>,
    ) -> AppResult<Created<Order>> {
        let record = self
            .order_record(actor, &input, idempotency, self.clock.now())
            .await?;
        // Nothing is written when the store was busy: placing it again is safe.
        let created = retrying(|| self.store.create_order(record.clone())).await?;
        if let Created::New(o) = &created {
            tracing::info!(order = %o.web_order_id, lines = o.lines.len(), "order created");
            // Lines with an RSD today or earlier are emailed at once (R1).
            self.wake(Wake::Planner);
        }
        Ok(created)
    }

    /// An order checked and authorized as placed by `actor` at `now`, ready to write.
    pub(super) async fn order_record(
        &self,
        actor: &Actor,
        input: &OrderInput,
        idempotency: Option<Idempotency>,
        now: jiff::Timestamp,
    ) -> AppResult<NewOrderRecord> {
        let order = NewOrder::parse(&input.order)?;
        let permit = self.order_permit(actor, input).await?;
        let zone = &self.config.time_zone;
        let lines: Vec<NewLineRecord> = order
            .lines
            .into_iter()
            .map(|line| NewLineRecord {
                rsd_start: rsd_start(line.requested_start_date, zone),
                line,
            })
            .collect();
        let event = Event::OrderCreated { lines: lines.len() };
        let record = NewOrderRecord {
            web_order_id: order.web_order_id,
            permit,
            end_customer: order.end_customer,
            locale: order.locale,
            placed_at: now,
            lines,
            event,
            idempotency: idempotency.map(|i| IdempotencyKey {
                user_id: actor.user_id,
                key: i.key,
                request_hash: i.request_hash,
                not_before: now - IDEMPOTENCY_TTL,
            }),
        };
        Ok(record)
    }

    pub async fn order(&self, actor: &Actor, raw_id: &str) -> AppResult<Order> {
        let order = self.order_for_operator(raw_id).await?;
        ensure_visible(actor, &order.parties()).map_err(|_| AppError::not_found(Thing::Order))?;
        Ok(order)
    }

    /// An order the actor may see with one window of its lines (a page of a large order) and
    /// how many it has; anything else is `not_found`.
    pub async fn order_window(
        &self,
        actor: &Actor,
        raw_id: &str,
        window: LineWindow,
    ) -> AppResult<OrderWindow> {
        let found = match WebOrderId::parse(raw_id) {
            Ok(id) => {
                let read = self.store.order_window(&id, window);
                self.read_current(read, |found| match found {
                    Some(f) => f.order.lines.iter_mut().collect(),
                    None => vec![],
                })
                .await?
            }
            Err(_) => None,
        };
        let found = found.ok_or(AppError::not_found(Thing::Order))?;
        ensure_visible(actor, &found.order.parties())
            .map_err(|_| AppError::not_found(Thing::Order))?;
        Ok(found)
    }

    /// Orders the actor may see, narrowed by `filter` (its stage and status: orders with such
    /// a line; its attention reason: orders with a line the domain lists under it; closing
    /// within N days: orders with a line whose window ends by then), newest first or by
    /// deadline.
    pub async fn list_orders(
        &self,
        actor: &Actor,
        filter: &LineFilter,
        page: PageRequest,
    ) -> AppResult<Page<OrderSummary>> {
        let only = match filter.attention {
            Some(reason) => {
                let all = PageRequest {
                    after: None,
                    limit: u32::MAX,
                };
                let found = self
                    .attention(actor, &LineFilter::default(), Some(reason), all)
                    .await?;
                let mut ids: Vec<WebOrderId> = vec![];
                for l in found.page.items {
                    if !ids.contains(&l.line.web_order_id) {
                        ids.push(l.line.web_order_id);
                    }
                }
                Some(ids)
            }
            None => None,
        };
        let now = self.clock.now();
        let query = OrderQuery {
            q: filter.q.as_deref().and_then(Search::parse),
            status: filter.status,
            stage: filter.stage,
            closing_by: filter.closing_by(now),
            only,
            sort: filter.sort,
            ..OrderQuery::new(Scope::of(actor), page)
        };
        let mut page = self.store.list_orders(&query).await?;
        // The store selects candidates; the domain's scope decides (one rule for a single
        // order and for every list).
        page.items
            .retain(|o| query.scope.admits(&o.order.parties()));
        Ok(page)
    }

    /// A line the actor may see; anything else is `not_found`.
    pub async fn line(&self, actor: &Actor, raw_ref: &str) -> AppResult<LineContext> {
        let line = self.line_for_operator(raw_ref).await?;
        if !can_see(actor, &line.parties()) {
            return Err(AppError::not_found(Thing::Line));
        }
        Ok(line)
    }

    pub async fn line_events(&self, actor: &Actor, raw_ref: &str) -> AppResult<Vec<EventRecord>> {
        let line = self.line(actor, raw_ref).await?;
        Ok(self.store.line_events(&line.line.sub_ref).await?)
    }
}

impl App {
    /// The user named as the acting user at the command line (`--as`), with their own rights.
    pub async fn actor_by_email(&self, raw: &str) -> AppResult<Actor> {
        let field = || FieldPath::name("acting_user");
        let email = ContactEmail::parse(raw).map_err(|e| AppError::invalid(field(), e))?;
        let user = self.store.user_by_email(&email).await?.ok_or_else(|| {
            AppError::invalid(
                field(),
                provisio_domain::ValueError::invalid(
                    "value-no-user",
                    vec![("value", email.to_string())],
                ),
            )
        })?;
        Ok(user.actor())
    }

    /// Any order, for the operator at the command line (and, checked, for users); a malformed
    /// id is simply not found.
    pub async fn order_for_operator(&self, raw_id: &str) -> AppResult<Order> {
        self.find_order(raw_id)
            .await?
            .ok_or(AppError::not_found(Thing::Order))
    }

    /// An order by its web order id, if there is one (any spelling that is not a web order id
    /// is none).
    pub async fn find_order(&self, raw_id: &str) -> AppResult<Option<Order>> {
        match WebOrderId::parse(raw_id) {
            Ok(id) => {
                let read = self.store.order(&id);
                self.read_current(read, |found| match found {
                    Some(order) => order.lines.iter_mut().collect(),
                    None => vec![],
                })
                .await
            }
            Err(_) => Ok(None),
        }
    }

    /// Any line, for the operator (and, checked, for users); a malformed reference is simply
    /// not found.
    pub async fn line_for_operator(&self, raw_ref: &str) -> AppResult<LineContext> {
        let sub_ref = SubRef::parse(raw_ref).map_err(|_| AppError::not_found(Thing::Line))?;
        let read = self.store.line(&sub_ref);
        self.read_current(read, |found| {
            found.iter_mut().map(|c| &mut c.line).collect()
        })
        .await?
        .ok_or(AppError::not_found(Thing::Line))
    }
}

/// An order refused: a field the caller may not use answers the same words whatever the
/// reason (no such company or user, another tenant's, or not linked), without the value, so
/// two such answers are byte for byte the same (SPEC §11 "Tenancy").
fn no_such(refusal: OrderRefusal) -> AppError {
    let (field, key) = match refusal {
        OrderRefusal::Denied(r) => return r.into(),
        OrderRefusal::NoSuchPartner => ("partner_id", "value-order-partner"),
        OrderRefusal::NoSuchDistributor => ("distributor_id", "value-order-distributor"),
        OrderRefusal::NoSuchOrderingContact => ("placed_by", "value-order-placed-by"),
    };
    AppError::invalid_value(field, key, vec![])
}

/// `company` if it is of `kind`; otherwise the error on `field` that says what it is.
pub(super) fn of_kind(
    field: &'static str,
    company: Company,
    kind: CompanyKind,
) -> AppResult<Company> {
    if company.kind == kind {
        return Ok(company);
    }
    Err(AppError::invalid_value(
        field,
        "value-company-kind",
        vec![
            ("name", company.name),
            ("kind", company.kind.to_string()),
            ("expected", kind.to_string()),
        ],
    ))
}
