//! The embedded default store: one SQLite file in WAL mode with `synchronous=NORMAL` (a
//! process crash loses nothing; a power loss may lose the last transactions). Every write
//! transaction starts with `BEGIN IMMEDIATE`, so read-decide-write transactions never deadlock,
//! also against a CLI process on the same file.
//!
//! One way in: every statement runs on rusqlite connections: all writes on the one write
//! connection (`writer.rs`; line actions of concurrent requests share a transaction through
//! group commit, `group.rs`), reads on a few read-only connections (`reader.rs`). A whole
//! transaction runs on the calling thread with cached prepared statements. sqlx is used only
//! to apply the embedded migrations (`migrations/`), with a connection opened for that alone.
//!
//! Modules by responsibility: `directory` (companies, users), `api_keys`, `orders` and `lines`
//! (placing and reading), `changes` (the read-decide-write of line actions), `outbox` (first
//! sends, closure, claims, results, leases), `settings` (offer policies, the test clock),
//! `idempotency`, `sessions` (the web workspace's sign-in sessions); `codec` maps rows to
//! domain values.

mod api_keys;
mod case_writes;
mod cases;
mod changes;
mod codec;
mod copy;
mod directory;
mod group;
mod idempotency;
mod lines;
mod orders;
mod outbox;
mod reader;
mod search;
#[cfg(test)]
mod search_tests;
mod sessions;
mod settings;
mod writer;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use provisio_domain::CaseId;
use provisio_domain::{
    CompanyId, CompanyKind, ContactEmail, Locale, MailFact, OfferSku, SubRef, UserId, UserStatus,
    WebOrderId,
};
use provisio_store::search_sample::SearchSample;
use provisio_store::{
    ApiKeyRecord, Audit, ClaimRequest, ClaimedEmail, CloseRule, Company, Created, Decide, Decided,
    Directory, EmailRecord, Entity, EventRecord, Finished, FirstSendRule, FirstSeqs, FollowRule,
    ImportedOrder, KeyActor, LineActions, LineContext, LineQuery, LineWindow, LocalSignals, MailOf,
    Maintenance, NewCompany, NewOrderRecord, NewUser, Order, OrderQuery, OrderSummary, OrderWindow,
    Orders, Organization, Outbox, Page, PageRequest, PolicyChange, PolicyMoves, SessionRecord,
    Settings, SetupLink, Signals, StoreError, StoreResult, UpdateRequest, User, Wake, WebSessions,
    deadline_parts,
};
use provisio_store::{
    AttachmentFile, CaseQuery, CaseRecord, CaseRule, CaseSummary, Cases, NewCaseRecord, OpenRule,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub(crate) use codec::*;
pub use copy::{CopyOut, PAGE_BYTES, PAGE_ROWS};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Read-only connections.
const READERS: usize = 4;

#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    /// Every write: line actions (grouped), orders, the outbox, administration, settings.
    writer: Arc<writer::Writer>,
    /// Every read.
    readers: Arc<reader::Readers>,
    /// One server per file (SPEC §9), so wake-ups stay in this process.
    signals: Arc<LocalSignals>,
    /// The sample of the search texts a search asks the index by.
    search: Arc<search::Sampler>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file. Does not migrate.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let name = path.to_string_lossy();
        // sqlx names its in-memory databases `file:sqlx-in-memory-N`.
        if name.is_empty() || name.contains(":memory:") || name.contains("sqlx-in-memory") {
            // The writer and its readers share the data: an in-memory database would be a
            // different one for each connection.
            return Err(StoreError::backend(std::io::Error::other(
                "an in-memory SQLite database is not supported: give a file (sqlite:path/to/file.sqlite)",
            )));
        }
        let writer = Arc::new(writer::Writer::open(
            path,
            BUSY_TIMEOUT,
            writer::WalBounds::default(),
        )?);
        let readers = Arc::new(reader::Readers::open(path, READERS, BUSY_TIMEOUT)?);
        Ok(Self {
            path: path.to_owned(),
            writer,
            search: Arc::new(search::Sampler::new(Arc::clone(&readers))),
            readers,
            signals: Arc::new(LocalSignals::default()),
        })
    }

    /// The sample of the search texts, for a query with a term (`searched`).
    fn sample_for(&self, searched: bool) -> StoreResult<Option<Arc<SearchSample>>> {
        searched.then(|| self.search.sample()).transpose()
    }

    /// Opens a `sqlite:` URL (as given in `DATABASE_URL`).
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        Self::open(&Self::file_of_url(url)?).await
    }

    /// The database file a `sqlite:` URL names.
    pub fn file_of_url(url: &str) -> StoreResult<PathBuf> {
        let options = SqliteConnectOptions::from_str(url).map_err(StoreError::backend)?;
        Ok(options.get_filename().to_owned())
    }
}

