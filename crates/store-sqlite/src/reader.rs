//! Read-only connections (rusqlite) for every read. Same reason as the writer (see
//! `writer.rs`): one statement through sqlx costs two thread switches, more than most reads
//! themselves. A read runs on the calling thread (inside `block_in_place` on a multi-threaded
//! runtime, as a list of orders takes milliseconds); with all connections busy it waits for
//! one.

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

    /// Runs `f` on a free connection (or waits for the next one in turn).
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Connection) -> StoreResult<R>) -> StoreResult<R> {
        let n = self.conns.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(conn) = self.conns[(start + i) % n].try_lock() {
                return blocking(|| f(&conn));
            }
        }
        blocking(|| {
            let conn = self.conns[start % n]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            f(&conn)
        })
    }
}
