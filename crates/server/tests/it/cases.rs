//! Support cases through the API (SPEC §7, §8, §10, §11; issue 20): the conversation and
//! its states, who sees what, the on-behalf resend, notifications at the real SMTP peer.

use serde_json::{Value, json};

use crate::helpers::*;

/// Pia opens a case about `sub`.
async fn open(w: &World, key: &str, sub: &str, request_type: &str) -> Reply {
    let body = json!({"request_type": request_type, "subscription_ref": sub,
                      "description": "Kim never got the email"});
    w.t.post("/api/v1/cases", key, body).await
}

fn id(case: &Value) -> String {
    case["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_case_goes_from_open_to_waiting_to_open_to_resolved() {
    let w = World::new().await;
    let order = w.order("W-CASE-1", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    let case = open(&w, &w.pia, sub, "resend_provisioning_email")
        .await
        .ok(201)
        .clone();
    assert_eq!(case["state"], "open");
    assert_eq!(case["subscription_ref"], sub);
    assert_eq!(case["order_id"], "W-CASE-1");
    let path = format!("/api/v1/cases/{}", id(&case));

    // The agent answers publicly: the case waits on the opener.
    let answered =
        w.t.post(
            &format!("{path}/comments"),
            &w.agent,
            json!({"body": "Resent; check spam"}),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(answered["state"], "waiting");
    assert!(answered["first_answer_at"].is_string());
    // An internal note moves nothing, and the opener's side never sees it.
    w.t.post(
        &format!("{path}/comments"),
        &w.agent,
        json!({"body": "kund.test greylists", "internal": true}),
    )
    .await
    .ok(201);
    let seen_by_pia = w.t.get(&path, &w.pia).await.ok(200).clone();
    let bodies: Vec<&str> = seen_by_pia["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Resent; check spam"]);
    let seen_by_agent = w.t.get(&path, &w.agent).await.ok(200).clone();
    assert_eq!(seen_by_agent["comments"].as_array().unwrap().len(), 2);
    // Pia may not write internal notes.
    w.t.post(
        &format!("{path}/comments"),
        &w.pia,
        json!({"body": "psst", "internal": true}),
    )
    .await
    .problem(403, "permission_denied");

    // Her colleague's comment opens it again.
    let reopened =
        w.t.post(
            &format!("{path}/comments"),
            &w.cy,
            json!({"body": "Still nothing"}),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(reopened["state"], "open");
    let claimed =
        w.t.post(&format!("{path}/claim"), &w.agent, json!({}))
            .await
            .ok(200)
            .clone();
    assert_eq!(claimed["claimed_by"]["email"], "agent@op.test");
    w.t.post(&format!("{path}/claim"), &w.pia, json!({}))
        .await
        .problem(403, "permission_denied");
    let resolved =
        w.t.post(&format!("{path}/resolve"), &w.agent, json!({}))
            .await
            .ok(200)
            .clone();
    assert_eq!(resolved["state"], "resolved");
    assert!(resolved["resolved_at"].is_string());

    // What happened, oldest first, with who did it; the internal note's event only for
    // support.
    let types = |case: &Value| -> Vec<(String, String)> {
        case["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let who = e["actor"]["email"].as_str().unwrap_or("-").to_owned();
                (e["type"].as_str().unwrap().to_owned(), who)
            })
            .collect()
    };
    let agent_view = w.t.get(&path, &w.agent).await.ok(200).clone();
    let pair = |t: &str, who: &str| (t.to_owned(), who.to_owned());
    assert_eq!(
        types(&agent_view),
        [
            pair("case.opened", "pia@acme.test"),
            pair("case.commented", "agent@op.test"),
            pair("case.commented", "agent@op.test"),
            pair("case.commented", "cy@acme.test"),
            pair("case.reopened", "cy@acme.test"),
            pair("case.claimed", "agent@op.test"),
            pair("case.resolved", "agent@op.test"),
        ]
    );
    let pias_view = w.t.get(&path, &w.pia).await.ok(200).clone();
    assert_eq!(types(&pias_view).len(), 6, "not the internal note's");
}

#[tokio::test]
async fn another_company_answers_not_found_and_a_second_open_case_names_the_first() {
    let w = World::new().await;
    let order = w.order("W-CASE-2", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    // Olle's company does not see the line: the same answer as an unknown one.
    open(&w, &w.olle, sub, "other")
        .await
        .problem(404, "not_found");
    open(&w, &w.olle, "Sub9999999", "other")
        .await
        .problem(404, "not_found");
    let first = open(&w, &w.pia, sub, "resend_provisioning_email")
        .await
        .ok(201)
        .clone();
    let path = format!("/api/v1/cases/{}", id(&first));
    w.t.get(&path, &w.olle).await.problem(404, "not_found");
    w.t.get(&format!("/api/v1/cases/{}", uuid_like()), &w.pia)
        .await
        .problem(404, "not_found");
    w.t.get("/api/v1/cases/not-a-case", &w.pia)
        .await
        .problem(404, "not_found");
    let again = open(&w, &w.bo, sub, "resend_provisioning_email").await;
    let problem = again.problem(409, "already_exists");
    assert_eq!(problem["case_id"], id(&first));
    // Another request type for the same line is another case.
    open(&w, &w.bo, sub, "change_provisioning_contact")
        .await
        .ok(201);
    // Lists: Pia's company sees both, Olle none, the agent every company's.
    let listed = w.t.get("/api/v1/cases", &w.pia).await.ok(200).clone();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let listed = w.t.get("/api/v1/cases", &w.olle).await.ok(200).clone();
    assert!(listed["items"].as_array().unwrap().is_empty());
    let listed =
        w.t.get("/api/v1/cases?request_type=other", &w.agent)
            .await
            .ok(200)
            .clone();
    assert!(listed["items"].as_array().unwrap().is_empty());
}

fn uuid_like() -> &'static str {
    "0190f3a2-0000-7000-8000-000000000000"
}

#[tokio::test]
async fn a_case_is_its_companys_so_a_partners_case_neither_blocks_nor_shows_to_its_distributor() {
    let w = World::new().await;
    let order = w.order("W-CASE-3", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    let partners = open(&w, &w.pia, sub, "resend_provisioning_email")
        .await
        .ok(201)
        .clone();
    // Dana (the distributor serving Acme) sees the line and opens her own case about it.
    let distributors = open(&w, &w.dana, sub, "resend_provisioning_email")
        .await
        .ok(201)
        .clone();
    assert_ne!(id(&partners), id(&distributors));
    w.t.get(&format!("/api/v1/cases/{}", id(&partners)), &w.dana)
        .await
        .problem(404, "not_found");
    // Within one company the rule stands.
    let again = open(&w, &w.cy, sub, "resend_provisioning_email").await;
    assert_eq!(
        again.problem(409, "already_exists")["case_id"],
        id(&partners)
    );
}

#[tokio::test]
async fn support_sees_each_notice_of_a_case_with_its_delivery_state_and_reply() {
    let (w, _peer) = World::with_smtp_and(|c| {
        c.support_email = Some(provisio_domain::ContactEmail::parse("help@op.test").unwrap());
    })
    .await;
    let order = w.order("W-CASE-4", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    let case = open(&w, &w.pia, sub, "resend_provisioning_email")
        .await
        .ok(201)
        .clone();
    let path = format!("/api/v1/cases/{}", id(&case));
    let seen =
        w.t.until("the agents' notice to be sent", || async {
            let c = w.t.get(&path, &w.agent).await.ok(200).clone();
            let sent = c["emails"][0]["state"] == "sent";
            sent.then_some(c)
        })
        .await;
    let notice = &seen["emails"][0];
    assert_eq!(notice["kind"], "case_opened");
    assert_eq!(notice["to"], "help@op.test");
    assert!(notice["last_reply"].as_str().unwrap().starts_with("250"));
    // The opener's side does not see support's mail.
    let theirs = w.t.get(&path, &w.pia).await.ok(200).clone();
    assert!(theirs.get("emails").is_none(), "{theirs}");
}
