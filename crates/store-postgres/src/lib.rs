//! provisio on PostgreSQL: several instances behind a load balancer on one database.
//!
//! The same store seam as SQLite ([`provisio_store::Store`]) and the same behaviour story
//! (`provisio_store::conformance`): this backend only persists. Every decision is the
//! domain's; SQL selects candidates by indexed columns and writes the effects.
//!
//! What several instances need, and where it is:
//! - each method is one transaction (READ COMMITTED); a line action locks its line
//!   (`SELECT … FOR UPDATE`) while it reads the facts, decides and writes over the version read,
//!   so two instances acting on one line take turns and the rate limits and the double-click
//!   rule hold across instances;
//! - the schema's unique keys make first sends, closures and case auto-resolves happen once
//!   (`migrations/0001_schema.sql`);
//! - claims take due emails in batches with `FOR UPDATE SKIP LOCKED`; leases end at an
//!   instant of the database's clock; a result is recorded only with the lease owner and
//!   attempt number it was claimed with (`outbox.rs`);
//! - wake-ups between instances go through LISTEN/NOTIFY, debounced (`signals.rs`);
//! - migrations run under sqlx's advisory lock: one instance migrates, the others wait.
//!
//! Modules by responsibility, one trait of the seam each: `directory`, `sessions`, `settings`,
//! `orders`, `changes` (line actions), `outbox`, `cases`; `events` appends the audit log;
//! `codec` maps values and driver errors.

mod api_keys;
mod case_open;
mod case_writes;
mod cases;
mod changes;
mod codec;
mod copy;
mod copy_values;
mod directory;
mod events;
mod idempotency;
mod line_states;
mod line_writes;
mod lines;
mod mail_rows;
mod order_reads;
mod orders;
mod outbox;
mod outbox_claims;
mod outbox_results;
mod preview;
mod search;
mod search_sample;
mod sessions;
mod settings;
mod signals;
/// A fresh database per test, for the tests of this and other crates.
pub mod testing;

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
use provisio_store::{
    ApiKeyRecord, Audit, ClaimRequest, ClaimedEmail, CloseRule, Company, Created, Decide, Decided,
    Directory, EmailRecord, EventRecord, Finished, FirstSendRule, KeyActor, LineActions,
    LineContext, LineQuery, LineWindow, Maintenance, NewCompany, NewOrderRecord, NewUser, Order,
    OrderQuery, OrderSummary, OrderWindow, Orders, Organization, Outbox, Page, PageRequest,
    PolicyChange, SessionRecord, Settings, SetupLink, Signals, StoreError, StoreResult,
    UpdateRequest, User, Wake, WebSessions,
};
use provisio_store::{
    AttachmentFile, CaseQuery, CaseRecord, CaseRule, CaseSummary, Cases, NewCaseRecord, OpenRule,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};

pub use codec::Ts;
pub(crate) use codec::*;
pub use copy::CopyIn;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long `/readyz` waits for the database.
const PING_WITHIN: Duration = Duration::from_secs(2);

/// How an instance uses the database's connections.
#[derive(Debug, Clone, Copy)]
pub struct PgOptions {
    /// Connections this instance keeps at most (README "Operations": connection-pool sizing).
    pub max_connections: u32,
    /// How long a request waits for a free connection (or for the database to answer a
    /// connection attempt) before it fails with `Unavailable` (503).
    pub acquire_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// How long a connection may have been idle in the pool and still be handed out without a
/// ping first.
const PING_IDLE: Duration = Duration::from_secs(1);

/// A handle on a PostgreSQL database: a pool of connections and the wake-ups of the instances
/// that share it. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    signals: Arc<signals::PgSignals>,
    /// This instance's sample of the search texts (how a search asks the index).
    search: Arc<search_sample::Sampler>,
}

impl PgStore {
    /// Opens a `postgres://` URL (as given in `DATABASE_URL`) with default options. Connects
    /// lazily: an unreachable database fails the first statement, not this call. Does not
    /// migrate.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, PgOptions::default()).await
    }

    pub async fn open_with(url: &str, options: PgOptions) -> StoreResult<Self> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(StoreError::backend)?
            .application_name("provisio");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .idle_timeout(Some(Duration::from_secs(60)))
            // sqlx pings a connection (a round trip) as it goes back to the pool and, by
            // default, again as it is taken out: on the hot paths a third of the round trips
            // a transaction makes. One returned less than a second ago answered that ping
            // then; only one idle longer (the database may have restarted meanwhile) is
            // pinged again before it is handed out.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(connect);
        let signals = signals::PgSignals::start(pool.clone());
        Ok(Self {
            pool,
            signals,
            search: Arc::default(),
        })
    }

    /// How a list reads the lines holding `q`, if it has a term (by this instance's sample).
    async fn lookup(
        &self,
        q: Option<&provisio_domain::search::Search>,
    ) -> StoreResult<Option<search_sample::Lookup>> {
        match q {
            Some(q) => Ok(Some(self.search.lookup(&self.pool, q).await?)),
            None => Ok(None),
        }
    }

    /// The pool (for `provisio db copy` and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A transaction; dropped without commit, it rolls back.
    pub(crate) async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db)
    }
}

/// Writes an administration event (about no order) in the transaction.
pub(crate) async fn audited(tx: &mut PgConnection, audit: &Audit) -> StoreResult<()> {
    events::insert_events(
        tx,
        events::EventScope::default(),
        &audit.events,
        audit.actor,
        audit.now,
    )
    .await
}

#[async_trait]
impl Maintenance for PgStore {
    async fn migrate(&self) -> StoreResult<()> {
        // sqlx holds an advisory lock while it migrates: of several instances starting at
        // once, one migrates and the others wait, then find nothing left to do.
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(e) => db(e),
            other => StoreError::backend(other),
        })?;
        // Lines stored before the search index was (migration 0003) get their text now.
        search::backfill(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.signals.stop();
        self.pool.close().await;
    }

    /// Answers within [`PING_WITHIN`] (a load balancer's health check waits no longer), also
    /// while the pool keeps trying to reach a database that is down.
    async fn ping(&self) -> StoreResult<()> {
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        match tokio::time::timeout(PING_WITHIN, ping).await {
            Ok(done) => done.map(|_| ()).map_err(db),
            Err(_) => Err(StoreError::Unavailable(format!(
                "the database did not answer within {PING_WITHIN:?}"
            ))),
        }
    }

    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(Ts(before))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    /// `ANALYZE` of the tables that grow with orders. Autovacuum does it too, but only after
    /// a delay (and never where it is off); a bulk import's reads are planned right at once.
    async fn refresh_statistics(&self) -> StoreResult<()> {
        sqlx::query("ANALYZE orders, lines, emails, events, setup_links")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
    fn warm_up(&self) {
        self.search.refresh(&self.pool);
    }
}

#[async_trait]
impl Signals for PgStore {
    fn wake(&self, what: Wake) {
        self.signals.wake(what);
    }
    async fn woken(&self, what: Wake) {
        self.signals.woken(what).await;
    }
}
