//! A policy's preview: how many running lines of the offer a new window moves, and the first
//! of them with their orders. The running lines are read in parts by stored deadline, each part
//! a statement of its own on its own connection, read on its own thread, all in one snapshot
//! (the first transaction's, exported; a move running meanwhile is seen by none of them): decoding a million
//! rows through sqlx is the cost (PostgreSQL itself scans them in ~0.5 s here), and one task
//! does it on one core.

use std::future::Future;

use futures::TryStreamExt;
use jiff::Timestamp;
use provisio_store::{FirstSeqs, FollowRule, PolicyMoves, RunningLine, deadline_parts};
use sqlx::postgres::PgRow;

use super::*;
use crate::lines::{state_columns, state_from, state_values, text};

/// Reads run side by side at most (a connection each, from the pool).
const MOST_PARTS: usize = 4;

pub(crate) async fn policy_moves(
    pool: &PgPool,
    offer: &OfferSku,
    (window_days, follow): (u32, FollowRule<'_>),
    listed: usize,
) -> StoreResult<PolicyMoves> {
    // One snapshot for every read: this transaction's, which the parts import.
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let span: (Option<Ts>, Option<Ts>) = sqlx::query_as(
        "SELECT (SELECT min(close_due_at) FROM lines WHERE close_due_at IS NOT NULL),
                (SELECT max(close_due_at) FROM lines WHERE close_due_at IS NOT NULL)",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let (Some(first), Some(last)) = span else {
        return Ok(PolicyMoves::default());
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = deadline_parts(first.0, last.0, cores.clamp(1, MOST_PARTS))
        .into_iter()
        .map(|range| {
            let part = Part {
                snapshot: &snapshot,
                range,
            };
            moved_in(pool, offer, (window_days, follow), listed, part)
        })
        .collect();
    let first = side_by_side(parts)
        .await?
        .into_iter()
        .reduce(FirstSeqs::merge)
        .unwrap_or_else(|| FirstSeqs::new(listed));
    let (moved, seqs) = first.into_parts();
    const LISTED: &str = concat!(
        "SELECT l.sub_ref, o.web_order_id, ",
        state_columns!(),
        " FROM lines l JOIN orders o ON o.id = l.order_id
          WHERE l.seq = ANY($1) ORDER BY l.seq"
    );
    let rows = sqlx::query(LISTED)
        .bind(&seqs)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    let first = rows.iter().map(running_line).collect::<StoreResult<_>>()?;
    Ok(PolicyMoves { moved, first })
}

/// One part of the scan: the lines with a stored deadline in `range`, as of `snapshot`.
struct Part<'a> {
    snapshot: &'a str,
    range: (Timestamp, Timestamp),
}

/// The offer's running lines of a part, streamed in the preview's snapshot: counted where
/// `follow` moves them, the first `listed` seqs kept.
async fn moved_in(
    pool: &PgPool,
    offer: &OfferSku,
    (window_days, follow): (u32, FollowRule<'_>),
    listed: usize,
    part: Part<'_>,
) -> StoreResult<FirstSeqs> {
    // PostgreSQL's snapshot ids are hex digits and dashes; SET takes no parameters.
    if !part
        .snapshot
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == '-')
    {
        return Err(StoreError::corrupt(format!(
            "snapshot id {:?}",
            part.snapshot
        )));
    }
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    // Safe to write in: checked above to be hex digits and dashes only.
    let set = format!("SET TRANSACTION SNAPSHOT '{}'", part.snapshot);
    sqlx::raw_sql(sqlx::AssertSqlSafe(set))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let (from, until) = part.range;
    const RUNNING: &str = concat!(
        "SELECT l.seq, ",
        state_values!(),
        " FROM lines l WHERE l.offer = $1 AND l.close_due_at >= $2 AND l.close_due_at < $3"
    );
    let mut first = FirstSeqs::new(listed);
    let mut rows = sqlx::query(RUNNING)
        .bind(offer.as_str())
        .bind(Ts(from))
        .bind(Ts(until))
        .fetch(&mut *tx);
    while let Some(row) = rows.try_next().await.map_err(db)? {
        if follow(&state_from(&row)?, window_days).is_some() {
            first.add(col::<i64>(&row, "seq")?);
        }
    }
    drop(rows);
    tx.commit().await.map_err(db)?;
    Ok(first)
}

/// Runs the reads each on a thread of its own, driven by this runtime (its I/O stays the
/// runtime's), while this worker's other tasks move to another worker. On a runtime of one
/// thread (some tests) they run one after the other here.
async fn side_by_side<R, F>(parts: Vec<F>) -> StoreResult<Vec<R>>
where
    R: Send,
    F: Future<Output = StoreResult<R>> + Send,
{
    let runtime = tokio::runtime::Handle::current();
    if parts.len() < 2 || runtime.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        let mut done = Vec::with_capacity(parts.len());
        for part in parts {
            done.push(part.await?);
        }
        return Ok(done);
    }
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let runs: Vec<_> = parts
                .into_iter()
                .map(|part| {
                    let runtime = runtime.clone();
                    scope.spawn(move || runtime.block_on(part))
                })
                .collect();
            runs.into_iter()
                .map(|run| {
                    run.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    })
}

fn running_line(r: &PgRow) -> StoreResult<RunningLine> {
    Ok(RunningLine {
        sub_ref: stored("sub ref", SubRef::parse(&text(r, "sub_ref")?))?,
        web_order_id: stored("web order id", WebOrderId::parse(&text(r, "web_order_id")?))?,
        state: state_from(r)?,
    })
}
