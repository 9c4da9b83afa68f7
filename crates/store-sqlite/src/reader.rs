//! Read-only connections (rusqlite) for every read. Same reason as the writer (see
//! `writer.rs`): one statement through sqlx costs two thread switches, more than most reads
//! themselves. A point read (an API key, a line, an order) takes microseconds and runs right
//! on the calling thread ([`Readers::read`]); a list, which takes milliseconds, runs inside
//! `block_in_place` on a multi-threaded runtime ([`Readers::scan`]), so the worker's other
//! tasks move on meanwhile. (Handing every point read to `block_in_place` cost the resend
//! path about 0.5 ms at the median under 32 clients.) With all connections busy a read waits
//! for one.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use provisio_store::StoreResult;
use rusqlite::{Connection, OpenFlags};

use crate::db;
use crate::writer::{STATEMENT_CACHE, blocking};

pub(crate) struct Readers {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl Readers {
    pub(crate) fn open(path: &Path, count: usize, busy_timeout: Duration) -> StoreResult<Self> {
        let conns = (0..count.max(1))
            .map(|_| {
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(db)?;
                conn.busy_timeout(busy_timeout).map_err(db)?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Ok(Mutex::new(conn))
            })
            .collect::<StoreResult<_>>()?;
        Ok(Self {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    /// Runs a point read `f` on a free connection (or waits for the next one in turn).
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Connection) -> StoreResult<R>) -> StoreResult<R> {
        let n = self.conns.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(conn) = self.conns[(start + i) % n].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.conns[start % n]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&conn)
    }

    /// Runs a longer read (a list) like [`Readers::read`], letting the worker's other tasks
    /// move to another thread meanwhile.
    pub(crate) fn scan<R>(&self, f: impl FnOnce(&Connection) -> StoreResult<R>) -> StoreResult<R> {
        blocking(|| self.read(f))
    }

    /// Runs the parts of one long read side by side, each on a connection of its own: as
    /// many at once as connections are free (at least one, waited for), the rest after them
    /// on the same connections. Their results in the order of `parts`. (SQLite runs a
    /// statement on one core; a scan of a million lines split in two takes about half.)
    pub(crate) fn scan_parts<R, F>(&self, parts: Vec<F>) -> StoreResult<Vec<R>>
    where
        R: Send,
        F: FnOnce(&Connection) -> StoreResult<R> + Send,
    {
        blocking(|| {
            let mut held: Vec<_> = self
                .conns
                .iter()
                .filter_map(|c| c.try_lock().ok())
                .collect();
            if held.is_empty() {
                let start = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
                held.push(
                    self.conns[start]
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner),
                );
            }
            held.truncate(parts.len().max(1));
            // Part i runs on connection i % held.len(), in turn with the others there.
            let mut queues: Vec<Vec<(usize, F)>> = held.iter().map(|_| Vec::new()).collect();
            let lanes = queues.len();
            for (i, part) in parts.into_iter().enumerate() {
                queues[i % lanes].push((i, part));
            }
            let done = std::thread::scope(|scope| {
                let runs: Vec<_> = held
                    .iter_mut()
                    .zip(queues)
                    .map(|(conn, queue)| {
                        let conn: &mut Connection = conn;
                        scope.spawn(move || {
                            queue
                                .into_iter()
                                .map(|(i, part)| part(conn).map(|r| (i, r)))
                                .collect::<StoreResult<Vec<_>>>()
                        })
                    })
                    .collect();
                runs.into_iter()
                    .map(|run| {
                        run.join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect::<StoreResult<Vec<_>>>()
            })?;
            let mut done: Vec<(usize, R)> = done.into_iter().flatten().collect();
            done.sort_by_key(|(i, _)| *i);
            Ok(done.into_iter().map(|(_, r)| r).collect())
        })
    }
}
