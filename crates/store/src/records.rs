//! Records crossing the store boundary: domain values, no SQL types.

use jiff::Timestamp;
use jiff::civil::Date;
use provisio_domain::refusal::OrderingContact;
use provisio_domain::search::Search;
use provisio_domain::{
    Actor, CompanyId, CompanyKind, ContactEmail, EmailKind, EmailState, LineState, Locale,
    MailFact, NewLine, OfferSku, OrderParties, OrderPermit, PersonName, Recipient, Role, Stage,
    SubRef, UserId, UserStatus, WebOrderId,
};
use provisio_domain::{Event, LineStatus};

use crate::{Entity, StoreError, StoreResult};

pub use provisio_domain::attention::Candidates;
pub use provisio_domain::{HandOff, Organization, Scope};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub kind: CompanyKind,
}

#[derive(Debug, Clone)]
pub struct NewCompany {
    pub name: PersonName,
    pub kind: CompanyKind,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub company: Company,
    pub email: ContactEmail,
    pub name: String,
    pub role: Role,
    pub can_resend: bool,
    /// A disabled user cannot sign in and their API keys are refused.
    pub status: UserStatus,
    /// Argon2 PHC string, for the web sign-in.
    pub password_hash: Option<String>,
    /// The language the user chose for the pages; `None`: the browser's.
    pub locale: Option<Locale>,
}

impl User {
    /// The user as the rules see a caller.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            name: self.name.clone(),
            email: self.email.as_str().to_owned(),
            role: self.role,
            company_id: self.company.id,
            company_kind: self.company.kind,
            can_resend: self.can_resend,
        }
    }
}

/// An API key as lists show it: never the key, never its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: uuid::Uuid,
    pub user_id: UserId,
    pub created_at: Timestamp,
    /// Recorded at most once a minute per key (so accurate to a minute); `None`: never used.
    pub last_used_at: Option<Timestamp>,
    /// Once set, it stays: revoking again keeps the first time.
    pub revoked_at: Option<Timestamp>,
}

/// Who an API key authenticates, and which key it was (to record its use).
#[derive(Debug, Clone)]
pub struct KeyActor {
    pub key_id: uuid::Uuid,
    pub actor: Actor,
}

/// A new user is active.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub company_id: CompanyId,
    pub email: ContactEmail,
    pub name: PersonName,
    pub role: Role,
    pub can_resend: bool,
    pub password_hash: Option<String>,
    pub now: Timestamp,
}

/// A web sign-in session: what the session layer keeps (serialized), until `expires_at`,
/// and the user signed in with it, if any (so disabling them ends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub data: String,
    pub expires_at: Timestamp,
    pub user_id: Option<UserId>,
}

/// Remembers which request an `Idempotency-Key` answered, for 24 hours.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub user_id: UserId,
    pub key: String,
    /// Hash of method, path and canonical body: the same key with another request conflicts.
    pub request_hash: String,
    /// Keys older than this are forgotten.
    pub not_before: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewLineRecord {
    pub line: NewLine,
    /// The start of the RSD in the business time zone when the line is stored.
    pub rsd_start: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewOrderRecord {
    /// Assigned by the store (`W` + digits) when absent.
    pub web_order_id: Option<WebOrderId>,
    /// The parties (partner, distributor, ordering contact) as authorized, and who placed it
    /// (recorded as the event's actor; may differ from the ordering contact).
    pub permit: OrderPermit,
    pub end_customer: PersonName,
    pub locale: Locale,
    pub placed_at: Timestamp,
    pub lines: Vec<NewLineRecord>,
    pub event: Event,
    pub idempotency: Option<IdempotencyKey>,
}

/// An order an import wrote: its id and the first and last of its lines' references (an
/// order's references are consecutive, in line order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedOrder {
    pub web_order_id: WebOrderId,
    pub lines: usize,
    pub first_ref: SubRef,
    pub last_ref: SubRef,
}

impl ImportedOrder {
    /// An order of `lines` lines whose references were numbered from `first_ref` on.
    pub fn numbered(web_order_id: WebOrderId, first_ref: i64, lines: usize) -> Self {
        let last_ref = first_ref + lines.max(1) as i64 - 1;
        Self {
            web_order_id,
            lines,
            first_ref: SubRef::from_number(first_ref as u64),
            last_ref: SubRef::from_number(last_ref as u64),
        }
    }
}

