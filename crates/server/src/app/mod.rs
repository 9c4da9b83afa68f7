//! The application core: each use case parses its input into domain values, asks the domain
//! for a decision, and has the store commit it. Used by the HTTP API and the CLI alike.

pub mod admin;
pub mod clock;
pub mod lines;
pub mod orders;
pub mod resend;
pub mod secrets;
pub mod setup;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use tokio::sync::Notify;

use provisio_domain::Actor;
use provisio_domain::permission::ensure_admin;
use provisio_store::{Scope, Store};

use crate::clock::Clock;
use crate::config::Config;
use crate::error::AppResult;

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Clock,
    pub config: Arc<Config>,
    /// Wakes the scheduler's planner: an order arrived or the test clock moved.
    pub wake: Arc<Notify>,
    /// Wakes delivery: an action queued mail.
    pub deliver: Arc<Notify>,
    /// HTTP requests being served now; background delivery gives way while there are any.
    pub requests_in_flight: Arc<AtomicUsize>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Clock, config: Config) -> Self {
        Self {
            store,
            clock,
            config: Arc::new(config),
            wake: Arc::new(Notify::new()),
            deliver: Arc::new(Notify::new()),
            requests_in_flight: Arc::new(AtomicUsize::new(0)),
        }
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

/// The orders an actor may list.
pub fn scope_of(actor: &Actor) -> Scope {
    if actor.sees_everything() {
        Scope::Everything
    } else {
        Scope::Company {
            company_id: actor.company_id,
            user_id: actor.user_id,
        }
    }
}
