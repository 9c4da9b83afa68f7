//! The audit log (R11): the domain's typed events, serialized, appended; never built here.

use jiff::Timestamp;
use provisio_domain::{Event, UserId};
use provisio_store::StoreResult;
use sqlx::PgConnection;

use crate::{Ts, db};

/// What an event is about: an order and line, a case, or neither (a policy change).
#[derive(Default, Clone, Copy)]
pub(crate) struct EventScope<'a> {
    pub order_id: Option<&'a str>,
    pub line_id: Option<&'a str>,
    pub case_id: Option<&'a str>,
}

/// One row of the log: an event, what it is about, who did it and when.
pub(crate) struct EventRow<'a> {
    pub scope: EventScope<'a>,
    pub event: &'a Event,
    pub actor: Option<UserId>,
    pub at: Timestamp,
}

/// Appends `events` in one statement.
pub(crate) async fn insert_events(
    tx: &mut PgConnection,
    scope: EventScope<'_>,
    events: &[Event],
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    let rows: Vec<EventRow> = events
        .iter()
        .map(|event| EventRow {
            scope,
            event,
            actor,
            at: now,
        })
        .collect();
    insert_event_rows(tx, &rows).await
}

/// The statement that appends events from the seven arrays of [`EventColumns`], whose
/// parameters are numbered as given (a statement of its own, or a part of a larger one).
macro_rules! insert_events_sql {
    ($o:literal, $l:literal, $c:literal, $t:literal, $at:literal, $a:literal, $d:literal) => {
        concat!(
            "INSERT INTO events (order_id, line_id, case_id, type, at, actor_id, data)
             SELECT k.order_id, k.line_id, k.case_id, k.type, k.at, k.actor_id, k.data
             FROM unnest(",
            $o,
            "::text[], ",
            $l,
            "::text[], ",
            $c,
            "::text[], ",
            $t,
            "::text[], ",
            $at,
            "::timestamptz[], ",
            $a,
            "::text[], ",
            $d,
            "::text[])
                 WITH ORDINALITY AS k (order_id, line_id, case_id, type, at, actor_id, data, n)
             ORDER BY k.n"
        )
    };
}
pub(crate) use insert_events_sql;

/// Rows of the log as the arrays [`insert_events_sql!`] reads, in the order given (the log's
/// `seq` follows it).
pub(crate) struct EventColumns<'a> {
    orders: Vec<Option<&'a str>>,
    lines: Vec<Option<&'a str>>,
    cases: Vec<Option<&'a str>>,
    kinds: Vec<&'static str>,
    at: Vec<Ts>,
    actors: Vec<Option<String>>,
    data: Vec<String>,
}

impl<'a> EventColumns<'a> {
    pub(crate) fn of(rows: &[EventRow<'a>]) -> Self {
        let mut c = Self {
            orders: Vec::with_capacity(rows.len()),
            lines: Vec::with_capacity(rows.len()),
            cases: Vec::with_capacity(rows.len()),
            kinds: Vec::with_capacity(rows.len()),
            at: Vec::with_capacity(rows.len()),
            actors: Vec::with_capacity(rows.len()),
            data: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            c.orders.push(row.scope.order_id);
            c.lines.push(row.scope.line_id);
            c.cases.push(row.scope.case_id);
            c.kinds.push(row.event.kind().as_str());
            c.at.push(Ts(row.at));
            c.actors.push(row.actor.map(|a| a.to_string()));
            c.data.push(row.event.stored_data());
        }
        c
    }

    /// Binds the seven arrays, in the order of [`insert_events_sql!`]'s parameters.
    pub(crate) fn bind<'q>(self, query: PgQuery<'q>) -> PgQuery<'q>
    where
        'a: 'q,
    {
        query
            .bind(self.orders)
            .bind(self.lines)
            .bind(self.cases)
            .bind(self.kinds)
            .bind(self.at)
            .bind(self.actors)
            .bind(self.data)
    }
}

/// A statement with its parameters bound so far.
pub(crate) type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Appends the rows of several changes in one statement, in the order given (the log's
/// `seq` follows it).
pub(crate) async fn insert_event_rows(
    tx: &mut PgConnection,
    rows: &[EventRow<'_>],
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    const SQL: &str = insert_events_sql!("$1", "$2", "$3", "$4", "$5", "$6", "$7");
    EventColumns::of(rows)
        .bind(sqlx::query(SQL))
        .execute(tx)
        .await
        .map_err(db)?;
    Ok(())
}
