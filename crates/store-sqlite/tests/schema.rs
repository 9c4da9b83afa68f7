//! The schema's constraints cost the writes little. Migration 0015: no CHECK or partial index
//! tests a list of three or more values (SQLite builds a temporary b-tree of each), the rules
//! still refuse what they refused. Migration 0016: writing an event looks nothing up (the
//! audit log has no foreign keys, as on PostgreSQL). And a connection open while such a
//! migration ran reads the new definitions.
// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

mod common;
use common::{fresh, old_schema, seed_one_email};

/// The hot writes, as the store runs them: a line's state, an email's state, a new link.
const WRITES: [&str; 3] = [
    "UPDATE lines SET stage = ?, status = ?, closed_reason = ?, closed_at = ?,
         first_sent_at = ?, closes_at = ?, initial_queued = ?, first_send_due_at = ?,
         close_due_at = ?, version = version + 1
     WHERE seq = ? AND version = ?",
    "UPDATE emails SET state = 'sending', next_attempt_at = NULL, lease_owner = ?,
         lease_until = ? WHERE id = ?",
    "INSERT INTO setup_links (token_hash, email_id, line_id, state, created_at)
     VALUES (?, ?, ?, 'live', ?)",
];

/// An event as the store writes it (`changes.rs`, `insert_events`).
const EVENT: &str = "INSERT INTO events (order_id, line_id, case_id, type, at, actor_id, data)
     VALUES (?, ?, ?, ?, ?, ?, ?)";