#[async_trait]
impl Maintenance for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        // A connection of its own for the migrator; the file is WAL already (the writer
        // made it so), so readers and the writer go on meanwhile.
        let options = SqliteConnectOptions::new()
            .filename(&self.path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(StoreError::backend)?;
        let done = MIGRATOR.run(&pool).await.map_err(StoreError::backend);
        pool.close().await;
        done?;
        // Lines stored before the search index was (migration 0012) get their text now.
        search::backfill(&self.writer)?;
        Ok(())
    }

    async fn close(&self) {
        self.writer.checkpoint();
    }

    async fn ping(&self) -> StoreResult<()> {
        self.readers
            .read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(db))
    }

    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        self.writer.transaction(|tx| idempotency::purge(tx, before))
    }

    /// Nothing: SQLite plans these reads well from its schema alone, and statistics made
    /// them worse (measured with `provisio-bench --scale 10000`: after `PRAGMA optimize` a
    /// search by reference took 22 ms at p50 instead of 9).
    async fn refresh_statistics(&self) -> StoreResult<()> {
        Ok(())
    }
    fn warm_up(&self) {
        self.search.refresh();
    }
}

#[async_trait]
impl WebSessions for SqliteStore {
    async fn create_session(&self, id_hash: &str, session: &SessionRecord) -> StoreResult<bool> {
        self.writer
            .transaction(|tx| sessions::create(tx, id_hash, session))
    }
    async fn save_session(&self, id_hash: &str, session: &SessionRecord) -> StoreResult<()> {
        self.writer
            .transaction(|tx| sessions::save(tx, id_hash, session))
    }
    async fn load_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SessionRecord>> {
        self.readers.read(|c| sessions::load(c, id_hash, now))
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.writer.transaction(|tx| sessions::delete(tx, id_hash))
    }
    async fn record_sign_in_failure(&self, account: &str, at: Timestamp) -> StoreResult<()> {
        self.writer
            .transaction(|tx| sessions::record_failure(tx, account, at))
    }
    async fn sign_in_failures(
        &self,
        account: &str,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timestamp>> {
        self.readers
            .read(|c| sessions::failures(c, account, since, limit))
    }
    async fn purge_web(
        &self,
        sessions_before: Timestamp,
        failures_before: Timestamp,
    ) -> StoreResult<u64> {
        self.writer
            .transaction(|tx| sessions::purge(tx, sessions_before, failures_before))
    }
}

#[async_trait]
impl Directory for SqliteStore {
    async fn create_company(&self, new: NewCompany, audit: Audit) -> StoreResult<Company> {
        self.writer.transaction(|tx| {
            let company = directory::create_company(tx, &new)?;
            audited(tx, &audit)?;
            Ok(company)
        })
    }
    async fn company(&self, id: CompanyId) -> StoreResult<Option<Company>> {
        self.readers
            .read(|c| directory::company_by_id(c, &id.to_string()))
    }
    async fn company_by_name(&self, name: &str) -> StoreResult<Option<Company>> {
        self.readers.read(|c| directory::company_by_name(c, name))
    }
    async fn create_user(&self, new: NewUser, audit: Audit) -> StoreResult<User> {
        self.writer.transaction(|tx| {
            let user = directory::create_user(tx, &new)?;
            audited(tx, &audit)?;
            Ok(user)
        })
    }
    async fn user_by_email(&self, email: &ContactEmail) -> StoreResult<Option<User>> {
        self.readers.read(|c| directory::user_by_email(c, email))
    }
    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.readers.read(|c| directory::user_by_id(c, id))
    }
    async fn set_user_locale(&self, user: UserId, locale: Option<Locale>) -> StoreResult<()> {
        self.writer
            .transaction(|tx| directory::set_locale(tx, user, locale))
    }
    async fn set_password_hash(
        &self,
        user: UserId,
        hash: Option<&str>,
        audit: Audit,
    ) -> StoreResult<()> {
        self.writer.transaction(|tx| {
            directory::set_password_hash(tx, user, hash)?;
            audited(tx, &audit)
        })
    }
    async fn create_api_key(
        &self,
        user: UserId,
        key_hash: &str,
        audit: Audit,
    ) -> StoreResult<uuid::Uuid> {
        self.writer.transaction(|tx| {
            let id = api_keys::create(tx, user, key_hash, audit.now)?;
            audited(tx, &audit)?;
            Ok(id)
        })
    }
    async fn actor_by_api_key(&self, key_hash: &str) -> StoreResult<Option<KeyActor>> {
        self.readers.read(|conn| api_keys::actor(conn, key_hash))
    }
    async fn api_keys(&self, user: UserId) -> StoreResult<Vec<ApiKeyRecord>> {
        self.readers.read(|conn| api_keys::of_user(conn, user))
    }
    async fn api_key(&self, id: uuid::Uuid) -> StoreResult<Option<ApiKeyRecord>> {
        self.readers.read(|conn| api_keys::by_id(conn, id))
    }
    async fn revoke_api_key(
        &self,
        id: uuid::Uuid,
        audit: Audit,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        self.writer.transaction(|tx| {
            let (key, revoked_now) = api_keys::revoke(tx, id, audit.now)?;
            if revoked_now {
                audited(tx, &audit)?;
            }
            Ok(key)
        })
    }
    async fn record_api_key_use(&self, id: uuid::Uuid, at: Timestamp) -> StoreResult<()> {
        self.writer
            .transaction(|tx| api_keys::record_use(tx, id, at))
    }
    async fn set_user_status(
        &self,
        user: UserId,
        status: UserStatus,
        audit: Audit,
    ) -> StoreResult<()> {
        self.writer.transaction(|tx| {
            directory::set_status(tx, user, status)?;
            if status == UserStatus::Disabled {
                sessions::end_all_of(tx, user)?;
            }
            audited(tx, &audit)
        })
    }
    async fn set_can_resend(
        &self,
        user: UserId,
        can_resend: bool,
        audit: Audit,
    ) -> StoreResult<()> {
        self.writer.transaction(|tx| {
            directory::set_can_resend(tx, user, can_resend)?;
            audited(tx, &audit)
        })
    }
    async fn admin_events(&self, page: PageRequest) -> StoreResult<Page<EventRecord>> {
        self.readers.scan(|c| lines::admin_events(c, &page))
    }
    async fn list_companies(
        &self,
        only: Option<CompanyId>,
        kind: Option<CompanyKind>,
        page: PageRequest,
    ) -> StoreResult<Page<Company>> {
        self.readers
            .scan(|c| directory::list_companies(c, only, kind, &page))
    }
    async fn list_users(
        &self,
        company: Option<CompanyId>,
        page: PageRequest,
    ) -> StoreResult<Page<User>> {
        self.readers
            .scan(|c| directory::list_users(c, company, &page))
    }
    async fn set_distributor_link(
        &self,
        distributor: CompanyId,
        partner: CompanyId,
        linked: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.writer.transaction(|tx| {
            directory::set_distributor_link(tx, distributor, partner, linked, now)
        })
    }
    async fn serves(&self, distributor: CompanyId, partner: CompanyId) -> StoreResult<bool> {
        self.readers
            .read(|c| directory::serves(c, distributor, partner))
    }
    async fn partners_of(&self, distributor: CompanyId) -> StoreResult<Vec<Company>> {
        self.readers
            .read(|c| directory::partners_of(c, distributor))
    }
}

