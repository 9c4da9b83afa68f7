//! `provisio resend SUB_REF --as EMAIL` (SPEC §7): R2 at the command line, as that user, with
//! the API's rules (R3, R5, R10, cancelled lines), against a running server's database.

use serde_json::{Value, json};

use crate::cli::*;
use crate::helpers::*;

/// `resend SUB --as WHO [more]` on the world's database, with extra environment.
async fn resend(w: &World, sub: &str, who: &str, more: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = provisio(&w.t.data_dir());
    cmd.args(["resend", sub, "--as", who]).args(more);
    for (k, v) in env {
        cmd.env(k, v);
    }
    finish(cmd, None).await
}

fn first_ref(order: &Value) -> String {
    order["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn resend_queues_a_resend_that_the_running_server_sends_and_order_show_reports() {
    let w = World::new().await;
    let order = w.order("CR1", &["kim@kund.test"]).await;
    let sub = first_ref(&order);
    let before = w.t.emails(&w.bo, &sub).await.len();

    let out = resend(&w, &sub, "bo@acme.test", &[], &[]).await;
    let stdout = out.ok();
    let emails = w.t.emails(&w.bo, &sub).await;
    assert_eq!(emails.len(), before + 1, "one new email in the outbox");
    let email = &emails[0];
    assert_eq!(email["kind"], "resend");
    assert_eq!(email["to"], "kim@kund.test");
    let id = email["id"].as_str().unwrap();
    for needle in [sub.as_str(), "CR1", "kim@kund.test", id, "within seconds"] {
        assert!(stdout.contains(needle), "stdout lacks {needle:?}: {out}");
    }

    let shown = show_json(&w.t.data_dir(), "CR1").await;
    let last = &shown["lines"][0]["last_email"];
    assert_eq!((&last["id"], &last["kind"]), (&json!(id), &json!("resend")));

    // The server's scheduler sends it within seconds: before the RSD it is the first send.
    w.t.email_in_state(&w.bo, &sub, "sent").await;
    let human = cli(&w.t.data_dir(), "order show CR1").await;
    let row = human.ok().lines().find(|l| l.contains(&sub)).unwrap();
    let needles = [
        "stage awaiting_provisioning",
        "status open",
        "deadline 20",
        "last email resend sent to kim@kund.test",
    ];
    for needle in needles {
        assert!(row.contains(needle), "{needle:?} missing: {row}");
    }
    let events = w.t.event_types(&w.bo, &sub).await;
    assert!(
        events.contains(&"resend.requested".to_owned()),
        "{events:?}"
    );
}

#[tokio::test]
async fn resend_json_prints_the_email_and_a_double_click_sends_once() {
    let w = World::new().await;
    let sub = first_ref(&w.order("CR2", &["kim@kund.test"]).await);
    let out = resend(&w, &sub, "dana@dist.test", &["--json"], &[]).await;
    let email: Value = serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let keys = [
        "id",
        "kind",
        "to",
        "state",
        "attempts",
        "queued_at",
        "sent_at",
        "last_reply",
    ];
    for key in keys {
        assert!(email.get(key).is_some(), "no {key}: {email}");
    }
    assert_eq!(
        (&email["kind"], &email["to"]),
        (&json!("resend"), &json!("kim@kund.test"))
    );

    // The same user again within 5 seconds: the first email, nothing more sent (R10).
    let again = resend(&w, &sub, "dana@dist.test", &["--json"], &[]).await;
    let again: Value = serde_json::from_str(again.ok()).unwrap();
    assert_eq!(again["id"], email["id"]);
    let resends = w.t.emails(&w.dana, &sub).await;
    assert_eq!(resends.iter().filter(|e| e["kind"] == "resend").count(), 1);
}

#[tokio::test]
async fn resend_without_permission_names_the_ordering_contact() {
    let w = World::new().await;
    let sub = first_ref(&w.order("CR3", &["kim@kund.test"]).await);
    let out = resend(&w, &sub, "cy@acme.test", &[], &[]).await;
    out.fails(1, "permission denied");
    assert!(
        out.stderr.contains("Pia Partner") && out.stderr.contains("pia@acme.test"),
        "the ordering contact is named: {out}"
    );
    assert_eq!(w.t.emails(&w.pia, &sub).await.len(), 0, "nothing queued");
    let events = w.t.event_types(&w.pia, &sub).await;
    assert!(
        events.contains(&"resend.refused".to_owned()),
        "audited: {events:?}"
    );
    // Another partner's user learns nothing (not_found), as in the API.
    resend(&w, &sub, "olle@other.test", &[], &[])
        .await
        .fails(1, "no such subscription line");
}

/// With `--json`, a refusal is the API's problem document on stdout (scripts read one shape),
/// the words on stderr as always.
#[tokio::test]
async fn a_refused_resend_with_json_prints_the_problem_on_stdout() {
    let w = World::new().await;
    let sub = first_ref(&w.order("CR9", &["kim@kund.test"]).await);
    let out = resend(&w, &sub, "cy@acme.test", &["--json"], &[]).await;
    out.fails(1, "permission denied");
    let problem: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(problem["code"], "permission_denied");
    assert_eq!(problem["status"], 403);
    assert_eq!(problem["ordering_contact"]["email"], "pia@acme.test");
    let unknown = resend(&w, "Sub999999999", "bo@acme.test", &["--json"], &[]).await;
    unknown.fails(1, "no such subscription line");
    let problem: Value = serde_json::from_str(&unknown.stdout).unwrap();
    assert_eq!(problem["code"], "not_found");
    let shown = cli(&w.t.data_dir(), "order show W-NOPE --json").await;
    shown.fails(1, "order not found");
    let problem: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(problem["code"], "not_found");
    // Without --json, stdout stays empty on failure.
    let plain = resend(&w, &sub, "cy@acme.test", &[], &[]).await;
    assert!(plain.stdout.trim().is_empty(), "{plain}");
}

#[tokio::test]
async fn resend_of_an_unknown_user_or_line_fails_clearly_and_bad_usage_exits_2() {
    let w = World::new().await;
    let sub = first_ref(&w.order("CR4", &["kim@kund.test"]).await);
    let out = resend(&w, &sub, "nobody@acme.test", &[], &[]).await;
    out.fails(1, "nobody@acme.test");
    assert!(out.stderr.contains("no user"), "{out}");
    for unknown in ["Sub999999999", "W-not-a-ref"] {
        let out = resend(&w, unknown, "bo@acme.test", &[], &[]).await;
        out.fails(1, unknown);
        assert!(out.stderr.contains("no such subscription line"), "{out}");
    }
    resend(&w, &sub, "not-an-email", &[], &[])
        .await
        .fails(2, "not-an-email");
    let d = w.t.data_dir();
    cli(&d, &format!("resend {sub}")).await.fails(2, "--as");
    cli(&d, "resend --as bo@acme.test")
        .await
        .fails(2, "SUB_REF");
    assert_eq!(w.t.emails(&w.pia, &sub).await.len(), 0, "nothing queued");
}

#[tokio::test]
async fn resend_after_onboarding_names_the_point_of_no_return_and_the_admin_portal() {
    let w = World::new().await;
    let sub = first_ref(&w.order("CR5", &["kim@kund.test"]).await);
    let onboarding = json!({"organization_name": "Kund AB"});
    let path = format!("/api/v1/lines/{sub}/onboarding");
    w.t.post(&path, &w.portal, onboarding).await.ok(200);

    let portal = [("PROVISIO_ADMIN_PORTAL_URL", ADMIN_PORTAL)];
    let out = resend(&w, &sub, "bo@acme.test", &[], &portal).await;
    out.fails(1, "point of no return");
    assert!(out.stderr.contains(ADMIN_PORTAL), "{out}");
    // Without a configured portal: ask the partner.
    let out = resend(&w, &sub, "bo@acme.test", &[], &[]).await;
    out.fails(1, "point of no return");
    assert!(out.stderr.contains("partner"), "{out}");
}

#[tokio::test]
async fn resend_of_a_cancelled_line_or_beyond_the_rate_limit_is_refused() {
    let w = World::new().await;
    let order = w.order("CR6", &["kim@kund.test", "lo@kund.test"]).await;
    let (sub, cancelled) = (first_ref(&order), line_refs(&order)[1].clone());
    let path = format!("/api/v1/lines/{cancelled}/cancel");
    w.t.post(&path, &w.pia, json!({})).await.ok(200);
    resend(&w, &cancelled, "bo@acme.test", &[], &[])
        .await
        .fails(1, "cancelled");

    // Five resends in the hour by five people (the API), then the sixth (the CLI).
    for key in [&w.pia, &w.bo, &w.dana, &w.agent, &w.t.admin] {
        let path = format!("/api/v1/lines/{sub}/resend");
        w.t.post(&path, key, json!({})).await.ok(202);
    }
    w.t.user_key(&w.acme, "eve@acme.test", "Eve", "member", true)
        .await;
    let out = resend(&w, &sub, "eve@acme.test", &[], &[]).await;
    out.fails(1, "rate limited");
    assert!(out.stderr.contains("try again in"), "{out}");
}
