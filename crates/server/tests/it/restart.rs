//! Nothing is lost when `serve` dies: messages queued or in flight when the process is killed
//! (or stopped with SIGTERM) are delivered after the next start (SPEC §4, §8, §9).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use tempfile::TempDir;
use tokio::process::Child;

use crate::cli::*;
use crate::cli_serve::{free_addr, serve_with};
use crate::helpers::until;
use crate::smtp::SmtpPeer;

const LINES: usize = 20;

/// An SMTP server that accepts connections and never says a word: sends hang in flight.
async fn silent_smtp() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        let mut held = vec![];
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

/// `provisio serve` on `dir` with short leases: on a shared database (PostgreSQL) a starting
/// server takes over only leases that ended, so a killed server's sends wait that long.
async fn serve(dir: &Path, addr: &str, smtp_url: &str, logs: &Path) -> Child {
    let mut cmd = provisio(dir);
    cmd.env("PROVISIO_LEASE_SECS", "2");
    serve_with(cmd, addr, smtp_url, logs).await
}

/// Acme, pia, and an order of `LINES` lines due today, imported through the CLI.
pub(crate) async fn order_due_today(dir: &Path) {
    partner_with_member(dir).await;
    // The server runs on real time here (no test clock).
    #[allow(clippy::disallowed_methods)]
    let today = jiff::Timestamp::now().to_string()[..10].to_owned();
    let lines: Vec<_> = (0..LINES)
        .map(|i| {
            json!({"offer": "A-FLEX", "quantity": 1, "requested_start_date": today,
                   "provisioning_contact": {"email": format!("c{i}@kund.test")}})
        })
        .collect();
    let order =
        json!({"web_order_id": "W777", "end_customer": {"name": "Kund AB"}, "lines": lines});
    let file = dir.join("order.json");
    std::fs::write(&file, order.to_string()).unwrap();
    let import = format!("order import {} --as pia@acme.test", file.display());
    cli(dir, &import).await.ok();
}

/// Every line's email reaches the peer (at least once; each Message-ID counted once).
pub(crate) async fn all_delivered(peer: &SmtpPeer) {
    let received = peer.wait_for(LINES).await;
    let recipients: HashSet<_> = received.iter().flat_map(|r| r.to.clone()).collect();
    assert_eq!(recipients.len(), LINES, "one email per line's contact");
    let ids: HashSet<_> = received.iter().map(|r| r.header("Message-ID")).collect();
    assert_eq!(ids.len(), LINES);
}

/// A server (data dir, log dir, process) whose scheduler has claimed the emails of a due order
/// and hangs in the SMTP greeting: messages are in flight (leased), the rest queued behind.
async fn serving_with_sends_in_flight() -> (TempDir, TempDir, Child) {
    let (dir, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (silent, connections) = silent_smtp().await;
    order_due_today(dir.path()).await;
    let server = serve(dir.path(), &free_addr(), &silent, logs.path()).await;
    until("sends in flight", || async {
        (connections.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    (dir, logs, server)
}

#[tokio::test]
async fn messages_in_flight_when_the_server_is_killed_are_delivered_after_restart() {
    let (dir, logs, mut first) = serving_with_sends_in_flight().await;
    first.start_kill().unwrap();
    first.wait().await.unwrap();

    let peer = SmtpPeer::start();
    let mut second = serve(dir.path(), &free_addr(), &peer.url(), logs.path()).await;
    all_delivered(&peer).await;
    second.start_kill().unwrap();
}

#[tokio::test]
async fn sigterm_releases_sends_in_flight_within_five_seconds() {
    let (dir, logs, mut first) = serving_with_sends_in_flight().await;
    let pid = first.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(5), first.wait())
        .await
        .expect("serve exits within 5 s of SIGTERM although SMTP hangs")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let log = std::fs::read_to_string(logs.path().join("err")).unwrap();
    assert!(log.contains("released leases"), "{log}");

    // Nothing was lost: the next start sends every message.
    let peer = SmtpPeer::start();
    let mut second = serve(dir.path(), &free_addr(), &peer.url(), logs.path()).await;
    all_delivered(&peer).await;
    second.start_kill().unwrap();
}