/// What writing an order did (inside a backend): wrote it, or found the order an earlier
/// request with the same idempotency key made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    New(ImportedOrder),
    Replayed(WebOrderId),
}

impl Written {
    pub fn web_order_id(&self) -> &WebOrderId {
        match self {
            Written::New(o) => &o.web_order_id,
            Written::Replayed(id) => id,
        }
    }
    /// Whether it was found rather than written.
    pub fn replayed(&self) -> bool {
        matches!(self, Written::Replayed(_))
    }
    /// As an import's result: an order found by its idempotency key was not imported now (an
    /// import sends no keys, so this only answers a caller that did).
    pub fn imported(self) -> StoreResult<ImportedOrder> {
        match self {
            Written::New(o) => Ok(o),
            Written::Replayed(_) => Err(StoreError::AlreadyExists {
                what: Entity::Order,
            }),
        }
    }
}

/// Whether a create made something new or replayed an earlier identical request.
#[derive(Debug, Clone, PartialEq)]
pub enum Created<T> {
    New(T),
    Replayed(T),
}

impl<T> Created<T> {
    pub fn into_inner(self) -> T {
        match self {
            Created::New(t) | Created::Replayed(t) => t,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub web_order_id: WebOrderId,
    pub partner: Company,
    pub distributor: Option<Company>,
    /// The distributor serves the partner now (its link stands).
    pub distributor_serves_partner: bool,
    pub end_customer: String,
    pub placed_by: Person,
    pub placed_at: Timestamp,
    pub locale: Locale,
    pub lines: Vec<Line>,
}

/// Which of an order's lines to read with it, by line number: `offset` lines skipped, at most
/// `limit` read (a page of a large order's lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineWindow {
    pub offset: u32,
    pub limit: u32,
}

/// An order with one [`LineWindow`] of its lines (in `order.lines`) and how many it has.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderWindow {
    pub order: Order,
    pub line_count: u32,
}

/// An order as lists show it: without its lines, with how many it has in each stage and
/// status (a list of large orders stays small).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSummary {
    /// The order, its `lines` left empty.
    pub order: Order,
    pub line_count: u32,
    /// Only the stages and statuses that occur, each once.
    pub lines_by_stage: Vec<(Stage, u32)>,
    pub lines_by_status: Vec<(LineStatus, u32)>,
}

impl OrderSummary {
    /// Counts `n` lines of this stage and status (a row of a backend's counting query).
    pub fn add_lines(&mut self, stage: Stage, status: LineStatus, n: u32) {
        fn add<K: PartialEq>(counts: &mut Vec<(K, u32)>, key: K, n: u32) {
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, c)) => *c += n,
                None => counts.push((key, n)),
            }
        }
        self.line_count += n;
        add(&mut self.lines_by_stage, stage, n);
        add(&mut self.lines_by_status, status, n);
    }
}

impl Order {
    pub fn parties(&self) -> OrderParties {
        parties(
            &self.partner,
            self.distributor.as_ref(),
            self.distributor_serves_partner,
            &self.placed_by,
        )
    }
}

/// The facts permissions depend on, for an order and for a line (which carries its order's).
fn parties(
    partner: &Company,
    distributor: Option<&Company>,
    distributor_serves_partner: bool,
    placed_by: &Person,
) -> OrderParties {
    OrderParties {
        partner_id: partner.id,
        distributor_id: distributor.map(|d| d.id),
        distributor_serves_partner,
        placed_by: placed_by.id,
        ordering_contact: OrderingContact {
            name: placed_by.name.clone(),
            email: placed_by.email.clone(),
        },
    }
}

/// A provisioning email as its history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRecord {
    pub id: uuid::Uuid,
    pub kind: EmailKind,
    pub to: ContactEmail,
    pub state: EmailState,
    pub attempts: u32,
    pub queued_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub last_reply: Option<String>,
    /// The recipient's name and the language the email was written in.
    pub to_name: Option<String>,
    pub locale: Locale,
    /// What a `handed_off` notice reports; none for other kinds.
    pub hand_off: Option<HandOff>,
    /// Who asked for it (a resend or contact change by a person); none for the service and
    /// the setup page.
    pub requested_by: Option<UserId>,
}

