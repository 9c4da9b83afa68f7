//! Delivery against a relay that fails as a whole, and what goes on the wire: a wrong
//! password pauses delivery without burning the emails (issue 10 point 13), internationalized
//! domains go out as A-labels (14), EHLO names the configured host (15), and each attempt is
//! recorded as it ends, so a crash repeats at most `sends_in_flight` emails (16), while no more
//! than `smtp_connections` connections carry them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli_serve::{free_addr, serve};
use crate::helpers::*;
use crate::restart::{all_delivered, order_due_today};
use crate::smtp::SmtpPeer;

/// A server sending through `url`, Acme and pia; pia orders `contacts.len()` lines due today.
/// Returns the app, pia's key and the order id.
async fn ordering(
    url: String,
    tweak: impl FnOnce(&mut provisio::config::Config),
    contacts: &[String],
) -> (TestApp, String, String) {
    let t = TestApp::spawn_with(|c| {
        c.smtp_url = Some(url.into());
        tweak(c);
    })
    .await;
    let acme = t.company("Acme", "partner").await;
    let pia = t
        .user_key(&acme, "pia@acme.test", "Pia Partner", "member", false)
        .await;
    let lines: Vec<Value> = contacts.iter().map(|c| line(c, &t.today())).collect();
    let body = json!({"end_customer": {"name": "Kund AB"}, "lines": lines});
    let order = t.post("/api/v1/orders", &pia, body).await.ok(201).clone();
    let id = order["order_id"].as_str().unwrap().to_owned();
    (t, pia, id)
}

fn contacts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}@kund.test")).collect()
}