/// What SQLite compiles `sql` into: each instruction's opcode and first operand.
fn explain(conn: &rusqlite::Connection, sql: &str) -> Vec<(String, i64)> {
    let mut explained = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
    let unbound = vec![rusqlite::types::Null; explained.parameter_count()];
    explained
        .query_map(rusqlite::params_from_iter(unbound), |r| {
            Ok((r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The opcodes SQLite compiles `sql` into.
fn opcodes(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    explain(conn, sql).into_iter().map(|(op, _)| op).collect()
}

fn builds_no_temporary_btree(conn: &rusqlite::Connection) {
    for sql in WRITES {
        let ops = opcodes(conn, sql);
        assert!(
            !ops.iter().any(|op| op == "OpenEphemeral"),
            "{sql}\nbuilds a temporary b-tree: {ops:?}"
        );
    }
}

/// Whether `sql` checks a foreign key: a lookup in the parent table that halts with
/// SQLITE_CONSTRAINT_FOREIGNKEY (787) when it finds nothing.
fn checks_foreign_keys(conn: &rusqlite::Connection, sql: &str) -> bool {
    const FOREIGN_KEY: i64 = 787;
    explain(conn, sql)
        .iter()
        .any(|(op, p1)| op == "Halt" && *p1 == FOREIGN_KEY)
}

/// A fresh, migrated store and a connection of the test's own to its file.
async fn fresh_file() -> (
    tempfile::TempDir,
    provisio_store_sqlite::SqliteStore,
    rusqlite::Connection,
) {
    let (dir, store) = fresh().await;
    let conn = rusqlite::Connection::open(dir.path().join("provisio.sqlite")).unwrap();
    (dir, store, conn)
}

fn assert_intact(conn: &rusqlite::Connection) {
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// Lists of three or more values after ` IN (` in `sql`.
fn long_lists(sql: &str) -> Vec<String> {
    let mut found = vec![];
    let mut rest = sql;
    while let Some(at) = rest.find(" IN") {
        let after = rest[at + 3..].trim_start();
        if let Some(list) = after.strip_prefix('(')
            && let Some(end) = list.find(')')
            && list[..end].matches(',').count() >= 2
        {
            found.push(list[..end].to_owned());
        }
        rest = &rest[at + 3..];
    }
    found
}

#[test]
fn a_list_of_three_is_found() {
    assert_eq!(
        long_lists("CHECK (a IN\n ('x', 'y', 'z')) CHECK (b IN ('x', 'y'))"),
        ["'x', 'y', 'z'"]
    );
}

#[tokio::test]
async fn no_constraint_tests_a_long_list_and_the_rules_still_refuse() {
    let (_dir, _store, conn) = fresh_file().await;
    let schema: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (name, sql) in &schema {
        assert_eq!(long_lists(sql), Vec::<String>::new(), "{name}");
    }
    builds_no_temporary_btree(&conn);
    seed_one_email(&conn);
    for refused in [
        "UPDATE lines SET stage = 'lost'",
        "UPDATE lines SET status = 'closed', closed_reason = 'bored',
             closed_at = '2026-01-02T00:00:00.000000Z'",
        "UPDATE emails SET state = 'lost'",
        "UPDATE companies SET kind = 'reseller'",
        "UPDATE users SET role = 'root'",
        "INSERT INTO setup_links (token_hash, email_id, line_id, state, created_at)
         VALUES ('h', 'e1', 'l', 'borrowed', '2026-01-01T00:00:00.000000Z')",
    ] {
        let err = conn.execute(refused, []).unwrap_err().to_string();
        assert!(err.contains("CHECK constraint failed"), "{refused}: {err}");
    }
    for allowed in [
        "UPDATE lines SET stage = 'onboarded'",
        "UPDATE lines SET status = 'closed', closed_reason = 'provisioning_window_lapsed',
             closed_at = '2026-01-02T00:00:00.000000Z'",
        "UPDATE emails SET state = 'cancelled', next_attempt_at = NULL",
        "INSERT INTO setup_links (token_hash, email_id, line_id, state, created_at)
         VALUES ('h', 'e1', 'l', 'revoked', '2026-01-01T00:00:00.000000Z')",
    ] {
        conn.execute(allowed, []).unwrap();
    }
    assert_intact(&conn);
}

/// A server's connections are open when it migrates: they must see the new definitions.
#[test]
fn a_connection_open_during_the_upgrade_reads_the_new_constraints() {
    let (_dir, file, open) = old_schema("0015");
    seed_one_email(&open);
    assert!(
        opcodes(&open, WRITES[0])
            .iter()
            .any(|op| op == "OpenEphemeral"),
        "before the upgrade, the list costs a temporary b-tree"
    );
    let migrator = rusqlite::Connection::open(&file).unwrap();
    migrator
        .execute_batch(include_str!("../migrations/0015_checks_without_lists.sql"))
        .unwrap();
    // The next statement the open connection runs finds the schema's version moved on and
    // reads the definitions again (EXPLAIN alone compiles from what it has).
    let lines: i64 = open
        .query_row("SELECT count(*) FROM lines", [], |r| r.get(0))
        .unwrap();
    assert_eq!(lines, 1);
    builds_no_temporary_btree(&open);
    let err = open
        .execute("UPDATE lines SET stage = 'lost'", [])
        .unwrap_err();
    assert!(err.to_string().contains("CHECK constraint failed"), "{err}");
}

#[tokio::test]
async fn writing_an_event_looks_nothing_up_and_the_other_keys_still_hold() {
    let (_dir, _store, conn) = fresh_file().await;
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    assert!(
        !checks_foreign_keys(&conn, EVENT),
        "{:?}",
        opcodes(&conn, EVENT)
    );
    let keys: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_foreign_key_list('events')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys, 0);
    // The outbox keeps its keys: an email still names a line that exists.
    assert!(checks_foreign_keys(&conn, WRITES[2]));
    seed_one_email(&conn);
    let err = conn
        .execute(
            "INSERT INTO setup_links (token_hash, email_id, line_id, state, created_at)
             VALUES ('h', 'e1', 'no such line', 'live', '2026-01-01T00:00:00.000000Z')",
            [],
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("FOREIGN KEY constraint failed"),
        "{err}"
    );
    conn.execute(
        "INSERT INTO events (order_id, line_id, type, at, data)
         VALUES ('o', 'l', 'line.closed', '2026-01-02T00:00:00.000000Z', '{}')",
        [],
    )
    .unwrap();
    assert_intact(&conn);
}

#[test]
fn a_connection_open_during_the_upgrade_stops_checking_the_events_keys() {
    let (_dir, file, open) = old_schema("0016");
    open.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    assert!(
        checks_foreign_keys(&open, EVENT),
        "before the upgrade, an event checks the keys it names"
    );
    let migrator = rusqlite::Connection::open(&file).unwrap();
    migrator
        .execute_batch(include_str!(
            "../migrations/0016_events_without_foreign_keys.sql"
        ))
        .unwrap();
    let events: i64 = open
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 0);
    assert!(!checks_foreign_keys(&open, EVENT));
}