#[async_trait]
impl Cases for SqliteStore {
    async fn open_case(
        &self,
        new: NewCaseRecord,
        decide: OpenRule<'_>,
    ) -> StoreResult<Result<CaseRecord, provisio_domain::Refusal>> {
        let opened = self
            .writer
            .transaction(|tx| case_writes::open(tx, &new, decide))?;
        match opened {
            Ok(id) => self
                .case(id)
                .await?
                .map(Ok)
                .ok_or(StoreError::NotFound { what: Entity::Case }),
            Err(refusal) => Ok(Err(refusal)),
        }
    }
    async fn update_case(
        &self,
        id: CaseId,
        actor: Option<UserId>,
        now: Timestamp,
        decide: CaseRule<'_>,
    ) -> StoreResult<Option<Result<CaseRecord, provisio_domain::Refusal>>> {
        let done = self
            .writer
            .transaction(|tx| case_writes::update(tx, id, actor, now, decide))?;
        match done {
            None => Ok(None),
            Some(Err(refusal)) => Ok(Some(Err(refusal))),
            Some(Ok(())) => Ok(self.case(id).await?.map(Ok)),
        }
    }
    async fn case(&self, id: CaseId) -> StoreResult<Option<CaseRecord>> {
        self.readers.read(|c| cases::record(c, id))
    }
    async fn list_cases(&self, query: &CaseQuery) -> StoreResult<Page<CaseSummary>> {
        self.readers.scan(|c| cases::list(c, query))
    }
    async fn case_attachment(&self, id: CaseId, n: u32) -> StoreResult<Option<AttachmentFile>> {
        self.readers.read(|c| cases::attachment(c, id, n))
    }
    async fn case_emails(&self, id: CaseId) -> StoreResult<Vec<EmailRecord>> {
        self.readers.read(|c| cases::emails(c, id))
    }
    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<EventRecord>> {
        self.readers.read(|c| cases::events(c, id))
    }
}

