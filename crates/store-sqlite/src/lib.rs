//! The embedded default store: one SQLite file in WAL mode with `synchronous=NORMAL` (a
//! process crash loses nothing; a power loss may lose the last transactions). Every write
//! transaction starts with `BEGIN IMMEDIATE`, so read-decide-write transactions never deadlock,
//! also against a CLI process on the same file.
//!
//! Two paths: the hot ones (line actions with group commit, orders, first sends, closure, the
//! outbox, API-key lookups) run on direct rusqlite connections (`writer.rs`, `group.rs`,
//! `reader.rs`: whole transactions without a thread switch per statement); everything else
//! (admin writes, listings, migrations) goes through sqlx pools.

mod admin;
mod changes;
mod codec;
mod group;
mod idempotency;
mod lines;
mod orders;
mod outbox;
mod reader;
mod settings;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use provisio_domain::{Actor, CompanyId, ContactEmail, OfferSku, SubRef, UserId, WebOrderId};
use provisio_store::{
    ClaimRequest, ClaimedEmail, Company, Created, Decide, Decided, EmailRecord, EventRecord,
    Finished, LineContext, LineQuery, LineRule, NewCompany, NewOrderRecord, NewUser, Order,
    OrderQuery, Organization, Page, PolicyChange, SetupLink, Store, StoreError, StoreResult,
    UpdateRequest, User,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub(crate) use codec::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct SqliteStore {
    /// Writes that are not on a hot path (admin, settings, purges) and migrations.
    writer: SqlitePool,
    reader: SqlitePool,
    /// The hot write paths: line actions, orders, first sends, closure, the outbox.
    direct: Arc<writer::Writer>,
    /// The hot read path: API keys.
    readers: Arc<reader::Readers>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file. Does not migrate.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        Self::with_options(SqliteConnectOptions::new().filename(path)).await
    }

    /// Opens a `sqlite:` URL (as given in `DATABASE_URL`).
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        Self::with_options(SqliteConnectOptions::from_str(url).map_err(StoreError::backend)?).await
    }

    /// Every connection: created if missing, WAL, `synchronous=NORMAL`, foreign keys on.
    async fn with_options(options: SqliteConnectOptions) -> StoreResult<Self> {
        let name = options.get_filename().to_string_lossy().into_owned();
        // sqlx names its in-memory databases `file:sqlx-in-memory-N`.
        if name.is_empty() || name.contains(":memory:") || name.contains("sqlx-in-memory") {
            // Several connections (sqlx pools, the direct writer and readers) share the data:
            // an in-memory database would be a different one for each.
            return Err(StoreError::backend(std::io::Error::other(
                "an in-memory SQLite database is not supported: give a file (sqlite:path/to/file.sqlite)",
            )));
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(StoreError::backend)?;
        let filename = options.get_filename().to_owned();
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(StoreError::backend)?;
        let direct = Arc::new(writer::Writer::open(&filename, BUSY_TIMEOUT)?);
        let readers = Arc::new(reader::Readers::open(&filename, 4, BUSY_TIMEOUT)?);
        Ok(Self {
            writer,
            reader,
            direct,
            readers,
        })
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the hot-path write connection.
    pub(crate) fn writer_tx<R>(
        &self,
        f: impl FnOnce(&writer::Tx<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        self.direct.transaction(f)
    }

    pub(crate) async fn begin(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }
}

/// Maps a database error, naming what a unique violation was about.
pub(crate) fn db(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::backend(e)
}

pub(crate) fn unique_as(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::AlreadyExists { what },
        _ => StoreError::backend(e),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(StoreError::backend)
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn create_company(&self, new: NewCompany) -> StoreResult<Company> {
        admin::create_company(self, new).await
    }
    async fn company(&self, id: CompanyId) -> StoreResult<Option<Company>> {
        admin::company(&self.reader, "id", &id.to_string()).await
    }
    async fn company_by_name(&self, name: &str) -> StoreResult<Option<Company>> {
        admin::company(&self.reader, "name", name).await
    }
    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        admin::create_user(self, new).await
    }
    async fn user_by_email(&self, email: &ContactEmail) -> StoreResult<Option<User>> {
        admin::user_by_email(&self.reader, email).await
    }
    async fn create_api_key(
        &self,
        user: UserId,
        key_hash: &str,
        now: Timestamp,
    ) -> StoreResult<uuid::Uuid> {
        admin::create_api_key(self, user, key_hash, now).await
    }
    async fn actor_by_api_key(&self, key_hash: &str) -> StoreResult<Option<Actor>> {
        self.readers
            .read(|conn| admin::actor_by_api_key(conn, key_hash))
    }

    async fn create_order(&self, new: NewOrderRecord) -> StoreResult<Created<Order>> {
        orders::create(self, new).await
    }
    async fn order(&self, web_order_id: &WebOrderId) -> StoreResult<Option<Order>> {
        orders::by_web_id(&self.reader, web_order_id).await
    }
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<Order>> {
        orders::list(&self.reader, query).await
    }

    async fn line(&self, sub_ref: &SubRef) -> StoreResult<Option<LineContext>> {
        lines::by_ref(&self.reader, sub_ref).await
    }
    async fn list_lines(&self, query: &LineQuery) -> StoreResult<Page<LineContext>> {
        lines::list(&self.reader, query).await
    }
    async fn line_events(&self, sub_ref: &SubRef) -> StoreResult<Vec<EventRecord>> {
        lines::events(&self.reader, sub_ref).await
    }

    async fn offer_policies(&self) -> StoreResult<Vec<(OfferSku, u32)>> {
        admin::offer_policies(&self.reader).await
    }
    async fn set_offer_policy(&self, change: PolicyChange) -> StoreResult<()> {
        admin::set_offer_policy(self, change).await
    }

    async fn clock_offset(&self) -> StoreResult<i64> {
        settings::clock_offset(&self.reader).await
    }
    async fn advance_clock_offset(&self, micros: i64) -> StoreResult<i64> {
        settings::advance_clock_offset(self, micros).await
    }

    async fn update_line(
        &self,
        sub_ref: &SubRef,
        request: UpdateRequest,
        decide: Decide,
    ) -> StoreResult<Option<Decided>> {
        let sub_ref = sub_ref.clone();
        self.direct
            .grouped(move |tx| changes::update_line(tx, &sub_ref, request, decide))
            .await
    }
    async fn line_emails(&self, sub_ref: &SubRef) -> StoreResult<Vec<EmailRecord>> {
        changes::line_emails(&self.reader, sub_ref).await
    }
    async fn setup_link(&self, token_hash: &str) -> StoreResult<Option<SetupLink>> {
        changes::setup_link(&self.reader, token_hash).await
    }
    async fn organizations_of(&self, contact: &ContactEmail) -> StoreResult<Vec<Organization>> {
        changes::organizations_of(&self.reader, contact).await
    }

    async fn queue_first_sends(
        &self,
        now: Timestamp,
        limit: u32,
        due: LineRule<'_>,
    ) -> StoreResult<usize> {
        self.writer_tx(|tx| outbox::queue_first_sends(tx, now, limit, due))
    }
    async fn close_lapsed(
        &self,
        now: Timestamp,
        limit: u32,
        close: LineRule<'_>,
    ) -> StoreResult<usize> {
        self.writer_tx(|tx| outbox::close_lapsed(tx, now, limit, close))
    }
    async fn claim_emails(&self, claim: ClaimRequest) -> StoreResult<Vec<ClaimedEmail>> {
        self.writer_tx(|tx| outbox::claim(tx, &claim))
    }
    async fn finish_emails(&self, finished: Vec<Finished>) -> StoreResult<()> {
        self.writer_tx(|tx| outbox::finish(tx, finished))
    }
    async fn release_leases(&self, owner: Option<&str>) -> StoreResult<u64> {
        outbox::release(self, owner).await
    }
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        idempotency::purge(self, before).await
    }
    async fn set_password_hash(&self, user: UserId, hash: Option<&str>) -> StoreResult<()> {
        admin::set_password_hash(self, user, hash).await
    }
}
