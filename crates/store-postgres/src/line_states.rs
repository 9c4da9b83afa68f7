//! Lines' states written over the versions they were read at: compare-and-set, many lines in
//! one statement (with the changes' events, when nothing else is written between). A writer
//! that changed a line meanwhile makes the write `Retryable`; one still writing makes it wait
//! for its commit, then find the version gone.

use std::collections::HashSet;

use provisio_domain::LineState;
use provisio_store::{StoreError, StoreResult};
use sqlx::{PgConnection, Row};

use crate::events::{EventColumns, EventRow, insert_event_rows, insert_events_sql};
use crate::line_writes::LineIds;
use crate::{Ts, db, opt_ts};

/// One line's write: its new state with the instants the domain derives from it (when the
/// planner and the sweep must look at it), or, with `None`, only its next version (a change
/// that keeps the state but changes the line: a new contact, organization, links, cancelled
/// mail).
pub(crate) struct StateWrite<'a> {
    pub ids: &'a LineIds,
    pub state: Option<&'a LineState>,
}

/// The lines' write: each line of `u` (the writes as arrays) over its version.
macro_rules! update_lines {
    () => {
        "UPDATE lines l SET
             stage = CASE WHEN u.keep THEN l.stage ELSE u.stage END,
             status = CASE WHEN u.keep THEN l.status ELSE u.status END,
             closed_reason = CASE WHEN u.keep THEN l.closed_reason ELSE u.closed_reason END,
             closed_at = CASE WHEN u.keep THEN l.closed_at ELSE u.closed_at END,
             first_sent_at = CASE WHEN u.keep THEN l.first_sent_at ELSE u.first_sent_at END,
             closes_at = CASE WHEN u.keep THEN l.closes_at ELSE u.closes_at END,
             initial_queued = CASE WHEN u.keep THEN l.initial_queued ELSE u.initial_queued END,
             first_send_due_at = CASE WHEN u.keep THEN l.first_send_due_at ELSE u.first_due END,
             close_due_at = CASE WHEN u.keep THEN l.close_due_at ELSE u.close_due END,
             version = l.version + 1
         FROM unnest($1::text[], $2::bigint[], $3::boolean[], $4::text[], $5::text[],
                     $6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[],
                     $10::boolean[], $11::timestamptz[], $12::timestamptz[])
             AS u (id, version, keep, stage, status, closed_reason, closed_at, first_sent_at,
                   closes_at, initial_queued, first_due, close_due)
         WHERE l.id = u.id AND l.version = u.version
         RETURNING l.id"
    };
}

/// Writes lines (each at most once) over the versions they were read at, and appends
/// `events` to the log, in one statement.
pub(crate) async fn write_states(
    tx: &mut PgConnection,
    writes: &[StateWrite<'_>],
    events: &[EventRow<'_>],
) -> StoreResult<()> {
    if writes.is_empty() {
        return insert_event_rows(tx, events).await;
    }
    let mut c = Columns::default();
    for w in writes {
        c.ids.push(w.ids.line_id.as_str());
        c.versions.push(w.ids.version);
        c.keep.push(w.state.is_none());
        let st = w.state;
        c.stage.push(st.map(|s| s.stage.as_str()));
        c.status.push(st.map(|s| s.status.as_str()));
        c.closed_reason
            .push(st.and_then(|s| s.closed_reason.map(|r| r.as_str())));
        c.closed_at.push(st.and_then(|s| opt_ts(s.closed_at)));
        c.first_sent_at
            .push(st.and_then(|s| opt_ts(s.first_sent_at)));
        c.closes_at.push(st.and_then(|s| opt_ts(s.closes_at)));
        c.initial_queued.push(st.is_some_and(|s| s.initial_queued));
        c.first_due
            .push(st.and_then(|s| opt_ts(s.first_send_due_at())));
        c.close_due
            .push(st.and_then(|s| opt_ts(s.closure_due_at())));
    }
    // `keep`: the line's state stays; only its version moves on.
    const LINES: &str = update_lines!();
    // The log's rows in the same statement: one round trip less. A lost compare-and-set
    // rolls the transaction back whole, events and all.
    const LINES_AND_EVENTS: &str = concat!(
        "WITH written AS (",
        update_lines!(),
        "), logged AS (",
        insert_events_sql!("$13", "$14", "$15", "$16", "$17", "$18", "$19"),
        ") SELECT id FROM written"
    );
    let (sql, logged) = match events {
        [] => (LINES, None),
        events => (LINES_AND_EVENTS, Some(EventColumns::of(events))),
    };
    let query = sqlx::query(sql)
        .bind(&c.ids)
        .bind(&c.versions)
        .bind(&c.keep)
        .bind(&c.stage)
        .bind(&c.status)
        .bind(&c.closed_reason)
        .bind(&c.closed_at)
        .bind(&c.first_sent_at)
        .bind(&c.closes_at)
        .bind(&c.initial_queued)
        .bind(&c.first_due)
        .bind(&c.close_due);
    let query = match logged {
        Some(logged) => logged.bind(query),
        None => query,
    };
    let written = query
        .fetch_all(tx)
        .await
        .map_err(db)?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    if written.len() == writes.len() {
        return Ok(());
    }
    let written: HashSet<&str> = written.iter().map(String::as_str).collect();
    let lost = c
        .ids
        .iter()
        .find(|id| !written.contains(*id))
        .unwrap_or(&"?");
    Err(StoreError::Retryable(format!(
        "line {lost} changed since it was read"
    )))
}

/// The writes as the columns of [`write_states`]' statement.
#[derive(Default)]
struct Columns<'a> {
    ids: Vec<&'a str>,
    versions: Vec<i64>,
    keep: Vec<bool>,
    stage: Vec<Option<&'static str>>,
    status: Vec<Option<&'static str>>,
    closed_reason: Vec<Option<&'static str>>,
    closed_at: Vec<Option<Ts>>,
    first_sent_at: Vec<Option<Ts>>,
    closes_at: Vec<Option<Ts>>,
    initial_queued: Vec<bool>,
    first_due: Vec<Option<Ts>>,
    close_due: Vec<Option<Ts>>,
}
