//! `provisio db copy` (README "Operations": moving from SQLite to PostgreSQL): a whole SQLite
//! installation moves into a fresh PostgreSQL database and reads the same there; a target
//! that holds anything is refused and left as it was; a running `serve` on the source
//! refuses the copy. Always SQLite into PostgreSQL, whatever `PROVISIO_TEST_BACKEND` says.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use provisio::app::line_list::LineFilter;
use provisio::app::{App, Caller};
use provisio::clock::Clock;
use provisio_store::copy::{Seeded, TABLES};
use provisio_store::{Maintenance, PageRequest, Store, WebSessions};
use provisio_store_postgres::PgStore;
use provisio_store_postgres::testing::TestDatabase;
use reqwest::Method;
use serde_json::{Value, json};

use crate::cases_files::{File, png, post_form};
use crate::cli::{Out, finish, isolated};
use crate::cli_serve::free_addr;
use crate::helpers::*;
use crate::web::{Visitor, with_passwords};

/// `provisio --data-dir DIR ARGS` on the database `url` names (never the test's own).
fn provisio_on(dir: &Path, url: &str) -> tokio::process::Command {
    let mut cmd = isolated();
    cmd.arg("--data-dir").arg(dir).env("DATABASE_URL", url);
    cmd
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("provisio.sqlite").display())
}

/// `provisio db copy` from the data directory's SQLite file into `to`.
async fn copy(dir: &Path, to: &str) -> Out {
    let mut cmd = isolated();
    cmd.arg("--data-dir")
        .arg(dir)
        .args(["db", "copy", "--from"]);
    cmd.arg(sqlite_url(dir)).args(["--to", to]);
    finish(cmd, None).await
}

/// The summary's table: each table's rows in the source and in the target.
fn summary(out: &Out) -> HashMap<String, (u64, u64)> {
    let mut tables = HashMap::new();
    for line in out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("TABLE"))
        .skip(1)
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(name), Some(source), Some(target)) = (words.first(), words.get(1), words.get(2))
        else {
            continue;
        };
        if let (Ok(s), Ok(t)) = (source.parse(), target.parse()) {
            tables.insert((*name).to_owned(), (s, t));
        }
    }
    tables
}

async fn count(pg: &PgStore, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pg.pool())
        .await
        .unwrap()
}

/// An installation with something in every table: orders, a line whose email was sent (with
/// its setup link), a resend, a case with a screenshot and comments (with their mail), an
/// idempotent order, a web session and a failed sign-in, a changed offer policy, a moved
/// test clock. Returns the sent line and the case's id.
async fn installation(w: &World) -> (String, String) {
    // First: a day later, idempotency keys and sign-in failures made before are purged.
    w.t.advance(86_400).await;
    w.order("W-COPY-1", &["kim@kund.test", "lo@kund.test"])
        .await;
    let sent = w.line_due_today("W-COPY-2", "ann@kund.test").await;
    w.t.email_in_state(&w.pia, &sent, "sent").await;
    crate::resend::resend(&w.t, &w.bo, &sent, None)
        .await
        .ok(202);
    let idempotent = w.t.http.post(format!("{}/api/v1/orders", w.t.base));
    let idempotent = idempotent
        .bearer_auth(&w.erp)
        .header("Idempotency-Key", "copy-1")
        .json(&order_body());
    TestApp::reply(idempotent).await.ok(201);

    let fields = [
        ("request_type", "resend_provisioning_email"),
        ("subscription_ref", sent.as_str()),
        ("description", "Ann never got the email"),
    ];
    let screenshot = File::new("screen.png", "image/png", png(40, 30));
    let case = post_form(&w.t, &w.pia, &fields, &[screenshot]).await;
    let case_id = case.ok(201)["id"].as_str().unwrap().to_owned();
    let comments = format!("/api/v1/cases/{case_id}/comments");
    w.t.post(&comments, &w.agent, json!({"body": "Resent; check spam"}))
        .await
        .ok(201);
    let note = json!({"body": "greylisted", "internal": true});
    w.t.post(&comments, &w.agent, note).await.ok(201);

    with_passwords(&w.t, &["pia@acme.test"]).await;
    Visitor::new(&w.t).sign_in("pia@acme.test").await;
    let wrong = Visitor::new(&w.t)
        .try_sign_in("pia@acme.test", "not the password")
        .await;
    assert_ne!(wrong.status, reqwest::StatusCode::SEE_OTHER);
    let policy = json!({"window_days": 10});
    let path = "/api/v1/offer-policies/A-FLEX";
    let admin = Some(w.t.admin.as_str());
    w.t.send(Method::PUT, path, admin, Some(policy))
        .await
        .ok(200);
    (sent, case_id)
}