/// The (state, attempts) of each line's last email.
async fn last_emails(t: &TestApp, key: &str, order: &str) -> Vec<(String, u64)> {
    let order = t.get(&format!("/api/v1/orders/{order}"), key).await;
    order.ok(200)["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let e = &l["last_email"];
            (
                e["state"].as_str().unwrap_or("none").to_owned(),
                e["attempts"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

async fn readyz(t: &TestApp) -> Value {
    t.send(Method::GET, "/readyz", None, None)
        .await
        .ok(200)
        .clone()
}

#[tokio::test]
async fn a_wrong_password_pauses_delivery_every_email_stays_queued_and_all_go_once_fixed() {
    const LINES: usize = 30;
    let peer = SmtpPeer::start_with_auth();
    let url = format!("smtp://relay:wrong@{}", peer.addr());
    let (t, pia, order) = ordering(url, |_| {}, &contacts(LINES)).await;

    let ready = t
        .until("delivery paused", || async {
            let r = readyz(&t).await;
            (r["delivery"]["state"] == "paused").then_some(r)
        })
        .await;
    assert_eq!(ready["status"], "degraded", "{ready}");
    let reason = ready["delivery"]["reason"].as_str().unwrap();
    assert!(reason.starts_with("535 "), "the relay's reply: {ready}");
    assert!(!reason.contains("wrong"), "no password in {ready}");
    assert!(ready["delivery"]["since"].is_string() && ready["delivery"]["retry_at"].is_string());
    let metrics = t.send(Method::GET, "/metrics", None, None).await;
    assert!(
        metrics.text.contains("provisio_delivery_paused"),
        "{}",
        metrics.text
    );

    // The pause is over before anything is recorded: every email queued, none charged.
    let emails = last_emails(&t, &pia, &order).await;
    assert_eq!(emails.len(), LINES);
    assert!(
        emails
            .iter()
            .all(|(state, attempts)| state == "queued" && *attempts == 0),
        "{emails:?}"
    );
    assert!(peer.received().is_empty());
    let tried = peer.auth_attempts();
    assert!(
        tried < LINES,
        "one round of connections, then probes: {tried} AUTH attempts"
    );

    // The relay's password is fixed; the next probe (the test clock moves past the
    // backoff) succeeds and delivery resumes at full speed.
    peer.accept_passwords();
    t.advance(60).await;
    peer.wait_for(LINES).await;
    let emails = t
        .until("every email sent", || async {
            let emails = last_emails(&t, &pia, &order).await;
            emails.iter().all(|(s, _)| s == "sent").then_some(emails)
        })
        .await;
    assert!(
        emails.iter().all(|(_, attempts)| *attempts == 1),
        "{emails:?}"
    );
    assert_eq!(peer.received().len(), LINES, "each once");
    let ready = readyz(&t).await;
    assert_eq!(
        ready,
        json!({"status": "ready", "delivery": {"state": "running"}})
    );
    // How results are committed: how many together, and how long each commit took.
    let metrics = t.send(Method::GET, "/metrics", None, None).await;
    for name in [
        "provisio_results_per_commit_count",
        "provisio_results_commit_seconds_count",
    ] {
        assert!(metrics.text.contains(name), "{name} in {}", metrics.text);
    }
}

#[tokio::test]
async fn an_internationalized_domain_is_sent_as_a_labels_and_a_non_ascii_local_part_refused() {
    let peer = SmtpPeer::start();
    let (t, pia, order) = ordering(peer.url(), |_| {}, &["kim@bücher.test".to_owned()]).await;
    let mail = peer.wait_for(1).await.remove(0);
    assert_eq!(
        mail.to,
        ["kim@xn--bcher-kva.test"],
        "RCPT TO, to a peer without SMTPUTF8"
    );
    assert!(
        mail.header("To")
            .unwrap()
            .contains("<kim@xn--bcher-kva.test>")
    );
    let sent = t
        .until("the email sent", || async {
            let emails = last_emails(&t, &pia, &order).await;
            (emails[0].0 == "sent").then_some(emails)
        })
        .await;
    assert_eq!(sent[0].1, 1);

    let body = json!({"end_customer": {"name": "Kund AB"},
                      "lines": [line("kär@kund.test", &t.today())]});
    let r = t.post("/api/v1/orders", &pia, body).await;
    let problem = r.problem(422, "invalid_email");
    assert!(
        problem["detail"].as_str().unwrap().contains("SMTPUTF8"),
        "{problem}"
    );
}

#[tokio::test]
async fn ehlo_names_the_configured_host_or_a_default_never_an_address_literal() {
    let peer = SmtpPeer::start();
    let (t, _, _) = ordering(peer.url(), |_| {}, &contacts(1)).await;
    peer.wait_for(1).await;
    let default = &t.app.config.smtp_helo_name;
    assert!(default.contains('.') || default == "localhost", "{default}");
    assert_eq!(peer.hellos()[0], *default);
    assert!(!peer.hellos()[0].starts_with('['));

    let peer = SmtpPeer::start();
    let (_t, _, _) = ordering(
        peer.url(),
        |c| c.smtp_helo_name = "mail.provisio.test".to_owned(),
        &contacts(1),
    )
    .await;
    peer.wait_for(1).await;
    assert_eq!(peer.hellos(), ["mail.provisio.test"]);
}

#[tokio::test]
async fn every_hand_off_is_recorded_as_it_ends_so_a_crash_repeats_at_most_the_sends_in_flight() {
    // 100 emails are accepted, then the peer stops answering: the 4 sends on a connection
    // hang, as in a crash mid-delivery, and the other sends in flight wait for a connection.
    // Everything handed over must be recorded by then; only the hanging sends (at most
    // `sends_in_flight`) would be sent again after a restart.
    const ACCEPTED: usize = 100;
    let peer = SmtpPeer::start();
    peer.stall_after(ACCEPTED);
    let (t, pia, order) = ordering(
        peer.url(),
        |c| {
            c.smtp_connections = 4;
            c.sends_in_flight = 16;
        },
        &contacts(ACCEPTED + 10),
    )
    .await;
    peer.wait_for_within(ACCEPTED, std::time::Duration::from_secs(30))
        .await;
    let emails = t
        .until("every accepted email recorded as sent", || async {
            let emails = last_emails(&t, &pia, &order).await;
            let sent = emails.iter().filter(|(s, _)| s == "sent").count();
            (sent == ACCEPTED).then_some(emails)
        })
        .await;
    // Nothing the peer accepted is unrecorded; the rest is leased (in flight or claimed).
    assert_eq!(peer.received().len(), ACCEPTED);
    let leased = emails.iter().filter(|(s, _)| s == "sending").count();
    assert_eq!(leased, 10, "{emails:?}");
    // Four times as many sends in flight as connections, yet never more connections: each
    // send gave its connection back once answered, before its result was committed.
    assert_eq!(peer.connections(), 4);
}

#[tokio::test]
async fn a_pause_and_its_end_are_one_log_line_each_not_one_per_email() {
    let (dir, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let peer = SmtpPeer::start_with_auth();
    order_due_today(dir.path()).await;
    let addr = free_addr();
    let url = format!("smtp://relay:wrong@{}", peer.addr());
    let mut server = serve(dir.path(), &addr, &url, logs.path()).await;
    let http = reqwest::Client::new();
    until("delivery paused", || async {
        let r = http
            .get(format!("http://{addr}/readyz"))
            .send()
            .await
            .ok()?;
        let body: Value = r.json().await.ok()?;
        (body["delivery"]["state"] == "paused").then_some(())
    })
    .await;
    peer.accept_passwords();
    all_delivered(&peer).await;

    let pid = server.id().unwrap().to_string();
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(stopped.unwrap().success());
    server.wait().await.unwrap();
    let log = std::fs::read_to_string(logs.path().join("err")).unwrap();
    assert_eq!(log.matches("delivery paused").count(), 1, "{log}");
    assert_eq!(log.matches("delivery resumed").count(), 1, "{log}");
    assert!(log.contains("535"), "the reason is logged: {log}");
    assert!(!log.contains("provisioning email failed"), "{log}");
    assert!(!log.contains("wrong"), "no password in the log: {log}");
}
