//! Group commit for line actions. Requests hand their read-decide-write to one thread that
//! writes everything waiting in one transaction, each request in its own savepoint (a failing
//! one leaves no trace and does not disturb the others), and answers all of them after the
//! commit. A short transaction's cost is mostly its commit (writing the WAL frames), so under
//! concurrent requests it is paid once per group instead of once per request; and the
//! requests wait asynchronously, occupying no thread.
//!
//! The first request of a transaction needs no savepoint: if it fails, the transaction holds
//! nothing but its writes and is rolled back whole, and the requests after it begin another.
//! (A savepoint has SQLite copy every page a request changes into its journal first: ~11 % of
//! the writer's time over a dispatch and its resends; in dispatch a group is mostly one batch
//! of results, so most groups now take none.)

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use provisio_store::{StoreError, StoreResult};
use rusqlite::{Connection, TransactionBehavior};

use crate::db;
use crate::writer::{Tx, lock};

/// A request's part of a group: runs inside the group's transaction (in a savepoint of its
/// own when `true` is passed) and says whether it succeeded, with what to tell its caller
/// once the commit is known.
type Job = Box<dyn FnOnce(&Tx<'_>, bool) -> (bool, Reply) + Send>;
/// Tells a job's caller its result, or the commit's failure.
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

pub(crate) struct Group {
    shared: Arc<Shared>,
}

impl Group {
    /// Starts the group-writer thread on `conn` (shared with the other writers).
    pub(crate) fn start(conn: Arc<Mutex<Connection>>) -> StoreResult<Self> {
        let shared = Arc::new(Shared::default());
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("sqlite-group".into())
            .spawn(move || run(&worker, &conn))
            .map_err(StoreError::backend)?;
        Ok(Self { shared })
    }

    pub(crate) async fn submit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> StoreResult<R> + Send + 'static,
    ) -> StoreResult<R> {
        let (job, answered) = job(f);
        self.queue().jobs.push(job);
        self.shared.ready.notify_one();
        answered.await.unwrap_or_else(|_| Err(not_written()))
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// `f` as a job of a group, and where its caller's answer arrives.
fn job<R: Send + 'static>(
    f: impl FnOnce(&Tx<'_>) -> StoreResult<R> + Send + 'static,
) -> (Job, tokio::sync::oneshot::Receiver<StoreResult<R>>) {
    let (answer, answered) = tokio::sync::oneshot::channel::<StoreResult<R>>();
    let job: Job = Box::new(move |tx, savepoint| {
        let result = match savepoint {
            true => in_savepoint(tx, f),
            false => f(tx),
        };
        let ok = result.is_ok();
        let reply: Reply = Box::new(move |commit_failed: Option<&StoreError>| {
            let result = match (commit_failed, result) {
                (Some(e), Ok(_)) => Err(StoreError::backend(std::io::Error::other(format!(
                    "commit failed: {e}"
                )))),
                (_, result) => result,
            };
            let _ = answer.send(result);
        });
        (ok, reply)
    });
    (job, answered)
}

impl Drop for Group {
    fn drop(&mut self) {
        self.queue().closed = true;
        self.shared.ready.notify_one();
    }
}

fn not_written() -> StoreError {
    StoreError::backend(std::io::Error::other(
        "the write transaction could not begin",
    ))
}

/// The group writer: waits for jobs, writes all waiting ones together, until closed.
fn run(shared: &Shared, conn: &Mutex<Connection>) {
    loop {
        let jobs = {
            let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            while queue.jobs.is_empty() && !queue.closed {
                queue = shared
                    .ready
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if queue.jobs.is_empty() {
                return;
            }
            std::mem::take(&mut queue.jobs)
        };
        write(conn, jobs);
    }
}

/// Writes `jobs` in one transaction, the first without a savepoint; if the first fails (or
/// panics), its transaction is rolled back and the others are written in another.
fn write(conn: &Mutex<Connection>, jobs: Vec<Job>) {
    let mut jobs = jobs.into_iter();
    let mut conn = lock(conn);
    while let Some(first) = jobs.next() {
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                // Dropping the jobs answers their callers with an error.
                tracing::error!("cannot begin a write transaction: {e}");
                return;
            }
        };
        let mut replies: Vec<Reply> = Vec::new();
        match catch_unwind(AssertUnwindSafe(|| first(&tx, false))) {
            Ok((true, reply)) => replies.push(reply),
            // Dropping the transaction rolls it back: nothing of the first job stays.
            Ok((false, reply)) => {
                drop(tx);
                reply(None);
                continue;
            }
            Err(_) => {
                drop(tx);
                tracing::error!("a line action panicked; undone");
                continue;
            }
        }
        for job in jobs.by_ref() {
            // A panicking job must not take the writer down with it: undo its savepoint; its
            // caller gets an error (its answer channel is dropped).
            match catch_unwind(AssertUnwindSafe(|| job(&tx, true))) {
                Ok((_, reply)) => replies.push(reply),
                Err(_) => {
                    let undo = tx.execute_batch("ROLLBACK TO request; RELEASE request");
                    tracing::error!("a line action panicked; undone: {:?}", undo.is_ok());
                }
            }
        }
        let committed = tx.commit().map_err(db);
        for reply in replies {
            reply(committed.as_ref().err());
        }
    }
}

/// Runs `f` inside a savepoint: released when it succeeds, rolled back when it fails.
pub(crate) fn in_savepoint<R>(
    tx: &Tx<'_>,
    f: impl FnOnce(&Tx<'_>) -> StoreResult<R>,
) -> StoreResult<R> {
    tx.execute_batch("SAVEPOINT request").map_err(db)?;
    let result = f(tx);
    let end = if result.is_ok() {
        "RELEASE request"
    } else {
        "ROLLBACK TO request; RELEASE request"
    };
    tx.execute_batch(end).map_err(db)?;
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn group() -> (tempfile::TempDir, Arc<Mutex<Connection>>, Group) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("g.sqlite")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER PRIMARY KEY);")
            .unwrap();
        let conn = Arc::new(Mutex::new(conn));
        let group = Group::start(Arc::clone(&conn)).unwrap();
        (dir, conn, group)
    }

    fn insert(n: i64) -> impl FnOnce(&Tx<'_>) -> StoreResult<i64> + Send + 'static {
        move |tx| {
            tx.execute("INSERT INTO t (n) VALUES (?)", [n])
                .map_err(db)?;
            Ok(n)
        }
    }

    fn rows(conn: &Mutex<Connection>) -> Vec<i64> {
        let conn = lock(conn);
        let mut st = conn.prepare("SELECT n FROM t ORDER BY n").unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_requests_are_each_answered_and_a_failing_one_leaves_no_trace() {
        let (_dir, conn, group) = group();
        let group = Arc::new(group);
        let mut tasks = Vec::new();
        for n in 1..=200_i64 {
            let group = Arc::clone(&group);
            // Every 50th writes, then fails: what it wrote is undone, the others stay.
            tasks.push(tokio::spawn(async move {
                group.submit(maybe(n, n % 50 == 0)).await
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        let failed = answers.iter().filter(|a| a.is_err()).count();
        assert_eq!(failed, 4, "exactly the four failing requests fail");
        let expected: Vec<i64> = (1..=200).filter(|n| n % 50 != 0).collect();
        assert_eq!(
            rows(&conn),
            expected,
            "every other request committed, nothing of the failing ones"
        );
        for (i, a) in answers.iter().enumerate() {
            if let Ok(n) = a {
                assert_eq!(*n, i as i64 + 1, "each caller gets its own answer");
            }
        }
    }

    /// Ends with the writes of `n`, or fails after writing `n + 1000`.
    fn maybe(n: i64, fails: bool) -> impl FnOnce(&Tx<'_>) -> StoreResult<i64> + Send + 'static {
        move |tx| match fails {
            false => insert(n)(tx),
            true => {
                insert(n + 1000)(tx)?;
                Err(StoreError::NotFound {
                    what: provisio_store::Entity::Line,
                })
            }
        }
    }

    /// Writes one group of requests `(n, fails)` ([`maybe`]) as the writer takes it from its
    /// queue; what each caller is answered (`None`: an error).
    async fn write_group(conn: &Mutex<Connection>, requests: &[(i64, bool)]) -> Vec<Option<i64>> {
        let (jobs, answers): (Vec<Job>, Vec<_>) = requests
            .iter()
            .map(|&(n, fails)| job(maybe(n, fails)))
            .unzip();
        write(conn, jobs);
        let mut got = Vec::new();
        for a in answers {
            got.push(a.await.unwrap().ok());
        }
        got
    }

    #[tokio::test]
    async fn a_group_whose_first_request_fails_writes_the_others() {
        let (_dir, conn, _group) = group();
        // The first request (which runs without a savepoint) fails, then one succeeds, one
        // fails, one succeeds.
        let got = write_group(&conn, &[(1, true), (2, false), (3, true), (4, false)]).await;
        assert_eq!(got, vec![None, Some(2), None, Some(4)]);
        assert_eq!(rows(&conn), vec![2, 4], "nothing of the failing requests");
    }

    #[tokio::test]
    async fn a_group_whose_first_request_succeeds_keeps_it_when_a_later_one_fails() {
        let (_dir, conn, _group) = group();
        let got = write_group(&conn, &[(1, false), (2, true), (3, false)]).await;
        assert_eq!(got, vec![Some(1), None, Some(3)]);
        assert_eq!(rows(&conn), vec![1, 3]);
    }

    #[test]
    fn a_savepoints_journal_stays_in_memory_up_to_4_mib() {
        // .cargo/config.toml builds the bundled SQLite so; with its default of 64 KiB a
        // request changing more than 16 pages had a temporary file created for its journal.
        let conn = Connection::open_in_memory().unwrap();
        let mut st = conn.prepare("PRAGMA compile_options").unwrap();
        let options: Vec<String> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            options.iter().any(|o| o == "STMTJRNL_SPILL=4194304"),
            "{options:?}"
        );
    }

    #[tokio::test]
    async fn a_panicking_request_is_undone_and_the_writer_goes_on() {
        let (_dir, conn, group) = group();
        let panicked = group
            .submit(|tx| -> StoreResult<i64> {
                insert(7)(tx)?;
                panic!("a bug in a decision");
            })
            .await;
        assert!(panicked.is_err());
        assert_eq!(group.submit(insert(8)).await.unwrap(), 8);
        assert_eq!(rows(&conn), vec![8]);
    }
}