#[tokio::test]
async fn a_sqlite_installation_moves_to_postgresql_whole_and_reads_the_same() {
    let mut w = World::on(Backend::Sqlite).await;
    let (sent, case_id) = installation(&w).await;
    w.t.shut_down().await;
    // As `serve` stops: the writes still running in the background land first.
    w.t.app.close().await;
    let d = w.t.data_dir();
    let target = TestDatabase::create().await;

    let out = copy(&d, target.url()).await;
    out.ok();
    assert!(out.stderr.contains("Nothing may write"), "{out}");
    let tables = summary(&out);
    assert_eq!(tables.len(), TABLES.len(), "{out}");
    for (table, (source, target)) in &tables {
        assert_eq!(source, target, "{table}: {out}");
    }
    // Everything but the tables the migrations fill has rows of the installation.
    for table in TABLES.iter().filter(|t| t.seeded == Seeded::No) {
        assert!(
            tables[table.name].0 > 0,
            "nothing in {} to copy: {out}",
            table.name
        );
    }

    // The copy reads the same through the store.
    let pg = PgStore::open(target.url()).await.unwrap();
    let (a, b) = (&w.t.app, pg_app(&pg, &w.t.app).await);
    assert_eq!(
        b.stored_clock_offset().await.unwrap(),
        a.stored_clock_offset().await.unwrap()
    );
    assert!(!b.stored_clock_offset().await.unwrap().is_zero());
    assert_eq!(
        b.offer_policies().await.unwrap(),
        a.offer_policies().await.unwrap()
    );
    for key in [&w.pia, &w.bo, &w.agent, &w.erp, &w.t.admin] {
        assert_eq!(
            b.authenticate(key).await.unwrap(),
            a.authenticate(key).await.unwrap(),
            "API keys still work"
        );
    }
    // Lists keep their order (SQLite pages companies and users by rowid, PostgreSQL by seq).
    let everyone = |app: &App| {
        let app = app.clone();
        async move {
            let companies = app.all_companies(&Caller::Operator).await.unwrap();
            let users = app.all_users(&Caller::Operator, None).await.unwrap();
            format!("{companies:?}\n{users:?}")
        }
    };
    assert_eq!(everyone(&b).await, everyone(a).await);
    let pia = a.authenticate(&w.pia).await.unwrap();
    for order in ["W-COPY-1", "W-COPY-2"] {
        assert_eq!(
            b.order(&pia, order).await.unwrap(),
            a.order(&pia, order).await.unwrap()
        );
    }
    let line = |app: &App| {
        let pia = pia.clone();
        let (app, sent) = (app.clone(), sent.clone());
        async move {
            let context = app.line(&pia, &sent).await.unwrap();
            let events = app.line_events(&pia, &sent).await.unwrap();
            let emails = app.line_emails(&pia, &sent).await.unwrap();
            format!("{context:?}\n{events:?}\n{emails:?}")
        }
    };
    assert_eq!(line(&b).await, line(a).await, "the line's timeline");

    // The search index, which is not copied, is built on the copy: searches find the same.
    let found = |app: &App, q: &str| {
        let (app, pia) = (app.clone(), pia.clone());
        let filter = LineFilter {
            q: Some(q.to_owned()),
            ..LineFilter::default()
        };
        async move {
            let page = PageRequest {
                after: None,
                limit: 50,
            };
            let lines = app.list_lines(&pia, &filter, page.clone()).await.unwrap();
            let orders = app.list_orders(&pia, &filter, page).await.unwrap();
            let refs: Vec<String> = lines
                .items
                .iter()
                .map(|l| l.line.line.sub_ref.to_string())
                .collect();
            let ids: Vec<String> = orders
                .items
                .iter()
                .map(|o| o.order.web_order_id.to_string())
                .collect();
            (refs, ids)
        }
    };
    for q in [sent.as_str(), "W-COPY", "KUND", "copy-2"] {
        let on_copy = found(&b, q).await;
        assert!(!on_copy.1.is_empty(), "{q}: nothing found on the copy");
        assert_eq!(on_copy, found(a, q).await, "{q}");
    }

    // The case with its screenshot, its comments and its mail (one email reports a comment).
    let agent = a.authenticate(&w.agent).await.unwrap();
    let case = |app: &App| {
        let (app, agent, pia, id) = (app.clone(), agent.clone(), pia.clone(), case_id.clone());
        async move {
            let case = app.case(&agent, &id).await.unwrap();
            let emails = app.case_emails(&agent, &case).await.unwrap().unwrap();
            let events = app.case_events(&agent, &case).await.unwrap();
            let file = app.case_attachment(&pia, &id, "1").await.unwrap();
            (format!("{case:?}\n{emails:?}\n{events:?}"), file.bytes)
        }
    };
    let (copied, files) = (case(&b).await, case(a).await);
    assert_eq!(copied, files, "the case");
    assert!(copied.1.starts_with(b"\x89PNG"), "the screenshot's bytes");
    let sql = "SELECT count(*) FROM emails WHERE case_comment_id IS NOT NULL";
    assert!(count(&pg, sql).await > 0, "no email reports a comment");

    // Signed-in users stay signed in.
    let sessions: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM web_sessions")
        .fetch_all(pg.pool())
        .await
        .unwrap();
    // (Sessions end on real time, not on the test clock.)
    let now = a.clock.real_now();
    for id_hash in &sessions {
        let copied = pg.load_session(id_hash, now).await.unwrap();
        assert!(copied.is_some(), "a session of the copy is gone");
        assert_eq!(copied, w.t.store.load_session(id_hash, now).await.unwrap());
    }

    // The CLI on the copy shows what it shows on the file.
    let show = |url: String| {
        let mut cmd = provisio_on(&d, &url);
        cmd.args(["order", "show", "W-COPY-2", "--json"]);
        async move {
            let out = finish(cmd, None).await;
            serde_json::from_str::<Value>(out.ok()).unwrap()
        }
    };
    assert_eq!(
        show(target.url().to_owned()).await,
        show(sqlite_url(&d)).await
    );

    // A second copy into it is refused, naming a table, and changes nothing.
    let events = count(&pg, "SELECT count(*) FROM events").await;
    let again = copy(&d, target.url()).await;
    again.fails(1, "not empty: table companies");
    assert_eq!(count(&pg, "SELECT count(*) FROM events").await, events);

    // Numbers go on where they stopped: the next order gets the same references on both.
    let csv = "web_order_id,partner,end_customer,offer,quantity,requested_start_date,contact_email\n\
               W-NEXT,Acme,Kund AB,A-FLEX,2,2030-02-01,kim@kund.test\n";
    std::fs::write(d.join("next.csv"), csv).unwrap();
    let import = |url: String| {
        let mut cmd = provisio_on(&d, &url);
        cmd.args(["order", "import"]).arg(d.join("next.csv"));
        cmd.args(["--as", "pia@acme.test"]);
        async move { finish(cmd, None).await.ok().to_owned() }
    };
    let on_copy = import(target.url().to_owned()).await;
    assert!(
        on_copy.contains("W-NEXT: imported 1 line (Sub"),
        "{on_copy}"
    );
    assert_eq!(on_copy, import(sqlite_url(&d)).await);
    let mut company = provisio_on(&d, target.url());
    company.args(["company", "create", "--name", "Newco", "--kind", "partner"]);
    finish(company, None).await.ok();
    pg.close().await;
}

