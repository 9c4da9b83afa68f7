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
}