#[async_trait]
impl Orders for SqliteStore {
    async fn create_order(&self, new: NewOrderRecord) -> StoreResult<Created<Order>> {
        let written = self.writer.transaction(|tx| orders::write(tx, &new))?;
        let order = self
            .readers
            .read(|c| orders::by_web_id(c, written.web_order_id(), None))?
            .map(|w| w.order)
            .ok_or(StoreError::NotFound {
                what: Entity::Order,
            })?;
        Ok(if written.replayed() {
            Created::Replayed(order)
        } else {
            Created::New(order)
        })
    }
    async fn import_orders(
        &self,
        orders: &[NewOrderRecord],
    ) -> StoreResult<Vec<StoreResult<ImportedOrder>>> {
        // All at once first; when one of them is refused (nothing written then), again with
        // each in a savepoint of its own, so that the others go in.
        let every = self
            .writer
            .bulk_transaction(|tx| orders::write_every(tx, orders));
        match every {
            Err(e) if e.is_refusal() => self
                .writer
                .bulk_transaction(|tx| orders::write_all(tx, orders)),
            written => written,
        }
    }
    async fn order(&self, web_order_id: &WebOrderId) -> StoreResult<Option<Order>> {
        let found = self
            .readers
            .read(|c| orders::by_web_id(c, web_order_id, None))?;
        Ok(found.map(|w| w.order))
    }
    async fn order_window(
        &self,
        web_order_id: &WebOrderId,
        window: LineWindow,
    ) -> StoreResult<Option<OrderWindow>> {
        self.readers
            .read(|c| orders::by_web_id(c, web_order_id, Some(window)))
    }
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<OrderSummary>> {
        let sample = self.sample_for(query.q.is_some())?;
        self.readers
            .scan(|c| orders::list(c, query, sample.as_deref()))
    }
    async fn line(&self, sub_ref: &SubRef) -> StoreResult<Option<LineContext>> {
        self.readers.read(|c| lines::by_ref(c, sub_ref))
    }
    async fn list_lines(&self, query: &LineQuery) -> StoreResult<Page<LineContext>> {
        let sample = self.sample_for(query.q.is_some())?;
        self.readers
            .scan(|c| lines::list(c, query, sample.as_deref()))
    }
    async fn line_events(&self, sub_ref: &SubRef) -> StoreResult<Vec<EventRecord>> {
        self.readers.scan(|c| lines::events(c, sub_ref))
    }
}