/// An app like `like` over the copy, on the business time the copy stored.
async fn pg_app(pg: &PgStore, like: &App) -> App {
    let store: Arc<dyn Store> = Arc::new(pg.clone());
    let app = App::new(Arc::clone(&store), Clock::system(), (*like.config).clone());
    let clock = Clock::test();
    clock.set_offset(app.stored_clock_offset().await.unwrap());
    App::new(store, clock, (*like.config).clone())
}

/// `provisio serve` on the data directory's SQLite file; waits until it answers.
async fn serve(dir: &Path, logs: &Path) -> tokio::process::Child {
    let addr = free_addr();
    let mut cmd = isolated();
    cmd.arg("--data-dir")
        .arg(dir)
        .args(["serve", "--listen", &addr]);
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(logs.join("out")).unwrap())
        .stderr(std::fs::File::create(logs.join("err")).unwrap());
    let child = cmd.spawn().unwrap();
    until("serve to answer", || async {
        let reply = reqwest::get(format!("http://{addr}/healthz")).await;
        reply.ok().filter(|r| r.status().is_success()).map(|_| ())
    })
    .await;
    child
}

#[tokio::test]
async fn a_copy_is_refused_while_serve_runs_on_the_source_and_names_its_databases() {
    let (dir, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = dir.path();
    let target = TestDatabase::create().await;
    copy(d, target.url()).await.fails(1, "no SQLite database");
    let mut cmd = isolated();
    cmd.args([
        "db",
        "copy",
        "--from",
        "provisio.sqlite",
        "--to",
        target.url(),
    ]);
    finish(cmd, None).await.fails(2, "sqlite:PATH");
    let mut cmd = isolated();
    cmd.args([
        "db",
        "copy",
        "--from",
        &sqlite_url(d),
        "--to",
        "mysql://x/y",
    ]);
    finish(cmd, None).await.fails(2, "postgres://");

    let mut server = serve(d, logs.path()).await;
    let out = copy(d, target.url()).await;
    out.fails(1, "serve is running");
    // The target was not even migrated.
    let pg = PgStore::open(target.url()).await.unwrap();
    let sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'";
    assert_eq!(count(&pg, sql).await, 0, "{out}");
    pg.close().await;
    server.kill().await.unwrap();
}

/// A small installation made with the CLI: a company, a user with a key, an order.
async fn small_installation(dir: &Path) {
    let sqlite = sqlite_url(dir);
    for args in [
        "company create --name Acme --kind partner",
        "user create --company Acme --email pia@acme.test --name Pia --role member",
        "api-key create --user pia@acme.test",
    ] {
        let mut cmd = provisio_on(dir, &sqlite);
        cmd.args(args.split_whitespace());
        finish(cmd, None).await.ok();
    }
    let csv = "web_order_id,partner,end_customer,offer,quantity,requested_start_date,contact_email\n\
               W-1,Acme,Kund AB,A-FLEX,1,2030-02-01,kim@kund.test\n";
    std::fs::write(dir.join("order.csv"), csv).unwrap();
    let mut cmd = provisio_on(dir, &sqlite);
    cmd.args(["order", "import"]).arg(dir.join("order.csv"));
    cmd.args(["--as", "pia@acme.test"]);
    finish(cmd, None).await.ok();
}

#[tokio::test]
async fn a_used_target_is_refused_and_a_failed_copy_leaves_the_target_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_installation(d).await;

    // An offer policy set on the target is data of another installation.
    let used = TestDatabase::create().await;
    let pg = PgStore::open(used.url()).await.unwrap();
    pg.migrate().await.unwrap();
    sqlx::query("UPDATE offer_policies SET window_days = 9, updated_at = now()")
        .execute(pg.pool())
        .await
        .unwrap();
    copy(d, used.url())
        .await
        .fails(1, "not empty: table offer_policies");
    pg.close().await;

    // A value the target cannot take, in the last table but one: everything written before
    // it is rolled back.
    let source = sqlx::SqlitePool::connect(&sqlite_url(d)).await.unwrap();
    sqlx::query(
        "UPDATE events SET at = 'not an instant' WHERE seq = (SELECT max(seq) FROM events)",
    )
    .execute(&source)
    .await
    .unwrap();
    source.close().await;
    let target = TestDatabase::create().await;
    let out = copy(d, target.url()).await;
    out.fails(1, "events.at");
    assert!(out.stderr.contains("not an instant"), "{out}");
    let pg = PgStore::open(target.url()).await.unwrap();
    let emptied = [
        "companies",
        "users",
        "api_keys",
        "orders",
        "lines",
        "events",
    ];
    for table in emptied {
        let sql = format!("SELECT count(*) FROM {table}");
        assert_eq!(count(&pg, &sql).await, 0, "{table}: {out}");
    }
    let sql = "SELECT count(*) FROM sequences WHERE value IN (1000000, 100000)";
    assert_eq!(
        count(&pg, sql).await,
        2,
        "the counters as the migrations wrote them"
    );
    pg.close().await;
}
