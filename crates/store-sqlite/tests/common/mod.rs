//! What the SQLite store's tests share: a fresh store, an old schema's migrations, and a line
//! (with an email) written straight into the file.
#![allow(clippy::unwrap_used, dead_code)]

use provisio_store::Maintenance;
use provisio_store_sqlite::SqliteStore;

/// A store on a fresh, migrated file `provisio.sqlite` in its own directory.
pub async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("provisio.sqlite"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

/// A company, user, order and line, shared by both schemas.
pub fn seed_line(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "INSERT INTO companies VALUES ('c', 'Acme', 'partner', '2026-01-01T00:00:00.000000Z');
         INSERT INTO users (id, company_id, email, name, role, can_resend, password_hash,
             created_at) VALUES ('u', 'c', 'pia@acme.test', 'Pia', 'member', 0, NULL,
             '2026-01-01T00:00:00.000000Z');
         INSERT INTO orders (id, web_order_id, partner_id, end_customer_name, locale, placed_by,
             placed_at) VALUES ('o', 'W1', 'c', 'Kund AB', 'en', 'u', '2026-01-01T00:00:00.000000Z');
         INSERT INTO lines (id, order_id, line_number, sub_ref, offer, quantity,
             requested_start_date, rsd_start_at, contact_email, locale, stage, status)
             VALUES ('l', 'o', 1, 'Sub1', 'A-FLEX', 1, '2026-01-01', '2026-01-01T00:00:00.000000Z',
             'kim@kund.test', 'en', 'scheduled', 'open');",
    )
    .unwrap();
}

pub fn seed_one_email(conn: &rusqlite::Connection) {
    seed_line(conn);
    conn.execute_batch(
        "INSERT INTO emails (id, kind, subject, line_id, recipient, locale, message_id, state,
             queued_at, next_attempt_at)
         VALUES ('e1', 'initial', 'line', 'l', 'kim@kund.test', 'en', 'm1@x', 'queued',
             '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');",
    )
    .unwrap();
}

/// A file `old.sqlite` in its own directory with the migrations before `first` applied, and
/// the connection that applied them (an installation from before `first`).
pub fn old_schema(first: &str) -> (tempfile::TempDir, std::path::PathBuf, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.sqlite");
    let conn = rusqlite::Connection::open(&file).unwrap();
    for sql in migrations_before(first) {
        conn.execute_batch(&sql).unwrap();
    }
    (dir, file, conn)
}

/// The migrations before `first` (by file name), in order: whatever else lands beside ours.
fn migrations_before(first: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql") && n.as_str() < first)
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| std::fs::read_to_string(dir.join(n)).unwrap())
        .collect()
}
