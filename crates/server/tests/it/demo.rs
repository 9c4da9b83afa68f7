//! `provisio serve --demo` (SPEC §9), the built binary: demo data on the first start (every
//! stage, back-dated history), fresh credentials printed on every start, mail only to files.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use provisio::app::secrets::verify_password;
use provisio_domain::ContactEmail;
use serde_json::{Value, json};
use tokio::process::Child;

use crate::cli::*;
use crate::cli_serve::free_addr;

/// A running `provisio serve --demo` with what it printed.
struct Demo {
    child: Child,
    base: String,
    logs: tempfile::TempDir,
    http: reqwest::Client,
}

impl Demo {
    /// Starts the demo and waits (up to 60 s: the first start replays the history) for
    /// `/healthz`.
    async fn start(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Demo {
        let addr = free_addr();
        let logs = tempfile::tempdir().unwrap();
        let mut cmd = provisio(dir);
        cmd.args(["serve", "--demo", "--listen", &addr])
            .args(extra)
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdout(std::fs::File::create(logs.path().join("out")).unwrap());
        cmd.stderr(std::fs::File::create(logs.path().join("err")).unwrap());
        let mut child = cmd.spawn().unwrap();
        let demo_logs = logs.path().to_path_buf();
        let err = move || std::fs::read_to_string(demo_logs.join("err")).unwrap_or_default();
        let http = reqwest::Client::new();
        for _ in 0..600 {
            let reply = http.get(format!("http://{addr}/healthz")).send().await;
            if reply.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
                return Demo {
                    child,
                    base: format!("http://{addr}"),
                    logs,
                    http,
                };
            }
            let exited = child.try_wait().unwrap();
            assert!(exited.is_none(), "serve --demo exited early: {}", err());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no 200 from /healthz within 60 s: {}", err());
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("out")).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("err")).unwrap_or_default()
    }

    /// The API key printed (alone on its line).
    fn key(&self) -> String {
        let out = self.stdout();
        let key = out.lines().map(str::trim).find(|l| is_api_key(l));
        key.unwrap_or_else(|| panic!("no API key printed: {out}"))
            .to_owned()
    }

    /// The password printed beside `email`.
    fn password(&self, email: &str) -> String {
        let out = self.stdout();
        let line = out.lines().find(|l| l.trim_start().starts_with(email));
        let line = line.unwrap_or_else(|| panic!("{email} is not printed: {out}"));
        line.split_whitespace().nth(1).unwrap().to_owned()
    }

    async fn get(&self, path: &str) -> Value {
        let res = self.http.get(format!("{}{path}", self.base));
        let res = res.bearer_auth(self.key()).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> u16 {
        let res = self.http.post(format!("{}{path}", self.base));
        let res = res
            .bearer_auth(self.key())
            .json(&body)
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    }

    /// Every line, through the API.
    async fn lines(&self) -> Vec<Value> {
        let page = self.get("/api/v1/subscriptions?limit=200").await;
        page["items"].as_array().unwrap().clone()
    }

    /// SIGTERM, then the exit within 5 s.
    async fn stop(mut self) {
        let pid = self.child.id().expect("serve is running").to_string();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(kill.unwrap().success());
        for _ in 0..50 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit after SIGTERM: {}", self.stderr());
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("still running 5 s after SIGTERM: {}", self.stderr());
    }
}

/// The test may read real time: the demo's history is measured against it.
#[allow(clippy::disallowed_methods)]
fn real_now() -> Timestamp {
    Timestamp::now()
}

async fn stored_hash(dir: &Path, email: &str) -> String {
    let store = crate::backend::store_of(dir).await;
    let email = ContactEmail::parse(email).unwrap();
    let user = store.user_by_email(&email).await.unwrap();
    let user = user.expect("the demo user exists");
    store.close().await;
    user.password_hash.expect("a password hash is stored")
}

