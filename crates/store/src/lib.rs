//! The storage boundary. Every backend (SQLite now, PostgreSQL later) implements [`Store`], the
//! sum of one trait per capability: [`Maintenance`], [`Directory`] (companies, users, keys),
//! [`Orders`], [`LineActions`], [`Outbox`], [`Settings`], [`WebSessions`] (sign-in sessions
//! of the web workspace and failed sign-ins) and [`Signals`]. Each method is one
//! transaction, so a state change, its audit events and its outbox rows commit together or not
//! at all. Backends only persist: every decision is made by `provisio_domain` (passed in as a
//! [`Decide`], [`FirstSendRule`] or [`CloseRule`], or called by the backend on the facts it
//! loaded) and returns all its effects; every event is a typed [`provisio_domain::Event`] the
//! backend serializes. A backend's queries select candidates by indexed columns (a line's
//! due instants are the domain's, stored with its state) and never restate a rule.
//!
//! The schema keeps what several writers could break: at most one initial email per line (a
//! unique key), a line's state written only over the version it was read at (a loser gets
//! [`StoreError::Retryable`] and [`retrying`] runs it again), an email claimed only while it
//! is due, and an attempt's result recorded only by the lease holder of that attempt.
//!
//! [`conformance`] holds the behaviour story every backend must pass, chapter by chapter,
//! concurrency and two store handles on one database included.

mod cases;
mod changes;
pub mod conformance;
pub mod copy;
mod error;
mod records;
pub mod rows;
mod rows_cases;
pub mod search_sample;
mod signals;

use std::future::Future;

use async_trait::async_trait;
use jiff::Timestamp;
use provisio_domain::{
    CompanyId, CompanyKind, ContactEmail, Locale, MailFact, OfferSku, SubRef, UserId, UserStatus,
    WebOrderId,
};

pub use cases::*;
pub use changes::*;
pub use error::{Entity, StoreError};
pub use records::*;
pub use signals::{LocalSignals, Wake};

pub type StoreResult<T> = Result<T, StoreError>;

/// Opening, migrating and looking after the database.
#[async_trait]
pub trait Maintenance {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Closes connections (checkpointing where the backend does); the store is unusable after.
    async fn close(&self);
    /// A cheap round trip for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
    /// Forgets idempotency keys created before `before`.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;
    /// After a bulk write (an import, a copy): brings the query planner's statistics up to
    /// date, so the next reads are planned for the data as it now is, not as it was (on
    /// PostgreSQL a list planned for an empty table sorts every line for each page).
    async fn refresh_statistics(&self) -> StoreResult<()>;
    /// Before serving: prepares in the background what the first requests would otherwise
    /// wait for (the sample of the search texts, `search_sample`).
    fn warm_up(&self) {}
}

/// Companies, users, API keys and sign-in passwords.
#[async_trait]
pub trait Directory {
    /// `audit` in the same transaction.
    async fn create_company(&self, new: NewCompany, audit: Audit) -> StoreResult<Company>;
    async fn company(&self, id: CompanyId) -> StoreResult<Option<Company>>;
    async fn company_by_name(&self, name: &str) -> StoreResult<Option<Company>>;

    /// `audit` in the same transaction.
    async fn create_user(&self, new: NewUser, audit: Audit) -> StoreResult<User>;
    async fn user_by_email(&self, email: &ContactEmail) -> StoreResult<Option<User>>;
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Sets (or, with `None`, forgets) the language a user chose for the pages.
    async fn set_user_locale(&self, user: UserId, locale: Option<Locale>) -> StoreResult<()>;
    /// Replaces (or, with `None`, removes) a user's web sign-in password hash (an Argon2 PHC
    /// string). `NotFound` when there is no such user.
    async fn set_password_hash(
        &self,
        user: UserId,
        hash: Option<&str>,
        audit: Audit,
    ) -> StoreResult<()>;

