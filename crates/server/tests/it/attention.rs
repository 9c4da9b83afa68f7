//! What a line offers each caller (`actions`) and what needs a person (`GET /api/v1/attention`,
//! the Subscriptions filters), through the API with a real SMTP peer (SPEC §11, issue 19).

use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::Answer;

const DAY: i64 = 86_400;

fn action<'a>(line: &'a Value, name: &str) -> (&'a Value, &'a Value, &'a Value) {
    let a = &line["actions"][name];
    (&a["allowed"], &a["reason"], &a["until"])
}

/// `(allowed, reason)` of resend, change_contact and cancel.
fn offered(line: &Value) -> [(bool, Option<String>); 3] {
    ["resend", "change_contact", "cancel"].map(|name| {
        let (allowed, reason, _) = action(line, name);
        (
            allowed.as_bool().unwrap(),
            reason.as_str().map(str::to_owned),
        )
    })
}

fn yes() -> (bool, Option<String>) {
    (true, None)
}

fn no(reason: &str) -> (bool, Option<String>) {
    (false, Some(reason.to_owned()))
}

/// Pia places a line due today for `contact` (of `offer`); waits for its first email's fate.
async fn sent_line(w: &World, web_id: &str, offer: &str, contact: &str, state: &str) -> String {
    let mut l = line(contact, &w.t.today());
    l["offer"] = json!(offer);
    let order = w.order_lines(web_id, "en", vec![l]).await;
    let sub = order["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    w.t.email_in_state(&w.pia, &sub, state).await;
    sub
}

/// Waits until the scheduler's sweep has closed the line.
async fn closed(w: &World, sub: &str) {
    w.t.until(&format!("{sub} to close"), || async {
        (w.t.line_json(&w.pia, sub).await["status"] == "closed").then_some(())
    })
    .await;
}

async fn resend(w: &World, key: &str, sub: &str) -> Reply {
    w.t.post(&format!("/api/v1/lines/{sub}/resend"), key, json!({}))
        .await
}

#[tokio::test]
async fn every_line_says_what_each_caller_may_do_and_why_not() {
    let (w, _peer) = World::with_smtp().await;
    let t = &w.t;
    let sub = sent_line(&w, "W-ACT-1", "A-WX-CALL", "kim@kund.test", "sent").await;
    let denied = no("permission_denied");
    let cases = [
        ("Pia, who placed the order", &w.pia, [yes(), yes(), yes()]),
        ("Bo, granted", &w.bo, [yes(), yes(), denied.clone()]),
        (
            "Cy, not granted",
            &w.cy,
            [denied.clone(), denied.clone(), denied.clone()],
        ),
        (
            "Dana, the distributor's, granted",
            &w.dana,
            [yes(), yes(), denied.clone()],
        ),
        ("a support agent", &w.agent, [yes(), yes(), denied.clone()]),
        ("the admin", &t.admin, [yes(), yes(), yes()]),
        (
            "the partner's ERP",
            &w.erp,
            [denied.clone(), denied.clone(), denied.clone()],
        ),
    ];
    for (who, key, expected) in &cases {
        let l = t.line_json(key, &sub).await;
        assert_eq!(offered(&l), *expected, "{who}: {}", l["actions"]);
        // The order and the Subscriptions list say the same of the line.
        let order = t.get("/api/v1/orders/W-ACT-1", key).await;
        assert_eq!(order.ok(200)["lines"][0]["actions"], l["actions"], "{who}");
    }
    // A denial is what the action then answers.
    resend(&w, &w.cy, &sub)
        .await
        .problem(403, "permission_denied");

    // The limit of the hour (5): used up, the resend says until when, for everyone.
    for _ in 0..5 {
        resend(&w, &w.pia, &sub).await.ok(202);
        t.advance(6).await;
    }
    let l = t.line_json(&w.bo, &sub).await;
    let (allowed, reason, until) = action(&l, "resend");
    assert_eq!(
        (allowed, reason),
        (&json!(false), &json!("resend_rate_limited"))
    );
    let until: jiff::Timestamp = until.as_str().unwrap().parse().unwrap();
    let first = t.emails(&w.pia, &sub).await;
    let oldest_resend: jiff::Timestamp =
        first.iter().rev().find(|e| e["kind"] == "resend").unwrap()["queued_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(until, oldest_resend + jiff::SignedDuration::from_hours(1));
    assert_eq!(offered(&l)[1], yes(), "the limit counts resends only");
    resend(&w, &w.bo, &sub)
        .await
        .problem(429, "resend_rate_limited");

    // Past the point of no return, nobody may; the reason says why.
    t.post(
        &format!("/api/v1/lines/{sub}/onboarding"),
        &w.erp,
        json!({"organization_name": "Kund AB"}),
    )
    .await
    .ok(200);
    let ponr = no("past_point_of_no_return");
    for key in [&w.pia, &t.admin] {
        let l = t.line_json(key, &sub).await;
        assert_eq!(offered(&l), [ponr.clone(), ponr.clone(), ponr.clone()]);
    }

    // A cancelled line.
    let other = sent_line(&w, "W-ACT-2", "A-FLEX", "ann@kund.test", "sent").await;
    let cancelled = t
        .post(&format!("/api/v1/lines/{other}/cancel"), &w.pia, json!({}))
        .await;
    assert_eq!(
        offered(cancelled.ok(200)),
        [
            no("line_cancelled"),
            no("line_cancelled"),
            no("invalid_transition")
        ]
    );
}

fn reasons(list: &Value) -> Vec<(String, String)> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["reason"].as_str().unwrap().to_owned(),
                i["line"]["subscription_ref"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn attention(w: &World, key: &str) -> Value {
    w.t.get("/api/v1/attention", key).await.ok(200).clone()
}

#[tokio::test]
async fn the_attention_list_names_each_reason_and_a_line_leaves_when_it_is_fixed() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("typo@kund.test", Answer::PermFail);
    let failed = sent_line(&w, "W-ATT-1", "A-WX-CALL", "typo@kund.test", "failed").await;
    let flex = sent_line(&w, "W-ATT-2", "A-FLEX", "kim@kund.test", "sent").await;
    let busy = sent_line(&w, "W-ATT-3", "A-WX-CALL", "ann@kund.test", "sent").await;
    for _ in 0..5 {
        resend(&w, &w.bo, &busy).await.ok(202);
        t.advance(6).await;
    }
    t.email_in_state(&w.pia, &busy, "sent").await;

    let list = attention(&w, &w.pia).await;
    assert_eq!(
        reasons(&list),
        [
            ("last_email_failed".to_owned(), failed.clone()),
            ("resend_budget_used".to_owned(), busy.clone()),
        ],
        "most urgent first: {list}"
    );
    assert_eq!(list["counts"]["last_email_failed"], 1);
    assert_eq!(list["counts"]["closing_soon"], 0, "every reason is counted");
    let item = &list["items"][0]["line"];
    assert!(
        item["last_email"]["last_reply"]
            .as_str()
            .unwrap()
            .starts_with("550"),
        "with the SMTP server's words: {item}"
    );
    assert_eq!(item["attention"], "last_email_failed");
    assert_eq!(list["items"][0]["partner"]["name"], "Acme");
    // One reason only, and a reason that does not exist.
    let one = t
        .get("/api/v1/attention?reason=resend_budget_used", &w.pia)
        .await;
    assert_eq!(
        reasons(one.ok(200)),
        [("resend_budget_used".to_owned(), busy.clone())]
    );
    t.get("/api/v1/attention?reason=soon", &w.pia)
        .await
        .problem(422, "invalid_request");

    // Tenancy: another partner sees none of it; an agent sees it all, the partner named.
    let olle = attention(&w, &w.olle).await;
    assert!(olle["items"].as_array().unwrap().is_empty(), "{olle}");
    assert_eq!(olle["counts"]["last_email_failed"], 0);
    let agent = attention(&w, &w.agent).await;
    assert_eq!(reasons(&agent).len(), 2);

    // Fixed: a new contact gets the email, and the line leaves the list by itself.
    t.send(
        reqwest::Method::PUT,
        &format!("/api/v1/lines/{failed}/provisioning-contact"),
        Some(&w.pia),
        Some(json!({"email": "kim.k@kund.test"})),
    )
    .await
    .ok(200);
    t.email_in_state(&w.pia, &failed, "sent").await;
    // Five and a half days on: the hour's resends are long gone, the 7-day line closes soon.
    t.advance(5 * DAY + DAY / 2).await;
    assert_eq!(
        reasons(&attention(&w, &w.pia).await),
        [("closing_soon".to_owned(), flex.clone())]
    );
    let soon = t
        .get("/api/v1/subscriptions?closing_within_days=2", &w.pia)
        .await;
    let soon: Vec<&str> = soon.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["subscription_ref"].as_str().unwrap())
        .collect();
    assert_eq!(soon, [flex.as_str()]);

    // Two days more: closed by policy, not set up; onboarded; provisioned (gone).
    t.advance(2 * DAY).await;
    closed(&w, &flex).await;
    let list = attention(&w, &w.pia).await;
    assert_eq!(
        reasons(&list),
        [("closed_in_progress".to_owned(), flex.clone())]
    );
    t.post(
        &format!("/api/v1/lines/{flex}/onboarding"),
        &w.erp,
        json!({"organization_name": "Kund AB"}),
    )
    .await
    .ok(200);
    assert_eq!(
        reasons(&attention(&w, &w.pia).await),
        [("onboarded_not_provisioned".to_owned(), flex.clone())]
    );
    t.post(
        &format!("/api/v1/lines/{flex}/provisioned"),
        &w.erp,
        json!({}),
    )
    .await
    .ok(200);
    assert!(reasons(&attention(&w, &w.pia).await).is_empty());
}

#[tokio::test]
async fn subscriptions_filter_by_stage_status_reason_and_deadline_and_sort_by_deadline() {
    let (w, _peer) = World::with_smtp().await;
    let t = &w.t;
    let month = sent_line(&w, "W-SF-1", "A-WX-CALL", "kim@kund.test", "sent").await;
    let week = sent_line(&w, "W-SF-2", "A-FLEX", "ann@kund.test", "sent").await;
    let later = w
        .order_lines("W-SF-3", "en", vec![line("bo@kund.test", "2030-01-15")])
        .await["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let refs = |r: &Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["subscription_ref"].as_str().unwrap().to_owned())
            .collect()
    };
    let pia = w.pia.as_str();
    let get = |q: &str| {
        let path = format!("/api/v1/subscriptions?provisioning=incomplete&{q}");
        async move { t.get(&path, pia).await }
    };
    assert_eq!(
        refs(&get("").await),
        [later.clone(), week.clone(), month.clone()],
        "newest first"
    );
    assert_eq!(
        refs(&get("sort=deadline").await),
        [week.clone(), month.clone(), later.clone()],
        "the nearest deadline first, lines without one last"
    );
    assert_eq!(refs(&get("stage=scheduled").await), vec![later.clone()]);
    assert_eq!(refs(&get("status=closed").await), Vec::<String>::new());
    assert_eq!(
        refs(&get("closing_within_days=8").await),
        vec![week.clone()]
    );
    // Paging keeps the order and the filter.
    let first = get("sort=deadline&limit=2").await;
    assert_eq!(refs(&first), [week.clone(), month.clone()]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    assert_eq!(
        refs(&get(&format!("sort=deadline&limit=2&cursor={cursor}")).await),
        vec![later.clone()]
    );

    t.advance(8 * DAY).await;
    closed(&w, &week).await;
    assert_eq!(refs(&get("status=closed").await), vec![week.clone()]);
    assert_eq!(
        refs(&get("attention=closed_in_progress").await),
        vec![week.clone()]
    );
    // The orders list takes the same filters: orders with such a line.
    let orders = |q: &str| {
        let path = format!("/api/v1/orders?{q}");
        async move {
            t.get(&path, pia).await.ok(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["order_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(orders("attention=closed_in_progress").await, ["W-SF-2"]);
    // W-SF-2 closed (no running window): after the one that has, newest first.
    assert_eq!(
        orders("sort=deadline").await,
        ["W-SF-1", "W-SF-3", "W-SF-2"]
    );
    assert_eq!(orders("closing_within_days=30").await, ["W-SF-1"]);
    t.get("/api/v1/orders?attention=late", pia)
        .await
        .problem(422, "invalid_request");
    for bad in [
        "sort=oldest",
        "closing_within_days=-1",
        "closing_within_days=soon",
        "attention=late",
        "stage=nonsense",
    ] {
        get(bad).await.problem(422, "invalid_request");
    }
}