fn mail_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir.join("mail")) else {
        return 0;
    };
    let is_eml = |e: &std::fs::DirEntry| e.path().extension().is_some_and(|x| x == "eml");
    entries.filter_map(Result::ok).filter(is_eml).count()
}

fn strings(lines: &[Value], field: &str) -> BTreeSet<String> {
    let value = |l: &Value| l[field].as_str().unwrap_or("-").to_owned();
    lines.iter().map(value).collect()
}

#[tokio::test]
async fn the_first_demo_start_creates_every_stage_with_back_dated_history() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = Demo::start(d, &[], &[]).await;
    let lines = demo.lines().await;

    let stages = strings(&lines, "stage");
    for stage in [
        "scheduled",
        "awaiting_provisioning",
        "onboarded",
        "provisioned",
        "cancelled",
    ] {
        assert!(stages.contains(stage), "no {stage} line: {stages:?}");
    }
    assert_eq!(
        strings(&lines, "locale"),
        ["en", "sv"].map(String::from).into()
    );
    let offers = strings(&lines, "offer");
    assert_eq!(
        offers,
        ["A-FLEX", "A-FLEX-3", "A-WX-CALL"].map(String::from).into()
    );
    let open_waiting = lines
        .iter()
        .any(|l| l["stage"] == "awaiting_provisioning" && l["status"] == "open");
    assert!(open_waiting, "no line waiting for its contact");
    for l in &lines {
        let contact = l["provisioning_contact"]["email"].as_str().unwrap();
        assert!(contact.ends_with(".example"), "{contact}");
    }

    // Closed by a lapsed 7-day and a lapsed 30-day window, provisioning still in progress,
    // with a resend and a contact change after closure, all in the past.
    let lapsed: Vec<&Value> = lines
        .iter()
        .filter(|l| l["closed_reason"] == "provisioning_window_lapsed")
        .collect();
    let offers: BTreeSet<&str> = lapsed
        .iter()
        .map(|l| l["offer"].as_str().unwrap())
        .collect();
    assert!(
        offers.contains("A-FLEX") && offers.contains("A-WX-CALL"),
        "{offers:?}"
    );
    let week_ago = real_now() - SignedDuration::from_hours(7 * 24);
    for l in lapsed {
        let sub = l["subscription_ref"].as_str().unwrap();
        assert_eq!(
            (&l["stage"], &l["status"], &l["provisioning_in_progress"]),
            (
                &json!("awaiting_provisioning"),
                &json!("closed"),
                &json!(true)
            ),
            "{l}"
        );
        let events = demo.get(&format!("/api/v1/lines/{sub}/events")).await;
        let events = events["items"].as_array().unwrap();
        let types = strings(events, "type");
        for t in [
            "order.created",
            "email.sent",
            "line.closed",
            "resend.requested",
            "contact.changed",
        ] {
            assert!(types.contains(t), "{sub} has no {t}: {types:?}");
        }
        for e in events {
            let at: Timestamp = e["at"].as_str().unwrap().parse().unwrap();
            assert!(at < week_ago, "{sub}: {e} is not older than 7 days");
        }
        assert_eq!(l["last_email"]["kind"], "contact_changed", "{l}");
        assert_eq!(l["last_email"]["state"], "sent", "{l}");
    }

    // The mail of that history is in files; every demo user's password works.
    assert!(mail_files(d) >= 10, "{} .eml files", mail_files(d));
    let out = demo.stdout();
    assert!(
        out.contains(&format!("{}", d.join("mail").display())),
        "{out}"
    );
    for email in [
        "ada@operator.example",
        "bo@partner.example",
        "cy@partner.example",
    ] {
        let password = demo.password(email);
        assert!(password.len() >= 10, "{email}: {password}");
        assert!(
            verify_password(&password, &stored_hash(d, email).await),
            "the stored hash of {email} does not verify the printed password"
        );
    }
    assert!(out.contains("curl"), "a try-this hint: {out}");
    // Support cases: one just opened with a screenshot (unclaimed), one resolved by its
    // line's onboarding, one answered and waiting on the partner; newest first.
    let cases = demo.get("/api/v1/cases").await;
    let items = cases["items"].as_array().unwrap();
    let states: Vec<&str> = items.iter().map(|c| c["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["open", "resolved", "waiting"]);
    assert!(items[0]["claimed_by"].is_null());
    assert_eq!(items[2]["claimed_by"]["email"], "sam@operator.example");
    let newest = demo
        .get(&format!(
            "/api/v1/cases/{}",
            items[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(newest["attachments"][0]["content_type"], "image/png");
    demo.stop().await;
}

#[tokio::test]
async fn a_second_demo_start_adds_nothing_and_prints_new_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = Demo::start(d, &[], &[]).await;
    let (key, password) = (first.key(), first.password("pia@partner.example"));
    let (lines, files) = (first.lines().await, mail_files(d));
    let orders = first.get("/api/v1/orders?limit=200").await["items"]
        .as_array()
        .unwrap()
        .len();
    first.stop().await;

    let second = Demo::start(d, &[], &[]).await;
    assert!(
        second.stdout().contains("already in place"),
        "{}",
        second.stdout()
    );
    assert_ne!(second.key(), key, "a new API key");
    // The earlier start's key is revoked: keys do not pile up.
    let old = second.http.get(format!("{}/api/v1/orders", second.base));
    let old = old.bearer_auth(&key).send().await.unwrap();
    assert_eq!(old.status(), 401, "the earlier start's key is revoked");
    let keys = second
        .get("/api/v1/users/ada@operator.example/api-keys")
        .await;
    let keys = keys["items"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[0]["revoked_at"].is_null() && keys[1]["revoked_at"].is_string());
    let new_password = second.password("pia@partner.example");
    assert_ne!(new_password, password, "a new password");
    let hash = stored_hash(d, "pia@partner.example").await;
    assert!(verify_password(&new_password, &hash));
    assert!(
        !verify_password(&password, &hash),
        "the old password is gone"
    );

    // The new key works; nothing was duplicated.
    let again = second.lines().await;
    assert_eq!(
        strings(&again, "subscription_ref"),
        strings(&lines, "subscription_ref")
    );
    let orders_now = second.get("/api/v1/orders?limit=200").await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!((orders_now, mail_files(d)), (orders, files));
    second.stop().await;
}

#[tokio::test]
async fn demo_mail_never_goes_to_smtp_and_the_test_clock_combines() {
    let smtp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    smtp.set_nonblocking(true).unwrap();
    let url = format!("smtp://{}", smtp.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let env = [("PROVISIO_SMTP_URL", url.as_str())];
    let demo = Demo::start(d, &["--test-clock"], &env).await;
    assert!(
        demo.stderr().contains("PROVISIO_SMTP_URL is ignored"),
        "a warning: {}",
        demo.stderr()
    );
    assert!(mail_files(d) >= 10);
    demo.get("/api/v1/clock").await;

    // A resend now goes through the running server's scheduler: to a file as well.
    let lines = demo.lines().await;
    let open = lines
        .iter()
        .find(|l| {
            l["stage"] == "awaiting_provisioning"
                && l["status"] == "open"
                && l["actions"]["resend"]["allowed"] == true
        })
        .expect("an open line that may be resent");
    let sub = open["subscription_ref"].as_str().unwrap();
    assert_eq!(
        demo.post(&format!("/api/v1/lines/{sub}/resend"), json!({}))
            .await,
        202
    );
    let email = crate::helpers::until("the resend to be sent", || async {
        let emails = demo.get(&format!("/api/v1/lines/{sub}/emails")).await;
        let latest = emails["items"][0].clone();
        (latest["kind"] == "resend" && latest["state"] == "sent").then_some(latest)
    })
    .await;
    assert!(
        email["last_reply"].is_null(),
        "a file has no reply: {email}"
    );
    assert!(
        matches!(smtp.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "something connected to PROVISIO_SMTP_URL"
    );
    demo.stop().await;
}