    /// Stores the hash of a new API key for the user; `audit` in the same transaction.
    async fn create_api_key(
        &self,
        user: UserId,
        key_hash: &str,
        audit: Audit,
    ) -> StoreResult<uuid::Uuid>;
    /// The user behind an API key (by hash), loaded afresh on every call, with the key's id;
    /// `None` for an unknown or revoked key and for a disabled user's key.
    async fn actor_by_api_key(&self, key_hash: &str) -> StoreResult<Option<KeyActor>>;
    /// A user's API keys, newest first.
    async fn api_keys(&self, user: UserId) -> StoreResult<Vec<ApiKeyRecord>>;
    /// One API key, or `None`.
    async fn api_key(&self, id: uuid::Uuid) -> StoreResult<Option<ApiKeyRecord>>;
    /// Revokes a key at `audit.now` (idempotent: a revoked key keeps its first `revoked_at`,
    /// and `audit` is written only when this call revoked it); the key as it stands after, or
    /// `None` when there is no such key.
    async fn revoke_api_key(
        &self,
        id: uuid::Uuid,
        audit: Audit,
    ) -> StoreResult<Option<ApiKeyRecord>>;
    /// Records that a key was used at `at` (never moving its last use back).
    async fn record_api_key_use(&self, id: uuid::Uuid, at: Timestamp) -> StoreResult<()>;
    /// Enables or disables a user, `audit` in the same transaction. Disabling also ends
    /// every web session of the user, in that transaction (SPEC §11). `NotFound` when there
    /// is no such user.
    async fn set_user_status(
        &self,
        user: UserId,
        status: UserStatus,
        audit: Audit,
    ) -> StoreResult<()>;
    /// Whether a user may resend and change contacts, `audit` in the same transaction.
    /// `NotFound` when there is no such user.
    async fn set_can_resend(&self, user: UserId, can_resend: bool, audit: Audit)
    -> StoreResult<()>;
    /// The events about no order (administration: access changes, policy changes), newest
    /// first.
    async fn admin_events(&self, page: PageRequest) -> StoreResult<Page<EventRecord>>;

    /// Companies newest first: all, or only `only`; of one kind, or of any.
    async fn list_companies(
        &self,
        only: Option<CompanyId>,
        kind: Option<CompanyKind>,
        page: PageRequest,
    ) -> StoreResult<Page<Company>>;
    /// Users newest first: all, or those of one company.
    async fn list_users(
        &self,
        company: Option<CompanyId>,
        page: PageRequest,
    ) -> StoreResult<Page<User>>;
    /// Records (`linked`) or forgets that a distributor serves a partner; both idempotent.
    async fn set_distributor_link(
        &self,
        distributor: CompanyId,
        partner: CompanyId,
        linked: bool,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Whether the distributor serves the partner.
    async fn serves(&self, distributor: CompanyId, partner: CompanyId) -> StoreResult<bool>;
    /// The partners a distributor serves, by name.
    async fn partners_of(&self, distributor: CompanyId) -> StoreResult<Vec<Company>>;
}

/// Orders and their lines, as placed and as they stand.
#[async_trait]
pub trait Orders {
    /// Creates an order with its lines and its `order.created` event. With an idempotency key
    /// already used by the same user for the same request, returns the first order instead.
    async fn create_order(&self, new: NewOrderRecord) -> StoreResult<Created<Order>>;
    async fn order(&self, web_order_id: &WebOrderId) -> StoreResult<Option<Order>>;
    /// Creates several orders in one write, each whole or not at all: an order refused
    /// (`AlreadyExists`: its web order id is taken, also by an earlier order of the same
    /// batch; `NotFound`: a party is gone) leaves no trace and the others are written. What
    /// each became, in the order given. Any other failure writes none of them. For bulk
    /// imports (`provisio order import`): one commit for many orders, and no order read back.
    async fn import_orders(
        &self,
        orders: &[NewOrderRecord],
    ) -> StoreResult<Vec<StoreResult<ImportedOrder>>>;
    /// The order with only the lines of `window` (by line number) and its number of lines:
    /// a page of a large order.
    async fn order_window(
        &self,
        web_order_id: &WebOrderId,
        window: LineWindow,
    ) -> StoreResult<Option<OrderWindow>>;
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<OrderSummary>>;

