//! Settings kept in the database: offer policies (with the deadlines they move) and the test
//! clock's offset (SPEC §9), shared by the CLI, a restarted server and other instances.

use jiff::Timestamp;
use provisio_domain::{OfferPolicies, OfferSku, SubRef, WebOrderId};
use provisio_store::{
    FirstSeqs, FollowRule, PolicyChange, PolicyMoves, RunningLine, StoreError, StoreResult,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::changes::{EventScope, ids_of, insert_events, write_state};
use crate::lines::{state_columns, state_from, state_values};
use crate::writer::Tx;
use crate::{Named, db, parse_ts, rows, stored, ts};

/// One stored offer policy: columns `offer` and `window_days`.
fn policy_entry(row: &Named<'_, '_>) -> StoreResult<(OfferSku, u32)> {
    Ok((
        stored("offer", OfferSku::parse(&row.text("offer")?))?,
        stored("window", u32::try_from(row.int("window_days")?))?,
    ))
}

pub(crate) fn offer_policies(conn: &Connection) -> StoreResult<Vec<(OfferSku, u32)>> {
    let sql = "SELECT offer, window_days FROM offer_policies ORDER BY offer";
    rows(conn, sql, [], policy_entry)
}

/// The policies as the rules use them.
pub(crate) fn policies(conn: &Connection) -> StoreResult<OfferPolicies> {
    Ok(OfferPolicies::from_entries(offer_policies(conn)?))
}

/// Sets the window; the deadlines of the offer's lines follow in batches ([`move_deadlines`]).
pub(crate) fn set_offer_policy(tx: &Tx, change: &PolicyChange) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO offer_policies (offer, window_days, updated_at, moving_after)
         VALUES (?, ?, ?, 0)
         ON CONFLICT (offer) DO UPDATE SET window_days = excluded.window_days,
             updated_at = excluded.updated_at, moving_after = 0",
    )
    .and_then(|mut q| {
        q.execute(params![
            change.offer.as_str(),
            i64::from(change.window_days),
            ts(change.now)
        ])
    })
    .map_err(db)?;
    insert_events(
        tx,
        EventScope::default(),
        &[change.event()],
        Some(change.actor),
        change.now,
    )
}

