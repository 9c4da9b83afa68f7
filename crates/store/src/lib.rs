//! The storage boundary. Every backend (SQLite now, PostgreSQL later) implements [`Store`];
//! each method is one transaction, so a state change, its audit events and (later) its outbox
//! rows commit together or not at all. [`conformance::story`] is the one behaviour story every
//! backend must pass.

mod changes;
pub mod conformance;
mod error;
mod records;

use async_trait::async_trait;
use jiff::Timestamp;
use provisio_domain::{Actor, CompanyId, ContactEmail, OfferSku, SubRef, UserId, WebOrderId};

pub use changes::*;
pub use error::StoreError;
pub use records::*;

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Closes connections (checkpointing where the backend does); the store is unusable after.
    async fn close(&self);
    /// A cheap round trip for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    async fn create_company(&self, new: NewCompany) -> StoreResult<Company>;
    async fn company(&self, id: CompanyId) -> StoreResult<Option<Company>>;
    async fn company_by_name(&self, name: &str) -> StoreResult<Option<Company>>;

    async fn create_user(&self, new: NewUser) -> StoreResult<User>;
    async fn user_by_email(&self, email: &ContactEmail) -> StoreResult<Option<User>>;
    /// Stores the hash of a new API key for the user.
    async fn create_api_key(
        &self,
        user: UserId,
        key_hash: &str,
        now: Timestamp,
    ) -> StoreResult<uuid::Uuid>;
    /// The user behind an API key (by hash), loaded afresh on every call.
    async fn actor_by_api_key(&self, key_hash: &str) -> StoreResult<Option<Actor>>;

    /// Creates an order with its lines and its `order.created` event. With an idempotency key
    /// already used by the same user for the same request, returns the first order instead.
    async fn create_order(&self, new: NewOrderRecord) -> StoreResult<Created<Order>>;
    async fn order(&self, web_order_id: &WebOrderId) -> StoreResult<Option<Order>>;
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<Order>>;

    async fn line(&self, sub_ref: &SubRef) -> StoreResult<Option<LineContext>>;
    async fn list_lines(&self, query: &LineQuery) -> StoreResult<Page<LineContext>>;
    /// The line's events and its order's, oldest first.
    async fn line_events(&self, sub_ref: &SubRef) -> StoreResult<Vec<EventRecord>>;

    /// Every stored offer policy (built-ins are seeded by the first migration).
    async fn offer_policies(&self) -> StoreResult<Vec<(OfferSku, u32)>>;
    /// Sets a policy and moves the deadline of every line whose window is still running.
    async fn set_offer_policy(&self, change: PolicyChange) -> StoreResult<()>;

    /// The test clock's offset from real time, in microseconds (0 when never set).
    async fn clock_offset(&self) -> StoreResult<i64>;
    /// Adds to the offset atomically (concurrent advances all count); returns the new offset.
    async fn advance_clock_offset(&self, micros: i64) -> StoreResult<i64>;

    /// Reads the line inside a writing transaction, lets `decide` choose, and commits the
    /// change with its events and outbox row. `Ok(None)`: no such line.
    async fn update_line(
        &self,
        sub_ref: &SubRef,
        request: UpdateRequest,
        decide: Decide,
    ) -> StoreResult<Option<Decided>>;
    /// The line's emails, newest first.
    async fn line_emails(&self, sub_ref: &SubRef) -> StoreResult<Vec<EmailRecord>>;
    async fn setup_link(&self, token_hash: &str) -> StoreResult<Option<SetupLink>>;
    /// Organizations onboarded earlier by lines with this provisioning contact.
    async fn organizations_of(&self, contact: &ContactEmail) -> StoreResult<Vec<Organization>>;

    /// R1: queues the initial email of up to `limit` lines for which `due` says so, in one
    /// transaction; returns how many were queued. Candidates are scheduled lines whose RSD has
    /// started and that have no email that is not cancelled.
    async fn queue_first_sends(
        &self,
        now: Timestamp,
        limit: u32,
        due: LineRule<'_>,
    ) -> StoreResult<usize>;
    /// R6: applies `close` to up to `limit` open lines whose deadline has passed.
    async fn close_lapsed(
        &self,
        now: Timestamp,
        limit: u32,
        close: LineRule<'_>,
    ) -> StoreResult<usize>;
    /// Claims due emails for delivery. Emails overtaken by their line (cancelled, past PONR,
    /// re-addressed) become `cancelled` instead.
    async fn claim_emails(&self, claim: ClaimRequest) -> StoreResult<Vec<ClaimedEmail>>;
    /// Records attempts; a first successful hand-off moves the line (R1) using the offer
    /// policies stored with it. Attempts whose lease was lost are ignored.
    async fn finish_emails(&self, finished: Vec<Finished>) -> StoreResult<()>;
    /// Gives up leases: of one owner, or every lease (a single instance starting).
    async fn release_leases(&self, owner: Option<&str>) -> StoreResult<u64>;
    /// Forgets idempotency keys created before `before`.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;

    /// Replaces (or, with `None`, removes) a user's web sign-in password hash (an Argon2 PHC
    /// string). `NotFound` when there is no such user.
    async fn set_password_hash(&self, user: UserId, hash: Option<&str>) -> StoreResult<()>;
}