#[async_trait]
impl LineActions for SqliteStore {
    async fn update_line(
        &self,
        sub_ref: &SubRef,
        request: UpdateRequest,
        decide: Decide,
    ) -> StoreResult<Option<Decided>> {
        let sub_ref = sub_ref.clone();
        self.writer
            .grouped(move |tx| changes::update_line(tx, &sub_ref, &request, decide.as_ref()))
            .await
    }
    async fn line_emails(&self, sub_ref: &SubRef) -> StoreResult<Vec<EmailRecord>> {
        self.readers.read(|c| changes::line_emails(c, sub_ref))
    }
    async fn recent_mail(
        &self,
        of: MailOf<'_>,
        since: Timestamp,
    ) -> StoreResult<Vec<(SubRef, MailFact)>> {
        self.readers.read(|c| changes::recent_mail(c, of, since))
    }
    async fn setup_link(&self, token_hash: &str) -> StoreResult<Option<SetupLink>> {
        self.readers.read(|c| changes::setup_link(c, token_hash))
    }
    async fn organizations_of(
        &self,
        contact: &ContactEmail,
        partner: CompanyId,
    ) -> StoreResult<Vec<Organization>> {
        self.readers
            .read(|c| changes::organizations_of(c, contact, partner))
    }
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn queue_first_sends(
        &self,
        now: Timestamp,
        limit: u32,
        due: FirstSendRule<'_>,
    ) -> StoreResult<usize> {
        self.writer
            .transaction(|tx| outbox::queue_first_sends(tx, now, limit, due))
    }
    async fn close_lapsed(
        &self,
        now: Timestamp,
        limit: u32,
        close: CloseRule<'_>,
    ) -> StoreResult<usize> {
        self.writer
            .transaction(|tx| outbox::close_lapsed(tx, now, limit, close))
    }
    async fn claim_emails(&self, claim: ClaimRequest) -> StoreResult<Vec<ClaimedEmail>> {
        self.writer.transaction(|tx| outbox::claim(tx, &claim))
    }
    /// Grouped: delivery records each attempt as it ends, so concurrent sends' results share a
    /// commit.
    async fn finish_emails(&self, finished: Vec<Finished>) -> StoreResult<()> {
        self.writer
            .grouped(move |tx| outbox::finish(tx, finished))
            .await
    }
    async fn release_leases(&self, owner: &str) -> StoreResult<u64> {
        self.writer
            .transaction(|tx| outbox::release(tx, Some(owner)))
    }
    async fn renew_leases(
        &self,
        owner: &str,
        emails: &[uuid::Uuid],
        _real_now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<u64> {
        self.writer
            .transaction(|tx| outbox::renew(tx, owner, emails, lease_until))
    }
    /// A SQLite file admits one server (its lock), so at a start every lease is a previous
    /// run's: all of them are taken over, whatever their time.
    async fn take_over_leases(&self, _real_now: Timestamp) -> StoreResult<u64> {
        self.writer.transaction(|tx| outbox::release(tx, None))
    }
}

#[async_trait]
impl Settings for SqliteStore {
    async fn offer_policies(&self) -> StoreResult<Vec<(OfferSku, u32)>> {
        self.readers.read(settings::offer_policies)
    }
    async fn set_offer_policy(&self, change: PolicyChange) -> StoreResult<()> {
        self.writer
            .transaction(|tx| settings::set_offer_policy(tx, &change))
    }
    async fn move_deadlines(
        &self,
        limit: u32,
        follow: FollowRule<'_>,
    ) -> StoreResult<Option<usize>> {
        self.writer
            .transaction(|tx| settings::move_deadlines(tx, limit, follow))
    }
    async fn moving_policies(&self) -> StoreResult<Vec<OfferSku>> {
        self.readers.read(settings::moving_policies)
    }
    async fn policy_moves(
        &self,
        offer: &OfferSku,
        window_days: u32,
        follow: FollowRule<'_>,
        listed: usize,
    ) -> StoreResult<PolicyMoves> {
        // Split by stored deadline into a part per core (each part's statement runs on a
        // reader of its own): ~1.7 s -> ~0.9 s for the preview of 1,000,000 lines here.
        let Some((first, last)) = self.readers.read(settings::deadline_span)? else {
            return Ok(PolicyMoves::default());
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let ranges = deadline_parts(first, last, cores.clamp(1, READERS));
        let parts = ranges
            .into_iter()
            .map(|range| {
                move |c: &rusqlite::Connection| {
                    settings::policy_moves_in(c, offer, (window_days, follow), listed, range)
                }
            })
            .collect();
        let found = self.readers.scan_parts(parts)?;
        let first = found
            .into_iter()
            .reduce(FirstSeqs::merge)
            .unwrap_or_else(|| FirstSeqs::new(listed));
        self.readers.read(|c| settings::policy_moves(c, first))
    }
    async fn clock_offset(&self) -> StoreResult<i64> {
        self.readers.read(settings::clock_offset)
    }
    async fn advance_clock_offset(&self, micros: i64) -> StoreResult<i64> {
        self.writer
            .transaction(|tx| settings::advance_clock_offset(tx, micros))
    }
}

#[async_trait]
impl Signals for SqliteStore {
    fn wake(&self, what: Wake) {
        self.signals.wake(what);
    }
    async fn woken(&self, what: Wake) {
        self.signals.woken(what).await;
    }
}

/// Writes an administration change's events (about no order) in its transaction.
fn audited(tx: &writer::Tx, audit: &Audit) -> StoreResult<()> {
    changes::insert_events(
        tx,
        changes::EventScope::default(),
        &audit.events,
        audit.actor,
        audit.now,
    )
}