/// The next batch of a changed policy's lines: its offer's open lines after the last one
/// looked at, as `follow` decides each. The last batch (fewer than `limit`) ends the move.
pub(crate) fn move_deadlines(
    tx: &Tx,
    limit: u32,
    follow: FollowRule<'_>,
) -> StoreResult<Option<usize>> {
    let moving = tx
        .prepare_cached(
            "SELECT offer, window_days, moving_after FROM offer_policies
             WHERE moving_after IS NOT NULL ORDER BY offer LIMIT 1",
        )
        .and_then(|mut q| {
            q.query_row([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()
        })
        .map_err(db)?;
    let Some((offer, days, after)) = moving else {
        return Ok(None);
    };
    let days = stored("window", u32::try_from(days))?;
    const SQL: &str = concat!(
        "SELECT ",
        state_columns!(),
        " FROM lines l WHERE l.offer = ? AND l.status = 'open' AND l.seq > ?
          ORDER BY l.seq LIMIT ?"
    );
    let batch = rows(tx, SQL, params![offer, after, i64::from(limit)], |r| {
        Ok((ids_of(r)?, state_from(r)?))
    })?;
    let mut moved = 0;
    for (ids, state) in &batch {
        if let Some(next) = follow(state, days) {
            write_state(tx, ids, &next)?;
            moved += 1;
        }
    }
    let last = batch.last().map(|(ids, _)| ids.seq);
    let next = last.filter(|_| batch.len() == limit as usize);
    tx.prepare_cached("UPDATE offer_policies SET moving_after = ? WHERE offer = ?")
        .and_then(|mut q| q.execute(params![next, offer]))
        .map_err(db)?;
    Ok(Some(moved))
}

/// The offers whose lines are still being moved.
pub(crate) fn moving_policies(conn: &Connection) -> StoreResult<Vec<OfferSku>> {
    let sql = "SELECT offer FROM offer_policies WHERE moving_after IS NOT NULL ORDER BY offer";
    rows(conn, sql, [], |r| {
        stored("offer", OfferSku::parse(&r.text("offer")?))
    })
}

/// The earliest and the latest stored deadline of running lines (two seeks of their index),
/// to split a scan of them into parts by deadline.
pub(crate) fn deadline_span(conn: &Connection) -> StoreResult<Option<(Timestamp, Timestamp)>> {
    let sql = "SELECT (SELECT min(close_due_at) FROM lines WHERE close_due_at IS NOT NULL),
                      (SELECT max(close_due_at) FROM lines WHERE close_due_at IS NOT NULL)";
    let span: (Option<String>, Option<String>) = conn
        .prepare_cached(sql)
        .and_then(|mut q| q.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(db)?;
    match span {
        (Some(first), Some(last)) => Ok(Some((parse_ts(&first)?, parse_ts(&last)?))),
        _ => Ok(None),
    }
}

/// Part of a policy's preview: the offer's lines whose window runs and whose stored deadline
/// is in `from..until`, read by the index of running lines (state only, no order, nothing kept
/// but the moved lines' first `listed` seqs).
pub(crate) fn policy_moves_in(
    conn: &Connection,
    offer: &OfferSku,
    (days, follow): (u32, FollowRule<'_>),
    listed: usize,
    (from, until): (Timestamp, Timestamp),
) -> StoreResult<FirstSeqs> {
    const RUNNING: &str = concat!(
        "SELECT l.seq, ",
        state_values!(),
        " FROM lines l WHERE l.offer = ?1 AND l.close_due_at >= ?2 AND l.close_due_at < ?3"
    );
    let mut first = FirstSeqs::new(listed);
    rows(
        conn,
        RUNNING,
        params![offer.as_str(), ts(from), ts(until)],
        |r| {
            if follow(&state_from(r)?, days).is_some() {
                first.add(r.int("seq")?);
            }
            Ok(())
        },
    )?;
    Ok(first)
}

/// A policy's preview from its parts: how many lines move, and the first of them with their
/// orders.
pub(crate) fn policy_moves(conn: &Connection, first: FirstSeqs) -> StoreResult<PolicyMoves> {
    let (moved, seqs) = first.into_parts();
    const LISTED: &str = concat!(
        "SELECT l.sub_ref, o.web_order_id, ",
        state_columns!(),
        " FROM lines l JOIN orders o ON o.id = l.order_id
          WHERE l.seq IN (SELECT value FROM json_each(?)) ORDER BY l.seq"
    );
    let seqs = serde_json::to_string(&seqs).map_err(StoreError::backend)?;
    let first = rows(conn, LISTED, [seqs], |r| {
        Ok(RunningLine {
            sub_ref: stored("sub ref", SubRef::parse(&r.text("sub_ref")?))?,
            web_order_id: stored("web order id", WebOrderId::parse(&r.text("web_order_id")?))?,
            state: state_from(r)?,
        })
    })?;
    Ok(PolicyMoves { moved, first })
}

pub(crate) fn clock_offset(conn: &Connection) -> StoreResult<i64> {
    let value: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE name = 'clock_offset_micros'")
        .and_then(|mut q| q.query_row([], |r| r.get(0)).optional())
        .map_err(db)?;
    value.map_or(Ok(0), |v| stored("clock offset", v.parse::<i64>()))
}

pub(crate) fn advance_clock_offset(tx: &Tx, micros: i64) -> StoreResult<i64> {
    let value: String = tx
        .prepare_cached(
            "INSERT INTO settings (name, value) VALUES ('clock_offset_micros', ?1)
             ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + ?1 AS TEXT)
             RETURNING value",
        )
        .and_then(|mut q| q.query_row([micros], |r| r.get(0)))
        .map_err(db)?;
    stored("clock offset", value.parse::<i64>())
}
