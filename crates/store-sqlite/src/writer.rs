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
//! second instead, which does not block writers. A passive checkpoint cannot restart the WAL
//! while readers keep using it, and under sustained writes some reader always does: the WAL
//! then grows without end (530 MB seen). So once it is larger than its limit, the thread has
//! the write connection run a restarting checkpoint between two transactions, which waits
//! briefly for the readers of the moment and folds the rest, so the next write starts the WAL
//! over from its beginning; `journal_size_limit` then cuts the file back to the limit. (The
//! file is cut to the limit, not emptied: a WAL emptied to nothing had the file system
//! allocate and zero its blocks again as the next writes grew it, ~5 % of the writer's CPU
//! in a closure of 1,000,000 lines; writes into the blocks kept overwrite them in place.)

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

/// The page cache of a bulk write, in KiB.
pub(crate) const BULK_CACHE_KIB: u32 = 64 * 1024;

/// SQLite's default page cache (`-2000`: 2,000 KiB), which every other write keeps.
const DEFAULT_CACHE: i32 = -2000;

/// How often the background thread checkpoints the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The WAL's size limit: larger, it is restarted and cut back to this size.
pub(crate) const WAL_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// How the WAL is kept small.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WalBounds {
    pub(crate) limit_bytes: u64,
    pub(crate) every: Duration,
}

impl Default for WalBounds {
    fn default() -> Self {
        Self {
            limit_bytes: WAL_LIMIT_BYTES,
            every: CHECKPOINT_EVERY,
        }
    }
}

pub(crate) struct Writer {
    conn: Arc<Mutex<Connection>>,
    /// Line actions of concurrent requests, written together.
    group: Group,
    /// Dropping it stops the checkpoint thread.
    _checkpoints: mpsc::Sender<()>,
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction on `conn`, committed when `f` returns `Ok`
/// and rolled back otherwise.
fn in_transaction<R>(
    conn: &mut Connection,
    f: impl FnOnce(&Tx<'_>) -> StoreResult<R>,
) -> StoreResult<R> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let result = f(&tx)?;
    tx.commit().map_err(db)?;
    Ok(result)
}

impl Writer {
    /// Opens the database file, creating it if missing, in WAL mode (a property of the file:
    /// every later connection uses it).
    pub(crate) fn open(path: &Path, busy_timeout: Duration, wal: WalBounds) -> StoreResult<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db)?;
        conn.busy_timeout(busy_timeout).map_err(db)?;
        let size_limit = format!("PRAGMA journal_size_limit = {};", wal.limit_bytes);
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA wal_autocheckpoint = 0; {size_limit}"
        ))
        .map_err(db)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let checkpointer =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(db)?;
        checkpointer.execute_batch(&size_limit).map_err(db)?;
        let wal_path = wal_file(path);
        let conn = Arc::new(Mutex::new(conn));
        let (stop, stopped) = mpsc::channel::<()>();
        let writes = Arc::clone(&conn);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                checkpoints(checkpointer, &writes, stopped, &wal_path, wal, busy_timeout)
            })
            .map_err(StoreError::backend)?;
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
        blocking(|| in_transaction(&mut self.connection(), f))
    }

    /// [`Self::transaction`] for a bulk write (an import's many orders), with a page cache of
    /// [`BULK_CACHE_KIB`] for it instead of SQLite's default of 2 MiB, which such a
    /// transaction outgrows: its changed pages would be written to the WAL before the commit
    /// and read back when changed again (an import of 1,000,000 lines spent ~15 % of its time
    /// there; with the larger cache its system time halved). The cache is set back after it,
    /// which frees what it holds beyond the default.
    pub(crate) fn bulk_transaction<R>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        blocking(|| {
            let mut conn = self.connection();
            conn.execute_batch(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
                .map_err(db)?;
            let written = in_transaction(&mut conn, f);
            let reset = conn.execute_batch(&format!("PRAGMA cache_size = {DEFAULT_CACHE}"));
            let result = written?;
            reset.map_err(db)?;
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

/// How [`fold_wal`] leaves the WAL once folded.
#[derive(Debug, Clone, Copy)]
enum Fold {
    /// Started over by the next write, which cuts the file back to `journal_size_limit`.
    Restart,
    /// Emptied now (nothing has written since it was restarted).
    Empty,
}

/// Tries for a moment (at most ~100 ms) to fold the whole WAL into the database file so the
/// next write starts it over (and cuts it back to `journal_size_limit`), on the write
/// connection between its transactions (this process's writes wait on the mutex meanwhile);
/// readers of the moment are waited for in short steps. Whether it was folded; if not, the
/// next round tries again. `mode`: what becomes of the file.
fn fold_wal(
    writes: &Mutex<Connection>,
    busy_timeout: Duration,
    mode: Fold,
) -> rusqlite::Result<bool> {
    let sql = match mode {
        Fold::Restart => "PRAGMA wal_checkpoint(RESTART)",
        Fold::Empty => "PRAGMA wal_checkpoint(TRUNCATE)",
    };
    const TRIES: u32 = 50;
    // On the write connection itself: when another connection emptied the WAL, the write
    // connection was seen waiting out its whole busy timeout at its next transaction.
    let conn = lock(writes);
    conn.busy_timeout(Duration::ZERO)?;
    let mut folded = false;
    for _ in 0..TRIES {
        // (busy, frames in the WAL, frames checkpointed); busy = 1 while a reader or
        // another process's writer still uses the WAL.
        let busy: i64 = conn.query_row(sql, [], |r| r.get(0))?;
        if busy == 0 {
            folded = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    conn.busy_timeout(busy_timeout)?;
    Ok(folded)
}

/// The WAL file of a database file.
fn wal_file(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

/// Checkpoints the WAL every `wal.every` until the writer is dropped; restarts it when it has
/// grown past its limit. Restarting holds `writes` (the write connection) meanwhile: this
/// process's writes wait on the mutex for those milliseconds instead of keeping SQLite's
/// write lock busy forever under sustained load.
fn checkpoints(
    conn: Connection,
    writes: &Mutex<Connection>,
    stop: mpsc::Receiver<()>,
    wal_path: &Path,
    wal: WalBounds,
    busy_timeout: Duration,
) {
    // The WAL's size when this thread last restarted it: still that size a round later, no
    // write has started it over since (which would have cut it back), so it is emptied.
    let mut restarted_at = None;
    loop {
        match stop.recv_timeout(wal.every) {
            Err(RecvTimeoutError::Timeout) => {
                let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if let Err(e) = done {
                    tracing::warn!("WAL checkpoint: {e}");
                }
                let size = std::fs::metadata(wal_path).map_or(0, |m| m.len());
                if size <= wal.limit_bytes {
                    restarted_at = None;
                    continue;
                }
                let idle = restarted_at == Some(size);
                let mode = if idle { Fold::Empty } else { Fold::Restart };
                match fold_wal(writes, busy_timeout, mode) {
                    Ok(true) => {
                        restarted_at = (!idle).then_some(size);
                        tracing::debug!(bytes = size, ?mode, "WAL folded");
                    }
                    Ok(false) => tracing::debug!(bytes = size, "WAL busy; folded next round"),
                    Err(e) => tracing::warn!("WAL checkpoint ({mode:?}): {e}"),
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

#[cfg(test)]
mod wal_tests;
