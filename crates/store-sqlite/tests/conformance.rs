//! The store conformance story on a fresh SQLite file, one test per chapter (two handles on
//! one file included: as two processes would open it), and what is SQLite's own.
// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use async_trait::async_trait;
use provisio_store::conformance::Fresh;
use provisio_store::{Outbox, Store};
use provisio_store_sqlite::SqliteStore;

mod common;
use common::{fresh, old_schema, seed_line, seed_one_email};

/// A fresh database file per chapter.
struct SqliteFile(tempfile::TempDir);

#[async_trait]
impl Fresh for SqliteFile {
    async fn fresh() -> (Self, Arc<dyn Store>) {
        let (dir, store) = fresh().await;
        (SqliteFile(dir), Arc::new(store))
    }
    async fn another(&self) -> Arc<dyn Store> {
        let store = SqliteStore::open(&self.0.path().join("provisio.sqlite"))
            .await
            .unwrap();
        Arc::new(store)
    }
}

mod story {
    provisio_store::conformance_tests!(super::SqliteFile);
}

#[tokio::test]
async fn an_in_memory_database_is_refused_with_a_clear_message() {
    // The writer and its readers must all see one database.
    for url in ["sqlite::memory:", "sqlite://:memory:"] {
        let err = SqliteStore::open_url(url)
            .await
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_else(|| panic!("{url} was accepted"));
        assert!(
            err.contains("in-memory SQLite database is not supported"),
            "{err}"
        );
    }
}

/// One server per file: at a start, every lease left in it is a previous run's, however
/// recent, and is taken over.
#[tokio::test]
async fn a_starting_server_takes_over_every_lease_of_the_file() {
    let (dir, store) = fresh().await;
    let conn = rusqlite::Connection::open(dir.path().join("provisio.sqlite")).unwrap();
    let leased =
        "UPDATE emails SET state = 'sending', next_attempt_at = NULL, lease_owner = 'gone',
                      lease_until = '2999-01-01T00:00:00.000000Z'";
    // No emails yet: nothing to take over.
    assert_eq!(
        store
            .take_over_leases(jiff::Timestamp::UNIX_EPOCH)
            .await
            .unwrap(),
        0
    );
    seed_one_email(&conn);
    conn.execute(leased, []).unwrap();
    let taken = store
        .take_over_leases(jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(
        taken, 1,
        "a lease still running in real time is taken over too"
    );
    let state: String = conn
        .query_row("SELECT state FROM emails", [], |r| r.get(0))
        .unwrap();
    assert_eq!(state, "queued");
}

/// Upgrading keeps every setup link: 0004 moves them out of the outbox rows into their own
/// table with their state, and every row gets its subject.
#[test]
fn upgrading_moves_setup_links_into_their_table() {
    let (_dir, _, conn) = old_schema("0004");
    seed_old_schema(&conn);
    conn.execute_batch(include_str!(
        "../migrations/0004_outbox_subjects_setup_links.sql"
    ))
    .unwrap();
    let links: Vec<(String, String, String)> = conn
        .prepare("SELECT token_hash, email_id, state FROM setup_links ORDER BY token_hash")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        links,
        [
            ("hash-1".into(), "e1".into(), "spent".into()),
            ("hash-2".into(), "e2".into(), "live".into())
        ]
    );
    let subjects: Vec<(String, String)> = conn
        .prepare("SELECT id, subject FROM emails ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        subjects,
        [
            ("e1".into(), "line".into()),
            ("e2".into(), "line".into()),
            ("e3".into(), "line".into())
        ]
    );
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0, "every reference still holds");
}

fn seed_old_schema(conn: &rusqlite::Connection) {
    seed_line(conn);
    conn.execute_batch(
        "INSERT INTO emails (id, line_id, kind, recipient, locale, message_id, state, attempts,
             queued_at, sent_at, token_hash, link)
         VALUES ('e1', 'l', 'initial', 'kim@kund.test', 'en', 'm1@x', 'sent', 1,
             '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:01.000000Z', 'hash-1', 'spent'),
                ('e2', 'l', 'resend', 'kim@kund.test', 'en', 'm2@x', 'sent', 1,
             '2026-01-02T00:00:00.000000Z', '2026-01-02T00:00:01.000000Z', 'hash-2', 'live');
         INSERT INTO emails (id, line_id, kind, recipient, locale, message_id, state, queued_at,
             next_attempt_at)
         VALUES ('e3', 'l', 'resend', 'kim@kund.test', 'en', 'm3@x', 'queued',
             '2026-01-03T00:00:00.000000Z', '2026-01-03T00:00:00.000000Z');",
    )
    .unwrap();
}

/// The kinds of mail the schema admits are exactly the domain's, each with its subject.
#[tokio::test]
async fn the_schema_knows_every_kind_of_mail_with_its_subject() {
    let (dir, _store) = fresh().await;
    let conn = rusqlite::Connection::open(dir.path().join("provisio.sqlite")).unwrap();
    let stored: Vec<(String, String)> = conn
        .prepare("SELECT kind, subject FROM email_kinds ORDER BY kind")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut domain: Vec<(String, String)> = provisio_domain::EmailKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.subject().as_str().to_owned()))
        .collect();
    domain.sort();
    assert_eq!(stored, domain);
}

