//! The write connection of the hot paths (line actions, first sends, closure, outbox claims
//! and results): rusqlite, called directly under a mutex, with cached prepared statements.
//!
//! Why not sqlx here: sqlx's SQLite driver runs each connection on its own thread and hands
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
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use provisio_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

/// A transaction on the write connection.
pub(crate) type Tx<'c> = rusqlite::Transaction<'c>;

/// Prepared statements kept per connection (the hot paths use about 25).
const STATEMENT_CACHE: usize = 64;

/// How often the background thread checkpoints the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// A request's part of a group transaction: it runs its statements inside its own savepoint
/// and returns what to tell its caller once the group's commit is known.
type Job = Box<dyn FnOnce(&Tx<'_>) -> Reply + Send>;
/// Tells a job's caller its result, or the commit's failure.
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;

pub(crate) struct Writer {
    conn: Mutex<Connection>,
    /// Requests waiting to be written by the next group transaction.
    queue: Mutex<Vec<Job>>,
    /// Dropping it stops the checkpoint thread.
    _checkpoints: mpsc::Sender<()>,
}

impl Writer {
    /// Opens the database file that sqlx has already created (WAL is a property of the file).
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> StoreResult<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(rq)?;
        conn.busy_timeout(busy_timeout).map_err(rq)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(rq)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let checkpointer =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(rq)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoints(checkpointer, stopped))
            .map_err(StoreError::backend)?;
        Ok(Self {
            conn: Mutex::new(conn),
            queue: Mutex::new(Vec::new()),
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
                .map_err(rq)?;
            let result = f(&tx)?;
            tx.commit().map_err(rq)?;
            Ok(result)
        })
    }

    /// Runs `f` in a transaction shared with the other requests waiting for the write
    /// connection at this moment (group commit): each in its own savepoint, so a failing one
    /// leaves no trace and does not disturb the others; all answer only after the commit.
    /// Under concurrent requests the commit (most of a short transaction's cost: writing the
    /// WAL frames) is paid once per group instead of once per request.
    pub(crate) fn grouped<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        let (answer, answered) = mpsc::sync_channel::<StoreResult<R>>(1);
        let job: Job = Box::new(move |tx| {
            let result = in_savepoint(tx, f);
            Box::new(move |commit_failed: Option<&StoreError>| {
                let result = match (commit_failed, result) {
                    (Some(e), Ok(_)) => Err(StoreError::backend(std::io::Error::other(format!(
                        "commit failed: {e}"
                    )))),
                    (_, result) => result,
                };
                let _ = answer.send(result);
            })
        });
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(job);
        blocking(|| {
            let mut conn = self.connection();
            // Whoever held the connection before may have written our request already.
            if let Ok(result) = answered.try_recv() {
                return result;
            }
            let jobs = std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(rq);
            match tx {
                Ok(tx) => {
                    let replies: Vec<Reply> = jobs.into_iter().map(|job| job(&tx)).collect();
                    let committed = tx.commit().map_err(rq);
                    for reply in replies {
                        reply(committed.as_ref().err());
                    }
                }
                // Dropping the jobs tells their callers (a closed channel, below).
                Err(e) => tracing::error!("cannot begin a write transaction: {e}"),
            }
            answered.recv().unwrap_or_else(|_| {
                Err(StoreError::corrupt("the write transaction could not begin"))
            })
        })
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic inside an earlier transaction rolled it back when it unwound; the
        // connection itself is fine.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs blocking work: inside `block_in_place` on a multi-threaded runtime, so the worker's
/// other tasks move to another thread meanwhile; directly otherwise (tests' current-thread
/// runtime, where nothing else could run anyway).
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

/// Runs `f` inside a savepoint: released when it succeeds, rolled back when it fails.
fn in_savepoint<R>(tx: &Tx<'_>, f: impl FnOnce(&Tx<'_>) -> StoreResult<R>) -> StoreResult<R> {
    tx.execute_batch("SAVEPOINT request").map_err(rq)?;
    let result = f(tx);
    let end = if result.is_ok() {
        "RELEASE request"
    } else {
        "ROLLBACK TO request; RELEASE request"
    };
    tx.execute_batch(end).map_err(rq)?;
    result
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

/// Maps a rusqlite error.
pub(crate) fn rq(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
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