impl EmailRecord {
    /// The email as the rules read it.
    pub fn fact(&self) -> MailFact {
        MailFact {
            id: self.id,
            kind: self.kind,
            to: self.to.clone(),
            state: self.state,
            queued_at: self.queued_at,
            requested_by: self.requested_by,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub sub_ref: SubRef,
    pub line_number: u32,
    pub offer: OfferSku,
    pub quantity: u32,
    pub requested_start_date: Date,
    pub contact_email: ContactEmail,
    pub contact_name: Option<String>,
    pub locale: Locale,
    pub state: LineState,
    pub organization: Option<Organization>,
    pub last_email: Option<EmailRecord>,
}

impl Line {
    /// The provisioning contact as mail is addressed to them.
    pub fn contact(&self) -> Recipient {
        Recipient {
            email: self.contact_email.clone(),
            name: self.contact_name.clone(),
            locale: self.locale,
        }
    }
}

/// A line with the order facts that permissions and pages need.
#[derive(Debug, Clone, PartialEq)]
pub struct LineContext {
    pub line: Line,
    pub web_order_id: WebOrderId,
    pub end_customer: String,
    pub partner: Company,
    pub distributor: Option<Company>,
    /// The distributor serves the partner now (its link stands).
    pub distributor_serves_partner: bool,
    pub placed_by: Person,
}

impl LineContext {
    pub fn parties(&self) -> OrderParties {
        parties(
            &self.partner,
            self.distributor.as_ref(),
            self.distributor_serves_partner,
            &self.placed_by,
        )
    }

    /// The provisioning contact as mail is addressed to them.
    pub fn contact(&self) -> Recipient {
        self.line.contact()
    }
}

/// Keyset pagination: the opaque cursor is the position of the last item returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<i64>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    pub scope: Scope,
    /// Orders with a line the search finds (`provisio_domain::search`: a part of the web
    /// order id, end customer, a subscription reference or a contact email).
    pub q: Option<Search>,
    /// Orders with at least one line in this status / stage.
    pub status: Option<LineStatus>,
    pub stage: Option<Stage>,
    /// Orders with a line whose window runs and closes at or before this instant.
    pub closing_by: Option<Timestamp>,
    /// Only these orders (e.g. those with a line the domain says needs a person).
    pub only: Option<Vec<WebOrderId>>,
    /// Newest first, or by the nearest closing deadline of their lines (the cursor is then a
    /// position).
    pub sort: LineSort,
    pub page: PageRequest,
}

impl OrderQuery {
    /// Every order in `scope`, newest first.
    pub fn new(scope: Scope, page: PageRequest) -> Self {
        Self {
            scope,
            q: None,
            status: None,
            stage: None,
            closing_by: None,
            only: None,
            sort: LineSort::Newest,
            page,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineQuery {
    pub scope: Scope,
    /// Only the lines the search finds (`provisio_domain::search`).
    pub q: Option<Search>,
    /// Only lines in these stages (all when empty).
    pub stages: Vec<Stage>,
    /// Only open or only closed lines.
    pub status: Option<LineStatus>,
    /// Only lines whose window runs and closes at or before this instant (the stored
    /// `LineState::closure_due_at`).
    pub closing_by: Option<Timestamp>,
    /// Only the lines that may need a person (a superset the domain's
    /// `attention::attention` then decides on).
    pub attention: Option<Candidates>,
    pub sort: LineSort,
    pub page: PageRequest,
}

impl LineQuery {
    /// Every line in `scope`, newest first.
    pub fn new(scope: Scope, page: PageRequest) -> Self {
        Self {
            scope,
            q: None,
            stages: vec![],
            status: None,
            closing_by: None,
            attention: None,
            sort: LineSort::Newest,
            page,
        }
    }
}

/// The order of a list of lines. The cursor of [`LineSort::Deadline`] is a position in the
/// list (its order has no unique key a keyset could follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineSort {
    /// The newest line first.
    #[default]
    Newest,
    /// The nearest closing deadline first; lines without a running window after them, newest
    /// first.
    Deadline,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub kind: String,
    pub at: Timestamp,
    pub actor_email: Option<String>,
    /// The actor's name and role as they are now (a history names people, not addresses);
    /// all three are `None` for the service, the setup page and the command line.
    pub actor_name: Option<String>,
    pub actor_role: Option<Role>,
    pub data: serde_json::Value,
}

/// The audit of an administration change, written in its transaction: who (`None`: the
/// operator at the command line), when, and the events (about no order).
#[derive(Debug, Clone)]
pub struct Audit {
    pub actor: Option<UserId>,
    pub now: Timestamp,
    pub events: Vec<Event>,
}

impl Audit {
    /// A change that writes no event (the store's own tests).
    pub fn none(now: Timestamp) -> Self {
        Audit {
            actor: None,
            now,
            events: vec![],
        }
    }
}

#[derive(Debug, Clone)]
pub struct PolicyChange {
    pub offer: OfferSku,
    pub window_days: u32,
    pub actor: UserId,
    pub now: Timestamp,
}

impl PolicyChange {
    /// The audit event every backend writes for the change.
    pub fn event(&self) -> Event {
        Event::PolicyChanged {
            offer: self.offer.clone(),
            window_days: self.window_days,
        }
    }
}

/// What a policy change would move ([`crate::Settings::policy_moves`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyMoves {
    /// How many lines' deadlines move.
    pub moved: usize,
    /// The first of them, as they stand before the change.
    pub first: Vec<RunningLine>,
}

/// Counts lines and keeps the first `keep` of them by seq (the order they were stored), read
/// in any order: a policy's preview over a million lines holds a hundred numbers.
#[derive(Debug)]
pub struct FirstSeqs {
    keep: usize,
    count: usize,
    /// The smallest seqs seen, largest on top.
    heap: std::collections::BinaryHeap<i64>,
}

impl FirstSeqs {
    pub fn new(keep: usize) -> Self {
        Self {
            keep,
            count: 0,
            heap: std::collections::BinaryHeap::with_capacity(keep + 1),
        }
    }

