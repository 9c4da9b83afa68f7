//! Wake-ups between the instances that share the database: LISTEN/NOTIFY, debounced.
//!
//! A wake-up of this instance is delivered here at once ([`LocalSignals`]) and marked for the
//! others; a sender task sends at most one NOTIFY per kind per [`DEBOUNCE`], on a connection of
//! its own and outside every data transaction, however many rows were queued. (A NOTIFY inside
//! a transaction takes a database-wide lock at commit and serializes every committing
//! transaction behind it: one per row would make the outbox's commits single file.) A listener
//! task LISTENs and wakes this instance's scheduler. A lost wake-up only delays: the scheduler
//! also looks every second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use provisio_store::{LocalSignals, Wake};
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The channel every instance listens on; the payload names the [`Wake`].
const CHANNEL: &str = "provisio_wake";
/// At most one NOTIFY per kind in this long.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(20);
/// How long the listener waits before connecting again after it lost its connection.
const RECONNECT: Duration = Duration::from_millis(500);

/// What the tasks and the store share.
struct Shared {
    local: LocalSignals,
    /// Per kind: a wake-up to send to the other instances.
    pending: [AtomicBool; 2],
    /// Wakes the sender.
    send: Notify,
}

/// The store's side; dropping the last handle stops both tasks.
pub(crate) struct PgSignals {
    shared: Arc<Shared>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

fn index(what: Wake) -> usize {
    match what {
        Wake::Planner => 0,
        Wake::Delivery => 1,
    }
}

fn payload(what: Wake) -> &'static str {
    match what {
        Wake::Planner => "planner",
        Wake::Delivery => "delivery",
    }
}

fn parse(payload: &str) -> Option<Wake> {
    match payload {
        "planner" => Some(Wake::Planner),
        "delivery" => Some(Wake::Delivery),
        _ => None,
    }
}

const KINDS: [Wake; 2] = [Wake::Planner, Wake::Delivery];

impl PgSignals {
    /// Starts the sender and the listener on `pool`'s database.
    pub(crate) fn start(pool: PgPool) -> Arc<Self> {
        let shared = Arc::new(Shared {
            local: LocalSignals::default(),
            pending: [AtomicBool::new(false), AtomicBool::new(false)],
            send: Notify::new(),
        });
        let sender = tokio::spawn(send_loop(shared.clone(), pool.clone()));
        let listener = tokio::spawn(listen_loop(shared.clone(), pool));
        Arc::new(Self {
            shared,
            tasks: std::sync::Mutex::new(vec![sender, listener]),
        })
    }

    pub(crate) fn wake(&self, what: Wake) {
        self.shared.local.wake(what);
        if !self.shared.pending[index(what)].swap(true, Ordering::AcqRel) {
            self.shared.send.notify_one();
        }
    }

    pub(crate) async fn woken(&self, what: Wake) {
        self.shared.local.woken(what).await;
    }

    /// Stops both tasks (the store is closing).
    pub(crate) fn stop(&self) {
        if let Ok(mut tasks) = self.tasks.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }
}

impl Drop for PgSignals {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn send_loop(shared: Arc<Shared>, pool: PgPool) {
    loop {
        let notified = shared.send.notified();
        let any = KINDS
            .iter()
            .any(|k| shared.pending[index(*k)].load(Ordering::Acquire));
        if !any {
            notified.await;
            continue;
        }
        // Gather what arrives meanwhile into the same NOTIFY.
        tokio::time::sleep(DEBOUNCE).await;
        for kind in KINDS {
            if shared.pending[index(kind)].swap(false, Ordering::AcqRel) {
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(payload(kind))
                    .execute(&pool)
                    .await;
                if let Err(e) = sent {
                    // The others find the work at their next poll.
                    tracing::debug!("wake-up not sent to the other instances: {e}");
                }
            }
        }
    }
}

async fn listen_loop(shared: Arc<Shared>, pool: PgPool) {
    loop {
        let listening = async {
            // Returns only with the error that ended it.
            let mut listener = PgListener::connect_with(&pool).await.map_err(Some)?;
            listener.listen(CHANNEL).await.map_err(Some)?;
            loop {
                let note = listener.recv().await.map_err(Some)?;
                if let Some(what) = parse(note.payload()) {
                    shared.local.wake(what);
                }
            }
        };
        let ended: Result<(), Option<sqlx::Error>> = listening.await;
        if let Err(Some(e)) = ended {
            tracing::debug!("listening for wake-ups: {e}; listening again shortly");
        }
        tokio::time::sleep(RECONNECT).await;
        // The others' wake-ups meanwhile may be lost: look now.
        for kind in KINDS {
            shared.local.wake(kind);
        }
    }
}
