//! The one write connection: every write of the store (line actions, orders, first sends,
//! closure, outbox claims and results, administration, settings) runs on it, rusqlite called
//! directly under a mutex, with cached prepared statements. One writer means no two writers
//! of this process ever contend through the busy timeout.
//!
//! Why not sqlx: sqlx's SQLite driver runs each connection on its own thread and hands
//! every statement (and every row) across a channel, two thread switches per statement. A
//! resend is about ten statements, so under 32 concurrent clients the single writer spent
//! most of its time switching threads (measured: resend p50 14.7 ms, see README
//! "Performance"). Here a whole transaction runs in one go on the calling thread; SQLite
//! itself takes a few microseconds per statement. A transaction never awaits, so holding a
//! std mutex across it is safe on any tokio runtime. On a multi-threaded runtime it runs
//! inside `block_in_place`, so the worker's other tasks (HTTP, SMTP I/O) move to another
//! thread while it waits for the mutex or the disk.
//!
//! Checkpoints: the write connection never checkpoints the WAL itself (a checkpoint syncs the
//! database file, which stalled commits); a background thread runs a passive checkpoint every
//! second instead, which does not block writers.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use provisio_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::db;
use crate::group::Group;

/// A transaction on the write connection.
pub(crate) type Tx<'c> = rusqlite::Transaction<'c>;

/// Prepared statements kept per connection (the hot paths use about 25).
pub(crate) const STATEMENT_CACHE: usize = 64;

/// How often the background thread checkpoints the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

pub(crate) struct Writer {
    conn: Arc<Mutex<Connection>>,
    /// Line actions of concurrent requests, written together.
    group: Group,
    /// Dropping it stops the checkpoint thread.
    _checkpoints: mpsc::Sender<()>,
}

impl Writer {
    /// Opens the database file, creating it if missing, in WAL mode (a property of the file:
    /// every later connection uses it).
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> StoreResult<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db)?;
        conn.busy_timeout(busy_timeout).map_err(db)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(db)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let checkpointer =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(db)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoints(checkpointer, stopped))
            .map_err(StoreError::backend)?;
        let conn = Arc::new(Mutex::new(conn));
        Ok(Self {
            group: Group::start(Arc::clone(&conn))?,
            conn,
            _checkpoints: stop,
        })
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committed when `f` returns `Ok` and rolled
    /// back otherwise.
    pub(crate) fn transaction<R>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        blocking(|| {
            let mut conn = self.connection();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let result = f(&tx)?;
            tx.commit().map_err(db)?;
            Ok(result)
        })
    }

    /// Runs `f` in a transaction shared with the other requests waiting at this moment
    /// (group commit, see `group.rs`).
    pub(crate) async fn grouped<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        self.group.submit(f).await
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// Folds what it can of the WAL into the database file (at close) without waiting for
    /// other connections: a CLI command closing while a server writes must not stall. The
    /// last connection to close folds the rest (SQLite does that itself).
    pub(crate) fn checkpoint(&self) {
        let done = blocking(|| {
            self.connection()
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        });
        if let Err(e) = done {
            tracing::warn!("WAL checkpoint at close: {e}");
        }
    }
}

/// Locks the connection. A panic inside an earlier transaction rolled it back when it
/// unwound; the connection itself is fine.
pub(crate) fn lock(conn: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs blocking work: inside `block_in_place` on a multi-threaded runtime, so the worker's
/// other tasks move to another thread meanwhile; directly otherwise (tests' current-thread
/// runtime, where nothing else could run anyway).
pub(crate) fn blocking<R>(f: impl FnOnce() -> R) -> R {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] until the writer is dropped.
fn checkpoints(conn: Connection, stop: mpsc::Receiver<()>) {
    loop {
        match stop.recv_timeout(CHECKPOINT_EVERY) {
            Err(RecvTimeoutError::Timeout) => {
                let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if let Err(e) = done {
                    tracing::warn!("WAL checkpoint: {e}");
                }
            }
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// The constraint a failed statement broke, if it broke one we answer specifically.
pub(crate) enum Constraint {
    Unique,
    ForeignKey,
}

pub(crate) fn constraint(e: &rusqlite::Error) -> Option<Constraint> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => match f.extended_code {
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => Some(Constraint::Unique),
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Some(Constraint::ForeignKey),
            _ => None,
        },
        _ => None,
    }
}