    pub fn add(&mut self, seq: i64) {
        self.count += 1;
        self.keep_if_first(seq);
    }

    fn keep_if_first(&mut self, seq: i64) {
        // A full heap keeps only a smaller seq (a scan by rising seq mostly skips here).
        if self.heap.len() == self.keep && self.heap.peek().is_none_or(|&top| seq >= top) {
            return;
        }
        self.heap.push(seq);
        if self.heap.len() > self.keep {
            self.heap.pop();
        }
    }

    /// Both counts, and the first `keep` of both (parts of one scan read side by side).
    pub fn merge(mut self, other: FirstSeqs) -> Self {
        self.count += other.count;
        for seq in other.heap {
            self.keep_if_first(seq);
        }
        self
    }

    /// How many were added, and the first `keep` in ascending order.
    pub fn into_parts(self) -> (usize, Vec<i64>) {
        (self.count, self.heap.into_sorted_vec())
    }
}

/// `parts` ranges `from..until` of stored deadlines that cover `first..=last` (the earliest
/// and latest stored) in equal steps: the parts of a policy preview's scan that readers run
/// side by side. The first part starts at the Unix epoch and the last ends in the year 9999,
/// so that a deadline moved out of the span since it was read still falls in a part.
pub fn deadline_parts(
    first: jiff::Timestamp,
    last: jiff::Timestamp,
    parts: usize,
) -> Vec<(jiff::Timestamp, jiff::Timestamp)> {
    let tick = jiff::SignedDuration::from_micros(1);
    let parts = i32::try_from(parts.max(1)).unwrap_or(1);
    let step = (last.duration_since(first) / parts).max(tick);
    let end = jiff::tz::Offset::UTC
        .to_timestamp(jiff::civil::date(9999, 1, 1).at(0, 0, 0, 0))
        .map_or(last + tick, |t| t.max(last + tick));
    (0..parts)
        .map(|k| {
            let from = match k {
                0 => jiff::Timestamp::UNIX_EPOCH.min(first),
                _ => first + step * k,
            };
            let until = if k + 1 == parts {
                end
            } else {
                first + step * (k + 1)
            };
            (from, until)
        })
        .collect()
}

/// A line whose provisioning window is running
/// ([`provisio_domain::LineState::closure_due_at`]): the lines a change of its offer's policy
/// moves.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningLine {
    pub sub_ref: SubRef,
    pub web_order_id: WebOrderId,
    pub state: LineState,
}
