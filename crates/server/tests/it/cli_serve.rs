//! `provisio serve` as operators run it: one per database, clean SIGTERM, fail-fast config.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Child;

use crate::cli::*;

pub(crate) fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("a local address").to_string()
}

/// Starts `provisio serve` and waits (up to 10 s) until `/healthz` answers 200.
pub(crate) async fn serve(dir: &Path, addr: &str, smtp_url: &str, logs: &Path) -> Child {
    serve_with(provisio(dir), addr, smtp_url, logs).await
}

/// [`serve`] with this command (`provisio` with its data directory and database).
pub(crate) async fn serve_with(
    mut cmd: tokio::process::Command,
    addr: &str,
    smtp_url: &str,
    logs: &Path,
) -> Child {
    cmd.args(["serve", "--listen", addr]).stdin(Stdio::null());
    if !smtp_url.is_empty() {
        cmd.env("PROVISIO_SMTP_URL", smtp_url);
    }
    cmd.stdout(std::fs::File::create(logs.join("out")).unwrap());
    cmd.stderr(std::fs::File::create(logs.join("err")).unwrap());
    let mut child = cmd.spawn().unwrap();
    let stderr = || std::fs::read_to_string(logs.join("err")).unwrap_or_default();
    let http = reqwest::Client::new();
    for _ in 0..100 {
        let reply = http.get(format!("http://{addr}/healthz")).send().await;
        if reply.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
            return child;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "serve exited early: {}",
            stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no 200 from /healthz within 10 s: {}", stderr());
}

#[tokio::test]
async fn serve_is_alone_on_its_sqlite_database_and_stops_cleanly_on_sigterm() {
    let (dir, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = dir.path();
    // SQLite whatever backend the suite runs on: one server per file is SQLite's rule.
    let on_sqlite = || {
        let mut cmd = isolated();
        cmd.arg("--data-dir").arg(d);
        cmd
    };
    let mut child = serve_with(on_sqlite(), &free_addr(), "", logs.path()).await;
    let stderr = || std::fs::read_to_string(logs.path().join("err")).unwrap_or_default();

    let mut cmd = on_sqlite();
    cmd.args(["serve", "--listen", &free_addr()]);
    let second = tokio::time::timeout(Duration::from_secs(10), finish(cmd, None)).await;
    let second = second.expect("a second serve on the same data dir exits within 10 s");
    second.fails(1, "already running");
    // Another data directory naming the same database file is refused too: the lock is on
    // the file, not the directory.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = isolated();
    cmd.arg("--data-dir").arg(elsewhere.path());
    cmd.env(
        "DATABASE_URL",
        format!("sqlite:{}", d.join("provisio.sqlite").display()),
    )
    .args(["serve", "--listen", &free_addr()]);
    let third = tokio::time::timeout(Duration::from_secs(10), finish(cmd, None)).await;
    third
        .expect("a second serve on the same database exits within 10 s")
        .fails(1, "already running");

    let pid = child.id().expect("serve is still running").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(kill.unwrap().success());
    let mut status = None;
    for _ in 0..50 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.unwrap_or_else(|| panic!("still running 5 s after SIGTERM: {}", stderr()));
    assert_eq!(
        status.code(),
        Some(0),
        "serve's exit after SIGTERM: {}",
        stderr()
    );
}

#[tokio::test]
async fn serve_fails_fast_on_a_bad_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = provisio(dir.path());
    cmd.env("PROVISIO_TIME_ZONE", "Mars/Base")
        .args(["serve", "--listen", &free_addr()]);
    let out = tokio::time::timeout(Duration::from_secs(10), finish(cmd, None)).await;
    let out = out.expect("serve with a bad time zone exits at once");
    out.fails(1, "time_zone");
    assert!(out.stderr.contains("Mars/Base"), "{out}");
}

/// SPEC §9: the test clock's offset lives in the database, so the CLI keeps the same business
/// time as the `--test-clock` server that moved it.
#[tokio::test]
async fn the_cli_follows_the_stored_test_clock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let store = crate::backend::store_of(d).await;
    let ten_days = 10 * 86_400 * 1_000_000;
    store.advance_clock_offset(ten_days).await.unwrap();
    store.close().await;

    let order = serde_json::json!({"web_order_id": "W4242", "end_customer": {"name": "Kund AB"},
        "lines": [{"offer": "A-FLEX", "quantity": 1, "requested_start_date": "2030-01-01",
                   "provisioning_contact": {"email": "kim@kund.test"}}]});
    let file = d.join("order.json");
    std::fs::write(&file, order.to_string()).unwrap();
    cli(
        d,
        &format!("order import {} --as pia@acme.test", file.display()),
    )
    .await
    .ok();
    let shown = cli(d, "order show W4242 --json").await;
    let shown: serde_json::Value = serde_json::from_str(shown.ok()).unwrap();
    let placed: jiff::Timestamp = shown["placed_at"].as_str().unwrap().parse().unwrap();
    // The child ran on real time + 10 days; the test itself may read real time.
    #[allow(clippy::disallowed_methods)]
    let real = jiff::Timestamp::now();
    let ahead = placed.duration_since(real).as_hours();
    assert!(
        (239..=240).contains(&ahead),
        "placed {ahead} h ahead of real time"
    );
}
