//! The application core and the only way in: every edge (HTTP API, pages, CLI, scheduler,
//! demo) calls a use case here. Each parses its input into domain values, asks the domain for
//! a decision (permissions are permits only `provisio_domain::permission` mints), and has the
//! store commit it. The store is private to this module: no edge reads or writes it directly.
//!
//! Use cases by responsibility: `orders` (placing, finding, listing), `lines` (contact change,
//! onboarding, provisioned, cancel), `resend`, `setup` (the setup link and its page),
//! `hand_off` (the setup page's hand-off to a colleague and its fresh-link request),
//! `admin` (companies, users, keys, policies), `access` (users disabled or enabled, their
//! resend permission, API keys listed, revoked and their last use), `clock` (the test
//! clock), `outbox` (what the scheduler asks: first sends, closure, claims, results, leases,
//! the message of an attempt),
//! `signin` (the web workspace's sign-in and sessions), `workspace` (what the pages show of
//! a line: which actions the user may take, the resend budget, an email as it was sent),
//! `timeline` (a line's history, newest first, who did what; `event_words` reads a stored
//! event back into typed words, for the timeline and the audit log).

pub mod access;
pub mod admin;
mod case_mail;
pub mod cases;
pub mod clock;
mod deadlines;
pub mod directory;
pub mod event_words;
pub mod hand_off;
mod import;
pub mod line_list;
pub mod lines;
pub mod offers;
pub mod orders;
pub mod outbox;
pub mod resend;
pub mod secrets;
pub mod setup;
pub mod signin;
pub mod timeline;
pub mod workspace;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use provisio_domain::Actor;
use provisio_domain::permission::ensure_admin;
use provisio_store::{Store, Wake};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{AppError, AppResult, AuthFailure};

#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    pub clock: Clock,
    pub config: Arc<Config>,
    /// HTTP requests being served now; background delivery gives way while there are any.
    pub requests_in_flight: Arc<AtomicUsize>,
    /// Whether delivery runs or is paused by a broken transport.
    delivery: Arc<outbox::DeliveryStatus>,
    /// When each API key's use was last written (at most once a minute per key).
    key_uses: Arc<access::KeyUses>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Clock, config: Config) -> Self {
        Self {
            store,
            clock,
            config: Arc::new(config),
            requests_in_flight: Arc::new(AtomicUsize::new(0)),
            delivery: Arc::default(),
            key_uses: Arc::default(),
        }
    }

    /// The same service on another clock (the demo replays its history on one in the past).
    pub fn with_clock(&self, clock: Clock) -> Self {
        Self {
            clock,
            ..self.clone()
        }
    }

    /// Tells the scheduler (of every instance sharing the store) to look now.
    pub fn wake(&self, what: Wake) {
        self.store.wake(what);
    }

    /// Resolves at the next wake-up of `what`.
    pub async fn woken(&self, what: Wake) {
        self.store.woken(what).await;
    }

    /// Readiness: the database answers (else `Unavailable`); delivery's pause, if any, is
    /// told beside. A paused delivery does not make the service unready: requests are served
    /// and mail is queued, and it goes out once the transport works again.
    pub async fn ready(&self) -> AppResult<Option<outbox::Pause>> {
        self.store.ping().await.map_err(|e| {
            tracing::warn!("the database is not reachable: {e}");
            AppError::Unavailable
        })?;
        Ok(self.delivery_paused())
    }

    /// The user behind an API key, loaded afresh (a CLI change takes effect at once): a
    /// revoked key, or a disabled user's, is refused. The key's use is noted (to a minute).
    pub async fn authenticate(&self, api_key: &str) -> AppResult<Actor> {
        let found = self
            .store
            .actor_by_api_key(&secrets::hash_api_key(api_key))
            .await?
            .ok_or(AppError::Unauthenticated(AuthFailure::UnknownKey))?;
        self.key_used(found.key_id);
        Ok(found.actor)
    }

    /// Finishes the writes running in the background, then closes the store (checkpointing
    /// where the backend does); the app is unusable after.
    pub async fn close(&self) {
        self.key_uses.settle().await;
        self.store.close().await;
    }
}

/// Who asks: a user authenticated by the API (or named with `--as`), or the operator at the
/// command line, who has full rights over the installation.
#[derive(Debug, Clone)]
pub enum Caller {
    Operator,
    User(Actor),
}

impl Caller {
    pub fn ensure_admin(&self) -> AppResult<()> {
        match self {
            Caller::Operator => Ok(()),
            Caller::User(actor) => Ok(ensure_admin(actor)?),
        }
    }
}