    async fn line(&self, sub_ref: &SubRef) -> StoreResult<Option<LineContext>>;
    async fn list_lines(&self, query: &LineQuery) -> StoreResult<Page<LineContext>>;
    /// The line's events and its order's, oldest first.
    async fn line_events(&self, sub_ref: &SubRef) -> StoreResult<Vec<EventRecord>>;
}

/// The actions on a line (R2–R9): read, decide, write, in one transaction.
#[async_trait]
pub trait LineActions {
    /// Reads the line's facts inside a writing transaction, lets `decide` choose, and commits
    /// its effects (state, contact, events, mail queued and cancelled, links) over the version
    /// it read. `Ok(None)`: no such line. `decide` may run more than once when the backend
    /// retries a transaction that lost a race.
    async fn update_line(
        &self,
        sub_ref: &SubRef,
        request: UpdateRequest,
        decide: Decide,
    ) -> StoreResult<Option<Decided>>;
    /// The line's emails, newest first.
    async fn line_emails(&self, sub_ref: &SubRef) -> StoreResult<Vec<EmailRecord>>;
    /// The mail the decisions read of each line of `of` (see `LineFacts::mail`): every email
    /// still on its way, and every one queued since `since`; oldest first per line.
    async fn recent_mail(
        &self,
        of: MailOf<'_>,
        since: Timestamp,
    ) -> StoreResult<Vec<(SubRef, MailFact)>>;
    async fn setup_link(&self, token_hash: &str) -> StoreResult<Option<SetupLink>>;
    /// Organizations onboarded earlier by lines with this provisioning contact, in orders of
    /// this partner.
    async fn organizations_of(
        &self,
        contact: &ContactEmail,
        partner: CompanyId,
    ) -> StoreResult<Vec<Organization>>;
}

/// The scheduler's side: due first sends, closure by policy, and the outbox.
#[async_trait]
pub trait Outbox {
    /// R1: applies `due` to up to `limit` lines whose first send is due by `now` (by the
    /// instant the domain stored with their state), in one transaction; returns how many
    /// changed. Several instances may run this at once: each line's initial email is queued
    /// once.
    async fn queue_first_sends(
        &self,
        now: Timestamp,
        limit: u32,
        due: FirstSendRule<'_>,
    ) -> StoreResult<usize>;
    /// R6: applies `close` to up to `limit` lines whose closure is due by `now`; returns how
    /// many it closed (a line found by a deadline a policy change has moved since gets the new
    /// one, and is not counted). Each line is closed once, also when several instances sweep
    /// at once.
    async fn close_lapsed(
        &self,
        now: Timestamp,
        limit: u32,
        close: CloseRule<'_>,
    ) -> StoreResult<usize>;
    /// Claims due emails for delivery, each exactly once while its lease lasts, also under
    /// concurrent claims. Emails the domain finds overtaken by their line
    /// ([`provisio_domain::delivery::overtaken`]) become `cancelled` instead.
    async fn claim_emails(&self, claim: ClaimRequest) -> StoreResult<Vec<ClaimedEmail>>;
    /// Records attempts as [`provisio_domain::delivery::record_attempt`] says, with the offer
    /// policies stored with the line. An attempt is recorded only by the lease holder that
    /// claimed it for that attempt; others are ignored.
    async fn finish_emails(&self, finished: Vec<Finished>) -> StoreResult<()>;
    /// Gives up the leases of `owner` (an instance stopping): its emails are due again.
    async fn release_leases(&self, owner: &str) -> StoreResult<u64>;
    /// Renews `owner`'s leases of `emails` (sends in flight, claimed emails waiting for a
    /// connection) to end `lease_until - real_now` from now (on a shared database, now by the
    /// database's clock): long sends keep their emails. Returns how many were renewed; a lease
    /// `owner` lost (taken over, its result recorded) is not renewed.
    async fn renew_leases(
        &self,
        owner: &str,
        emails: &[uuid::Uuid],
        real_now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<u64>;
    /// At the start of an instance: takes over the leases that can no longer be live. The
    /// backend decides which: on SQLite, whose file admits a single server, every one; on a
    /// shared database, only those that ended before `real_now` (SPEC §9). Never another
    /// live instance's.
    async fn take_over_leases(&self, real_now: Timestamp) -> StoreResult<u64>;
}

/// Offer policies and the test clock's offset.
#[async_trait]
pub trait Settings {
    /// Every stored offer policy (built-ins are seeded by the first migration).
    async fn offer_policies(&self) -> StoreResult<Vec<(OfferSku, u32)>>;
    /// Sets a policy (with its audit event). The deadlines of the offer's lines whose window
    /// runs follow in batches ([`Settings::move_deadlines`]); until then the closure sweep
    /// decides with the new window and repairs a line it finds first.
    async fn set_offer_policy(&self, change: PolicyChange) -> StoreResult<()>;
    /// Moves the stored deadlines of up to `limit` more lines of a changed policy's offer, as
    /// `follow` decides each, in one transaction, and remembers how far it got (a restart or
    /// another instance goes on from there; a newer change of the offer starts over).
    /// `None` when every line follows its offer's policy; else how many lines moved.
    async fn move_deadlines(
        &self,
        limit: u32,
        follow: FollowRule<'_>,
    ) -> StoreResult<Option<usize>>;
    /// The offers whose lines' deadlines are still being moved.
    async fn moving_policies(&self) -> StoreResult<Vec<OfferSku>>;
    /// What a window of `window_days` for `offer` would move (a policy's preview): how many of
    /// the offer's lines whose window runs `follow` moves, and the first `listed` of them in
    /// the order they were stored, with their order's web order id. The states are read
    /// without their orders; only the listed lines are read whole.
    async fn policy_moves(
        &self,
        offer: &OfferSku,
        window_days: u32,
        follow: FollowRule<'_>,
        listed: usize,
    ) -> StoreResult<PolicyMoves>;

