//! A policy's preview: how many running lines of the offer a new window moves, and the first
//! of them with their orders. The running lines are read in parts by stored deadline, each part
//! a statement of its own on its own connection, read on its own thread: decoding a million
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
    let span: (Option<Ts>, Option<Ts>) = sqlx::query_as(
        "SELECT (SELECT min(close_due_at) FROM lines WHERE close_due_at IS NOT NULL),
                (SELECT max(close_due_at) FROM lines WHERE close_due_at IS NOT NULL)",
    )
    .fetch_one(pool)
    .await
    .map_err(db)?;
    let (Some(first), Some(last)) = span else {
        return Ok(PolicyMoves::default());
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = deadline_parts(first.0, last.0, cores.clamp(1, MOST_PARTS))
        .into_iter()
        .map(|range| moved_in(pool, offer, (window_days, follow), listed, range))
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
        .fetch_all(pool)
        .await
        .map_err(db)?;
    let first = rows.iter().map(running_line).collect::<StoreResult<_>>()?;
    Ok(PolicyMoves { moved, first })
}

/// The offer's running lines with a stored deadline in `from..until`, streamed: counted where
/// `follow` moves them, the first `listed` seqs kept.
async fn moved_in(
    pool: &PgPool,
    offer: &OfferSku,
    (window_days, follow): (u32, FollowRule<'_>),
    listed: usize,
    (from, until): (Timestamp, Timestamp),
) -> StoreResult<FirstSeqs> {
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
        .fetch(pool);
    while let Some(row) = rows.try_next().await.map_err(db)? {
        if follow(&state_from(&row)?, window_days).is_some() {
            first.add(col::<i64>(&row, "seq")?);
        }
    }
    Ok(first)
}

/// Runs the reads each on a thread of its own, driven by this runtime (its I/O stays the
/// runtime's), while this worker's other tasks move to another worker. On a runtime of one
/// thread (tests) they run one after the other here.
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