/// Upgrading to 0010 gives every signed-in session its user and ends those of users
/// disabled already (SPEC §11: a disabled user has no sessions).
#[test]
fn upgrading_names_each_sessions_user_and_ends_disabled_users_sessions() {
    let (_dir, _, conn) = old_schema("0010");
    seed_line(&conn);
    conn.execute_batch(
        "INSERT INTO users (id, company_id, email, name, role, can_resend, password_hash,
             created_at, status) VALUES ('off', 'c', 'bo@acme.test', 'Bo', 'member', 0, NULL,
             '2026-01-01T00:00:00.000000Z', 'disabled');
         INSERT INTO web_sessions (id_hash, data, expires_at) VALUES
             ('pia', '{\"user\":\"u\",\"csrf\":\"x\"}', '2030-01-01T00:00:00.000000Z'),
             ('bo', '{\"user\":\"off\"}', '2030-01-01T00:00:00.000000Z'),
             ('anonymous', '{\"csrf\":\"y\"}', '2030-01-01T00:00:00.000000Z'),
             ('nobody', '{\"user\":\"gone\"}', '2030-01-01T00:00:00.000000Z');",
    )
    .unwrap();
    conn.execute_batch(include_str!("../migrations/0010_web_session_users.sql"))
        .unwrap();
    let sessions: Vec<(String, Option<String>)> = conn
        .prepare("SELECT id_hash, user_id FROM web_sessions ORDER BY id_hash")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        sessions,
        [
            ("anonymous".into(), None),
            ("nobody".into(), None),
            ("pia".into(), Some("u".into())),
        ]
    );
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0, "every reference still holds");
}

/// Upgrading to 0009 stores the domain's state for every line: the line the old planner left
/// behind (a pre-RSD resend that failed, no initial email: "scheduled" forever) is due for its
/// first send again; one whose initial email exists is not; a line's last email is its last
/// provisioning email, never a notice; a running window is found by the closure sweep.
#[test]
fn upgrading_gives_lines_left_in_limbo_their_first_send() {
    let (_dir, _, conn) = old_schema("0009");
    seed_line(&conn);
    conn.execute_batch(
        "INSERT INTO lines (id, order_id, line_number, sub_ref, offer, quantity,
             requested_start_date, rsd_start_at, contact_email, locale, stage, status,
             first_sent_at, closes_at)
         VALUES ('l2', 'o', 2, 'Sub2', 'A-FLEX', 1, '2026-01-01', '2026-01-01T00:00:00.000000Z',
             'kim@kund.test', 'en', 'awaiting_provisioning', 'open',
             '2026-01-01T00:00:01.000000Z', '2026-01-08T00:00:01.000000Z');
         INSERT INTO emails (id, kind, subject, line_id, recipient, locale, message_id, state,
             attempts, queued_at, last_reply)
         VALUES ('stuck', 'resend', 'line', 'l', 'typo@kund.test', 'en', 'm1@x', 'failed', 1,
             '2025-12-29T00:00:00.000000Z', '550 no such user'),
                ('first', 'initial', 'line', 'l2', 'kim@kund.test', 'en', 'm2@x', 'sent', 1,
             '2026-01-01T00:00:00.000000Z', '250 ok'),
                ('note', 'handed_off', 'line', 'l2', 'pia@acme.test', 'en', 'm3@x', 'sent', 1,
             '2026-01-02T00:00:00.000000Z', '250 ok');
         UPDATE emails SET handed_off_from = 'a@kund.test', handed_off_to = 'kim@kund.test'
             WHERE id = 'note';",
    )
    .unwrap();
    conn.execute_batch(include_str!(
        "../migrations/0009_correct_by_construction.sql"
    ))
    .unwrap();
    type Row = (String, i64, Option<String>, Option<String>, Option<String>);
    let lines: Vec<Row> = conn
        .prepare(
            "SELECT l.id, l.initial_queued, l.first_send_due_at, l.close_due_at,
                 (SELECT e.id FROM emails e WHERE e.line_id = l.id AND e.last_email = 1
                  ORDER BY e.seq DESC LIMIT 1)
             FROM lines l ORDER BY l.id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        lines,
        [
            (
                "l".into(),
                0,
                Some("2026-01-01T00:00:00.000000Z".into()),
                None,
                Some("stuck".into())
            ),
            (
                "l2".into(),
                1,
                None,
                Some("2026-01-08T00:00:01.000000Z".into()),
                Some("first".into())
            ),
        ]
    );
    // The schema now refuses a second initial email for a line.
    let second = conn.execute(
        "INSERT INTO emails (id, kind, subject, line_id, recipient, locale, message_id, state,
             queued_at, next_attempt_at)
         VALUES ('again', 'initial', 'line', 'l2', 'kim@kund.test', 'en', 'm4@x', 'queued',
             '2026-01-03T00:00:00.000000Z', '2026-01-03T00:00:00.000000Z')",
        [],
    );
    assert!(second.is_err(), "at most one initial email per line");
}