    /// The test clock's offset from real time, in microseconds (0 when never set).
    async fn clock_offset(&self) -> StoreResult<i64>;
    /// Adds to the offset atomically (concurrent advances all count); returns the new offset.
    async fn advance_clock_offset(&self, micros: i64) -> StoreResult<i64>;
}

/// The web workspace's sign-in sessions (stored by the hash of their id, never the id) and
/// the failed sign-ins that throttle guessing (SPEC §8).
#[async_trait]
pub trait WebSessions {
    /// Creates a session unless one with this id hash exists; `false` when one does.
    /// A session of a disabled user is not stored (and `true` returned: the id is not taken).
    async fn create_session(&self, id_hash: &str, session: &SessionRecord) -> StoreResult<bool>;
    /// Creates or replaces a session; one of a disabled user is deleted instead, so a page
    /// view under way while the user was disabled does not bring their session back.
    async fn save_session(&self, id_hash: &str, session: &SessionRecord) -> StoreResult<()>;
    /// The session, unless it expired before `now`.
    async fn load_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SessionRecord>>;
    /// Forgets a session (signing out); fine when there is none.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Records one failed sign-in for `account` (a lowercased address, known or not).
    async fn record_sign_in_failure(&self, account: &str, at: Timestamp) -> StoreResult<()>;
    /// The account's failed sign-ins at or after `since`, newest first, at most `limit`.
    async fn sign_in_failures(
        &self,
        account: &str,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timestamp>>;
    /// Forgets sessions that expired before `sessions_before` and failures older than
    /// `failures_before`; returns how many rows went.
    async fn purge_web(
        &self,
        sessions_before: Timestamp,
        failures_before: Timestamp,
    ) -> StoreResult<u64>;
}

/// Wake-ups between the instances that share the store: mail was queued, an order arrived,
/// the clock moved. In-process on SQLite ([`LocalSignals`]); a shared database carries them
/// between instances (PostgreSQL: LISTEN/NOTIFY). A wake-up is a hint to look now; the
/// scheduler also looks every second, so a lost one only delays.
#[async_trait]
pub trait Signals {
    fn wake(&self, what: Wake);
    /// Resolves at the next wake-up of `what` (or at once for one sent since the last wait).
    async fn woken(&self, what: Wake);
}

/// A whole backend.
pub trait Store:
    Maintenance
    + Cases
    + Directory
    + Orders
    + LineActions
    + Outbox
    + Settings
    + WebSessions
    + Signals
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: Maintenance
        + Cases
        + Directory
        + Orders
        + LineActions
        + Outbox
        + Settings
        + WebSessions
        + Signals
        + Send
        + Sync
        + 'static
{
}

/// Attempts a transaction before giving up on a [`StoreError::Retryable`] error.
pub const ATTEMPTS: usize = 3;

/// Runs `f` until it succeeds or fails for another reason than a retryable one, at most
/// [`ATTEMPTS`] times.
pub async fn retrying<T, F, Fut>(mut f: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    let mut attempt = 1;
    loop {
        match f().await {
            Err(e) if e.is_retryable() && attempt < ATTEMPTS => attempt += 1,
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn first_seqs_counts_all_and_keeps_the_smallest_in_order() {
        let mut first = FirstSeqs::new(3);
        for seq in [50, 7, 99, 3, 42, 8, 1000] {
            first.add(seq);
        }
        assert_eq!(first.into_parts(), (7, vec![3, 7, 8]));
        let mut none = FirstSeqs::new(0);
        none.add(1);
        assert_eq!(none.into_parts(), (1, vec![]));
        assert_eq!(FirstSeqs::new(5).into_parts(), (0, vec![]));
    }

    #[test]
    fn deadline_parts_cover_the_span_once() {
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let (first, last) = (t("2026-05-04T08:00:00Z"), t("2026-05-04T09:00:00Z"));
        let (epoch, end) = (jiff::Timestamp::UNIX_EPOCH, t("9999-01-01T00:00:00Z"));
        let parts = deadline_parts(first, last, 2);
        assert_eq!(
            parts,
            vec![
                (epoch, t("2026-05-04T08:30:00Z")),
                (t("2026-05-04T08:30:00Z"), end)
            ]
        );
        // One deadline: the first part holds it, the others are empty or after it.
        let one = deadline_parts(first, first, 3);
        assert_eq!(one[0], (epoch, t("2026-05-04T08:00:00.000001Z")));
        assert!(one[1..].iter().all(|(from, _)| *from > first));
        assert_eq!(one[2].1, end);
        assert_eq!(deadline_parts(first, last, 0), vec![(epoch, end)]);
    }

    #[test]
    fn first_seqs_of_parts_merge_as_if_read_in_one() {
        let part = |seqs: &[i64]| {
            let mut first = FirstSeqs::new(3);
            seqs.iter().for_each(|&s| first.add(s));
            first
        };
        let merged = part(&[1, 2, 30, 40]).merge(part(&[3, 4, 5]));
        assert_eq!(merged.into_parts(), (7, vec![1, 2, 3]));
        let merged = part(&[50]).merge(part(&[]));
        assert_eq!(merged.into_parts(), (1, vec![50]));
    }

    #[tokio::test]
    async fn retrying_runs_again_only_what_may_be_retried() {
        let calls = AtomicUsize::new(0);
        let busy = retrying(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(StoreError::Retryable("locked".into()))
        })
        .await;
        assert!(busy.is_err_and(|e| e.is_retryable()));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            ATTEMPTS,
            "gives up after ATTEMPTS"
        );

        calls.store(0, Ordering::SeqCst);
        let second = retrying(|| async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(StoreError::Retryable("locked".into())),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(second.unwrap(), 7);

        calls.store(0, Ordering::SeqCst);
        let other = retrying(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(StoreError::IdempotencyConflict)
        })
        .await;
        assert!(other.is_err());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "other errors are not retried"
        );
    }
}
