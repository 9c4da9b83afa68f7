//! Settings kept in the database: offer policies (with the deadlines they move) and the test
//! clock's offset (SPEC §9), shared by the CLI, a restarted server and other instances.

use provisio_domain::policy::window_of;
use provisio_domain::{LineState, OfferPolicies, OfferSku, SubRef, WebOrderId};
use provisio_store::{PolicyChange, RunningLine, StoreResult};
use rusqlite::{Connection, OptionalExtension, params};

use crate::changes::{EventScope, ids_of, insert_events, write_state};
use crate::lines::{state_columns, state_from};
use crate::writer::Tx;
use crate::{Named, db, rows, stored, ts};

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

/// Sets the window and moves the deadline of every line of that offer whose window runs, as
/// the domain decides for each ([`provisio_domain::LineState::deadline_under`]).
pub(crate) fn set_offer_policy(tx: &Tx, change: &PolicyChange) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO offer_policies (offer, window_days, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (offer) DO UPDATE SET window_days = excluded.window_days,
             updated_at = excluded.updated_at",
    )
    .and_then(|mut q| {
        q.execute(params![
            change.offer.as_str(),
            i64::from(change.window_days),
            ts(change.now)
        ])
    })
    .map_err(db)?;
    // The lines whose window runs (the domain's closure instant is stored for exactly those).
    const SQL: &str = concat!(
        "SELECT ",
        state_columns!(),
        " FROM lines l WHERE l.offer = ? AND l.close_due_at IS NOT NULL"
    );
    let running = rows(tx, SQL, [change.offer.as_str()], |r| {
        Ok((ids_of(r)?, state_from(r)?))
    })?;
    let window = window_of(change.window_days);
    for (ids, state) in &running {
        let moved = LineState {
            closes_at: state.deadline_under(window),
            ..state.clone()
        };
        if moved != *state {
            write_state(tx, ids, &moved)?;
        }
    }
    insert_events(
        tx,
        EventScope::default(),
        &[change.event()],
        Some(change.actor),
        change.now,
    )
}

/// The lines [`set_offer_policy`] looks at, with their order's web order id.
pub(crate) fn running_lines(conn: &Connection, offer: &OfferSku) -> StoreResult<Vec<RunningLine>> {
    const SQL: &str = concat!(
        "SELECT l.sub_ref, o.web_order_id, ",
        state_columns!(),
        " FROM lines l JOIN orders o ON o.id = l.order_id
          WHERE l.offer = ? AND l.close_due_at IS NOT NULL ORDER BY o.seq, l.line_number"
    );
    rows(conn, SQL, [offer.as_str()], |r| {
        Ok(RunningLine {
            sub_ref: stored("sub ref", SubRef::parse(&r.text("sub_ref")?))?,
            web_order_id: stored("web order id", WebOrderId::parse(&r.text("web_order_id")?))?,
            state: state_from(r)?,
        })
    })
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
