//! Support cases through the API, route by route and role by role (SPEC §7, §8, §11; issue
//! 20): who may open a case about what, the list's filters and pages in each caller's scope,
//! and who may read and work a case. Another company's case, line or order answers exactly
//! like an unknown one. The duplicate-case answer and the opening limit are in
//! `cases_limits.rs`, uploads in `cases_uploads.rs`, notifications in `cases_mail.rs`.

use serde_json::{Value, json};

use crate::helpers::*;

/// `POST /api/v1/cases` with a JSON body.
pub async fn open_case(w: &World, key: &str, body: Value) -> Reply {
    w.t.post("/api/v1/cases", key, body).await
}

/// A case about the line `sub`.
pub fn about_line(sub: &str, request_type: &str) -> Value {
    json!({"request_type": request_type, "subscription_ref": sub,
           "description": "Kim never got the provisioning email"})
}

/// A case about a whole order.
pub fn about_order(order_id: &str) -> Value {
    json!({"request_type": "other", "order_id": order_id,
           "description": "Questions about the whole order"})
}

pub fn case_id(case: &Value) -> String {
    case["id"].as_str().unwrap().to_owned()
}

/// The subscription references of an Order, in line order.
pub fn sub_refs(order: &Value) -> Vec<String> {
    order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["subscription_ref"].as_str().unwrap().to_owned())
        .collect()
}

/// The case ids of a list, in the order listed.
fn listed(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(case_id)
        .collect()
}

/// `GET /api/v1/cases?{query}` as `key`: the ids listed (one page).
async fn list(w: &World, key: &str, query: &str) -> Vec<String> {
    let reply = w.t.get(&format!("/api/v1/cases?{query}"), key).await;
    listed(reply.ok(200))
}

/// Olle (another partner) places an order of one line; returns its subscription reference.
async fn olles_line(w: &World, web_id: &str) -> String {
    let mut body = order_body();
    body["web_order_id"] = json!(web_id);
    let order =
        w.t.post("/api/v1/orders", &w.olle, body)
            .await
            .ok(201)
            .clone();
    sub_refs(&order).remove(0)
}

#[tokio::test]
async fn partners_distributors_and_agents_open_cases_about_what_they_may_see() {
    let w = World::new().await;
    let order = w.order("W-OPEN-1", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];

    let pias = open_case(&w, &w.pia, about_line(sub, "resend_provisioning_email")).await;
    let pias = pias.ok(201);
    assert_eq!(pias["state"], "open");
    assert_eq!(pias["subscription_ref"], sub.as_str());
    assert_eq!(pias["order_id"], "W-OPEN-1");
    assert_eq!(pias["opened_by"]["email"], "pia@acme.test");
    assert_eq!(pias["company"]["name"], "Acme");
    assert_eq!(pias["comments"], json!([]));
    assert_eq!(pias["attachments"], json!([]));
    // The distributor the order names, about the same line (another request type).
    let danas = open_case(&w, &w.dana, about_line(sub, "change_provisioning_contact")).await;
    assert_eq!(danas.ok(201)["company"]["name"], "Dist");
    // Support may open one about any line.
    let agents = open_case(&w, &w.agent, about_line(sub, "other")).await;
    assert_eq!(agents.ok(201)["opened_by"]["email"], "agent@op.test");

    // Another partner: the same answer as for a line or an order that does not exist.
    let theirs = open_case(&w, &w.olle, about_line(sub, "other")).await;
    let unknown = open_case(&w, &w.olle, about_line("Sub999999999", "other")).await;
    theirs.problem(404, "not_found");
    assert_eq!(theirs.body, unknown.body);
    let theirs = open_case(&w, &w.olle, about_order("W-OPEN-1")).await;
    let unknown = open_case(&w, &w.olle, about_order("W-NO-SUCH-ORDER")).await;
    theirs.problem(404, "not_found");
    assert_eq!(theirs.body, unknown.body);
    open_case(&w, &w.pia, about_line("not-a-ref", "other"))
        .await
        .problem(404, "not_found");

    // A case about a whole order, without a line.
    let about = open_case(&w, &w.bo, about_order("W-OPEN-1")).await;
    let about = about.ok(201);
    assert_eq!(about["order_id"], "W-OPEN-1");
    assert_eq!(about["subscription_ref"], Value::Null);
    // A line and an order it is not a line of.
    w.order("W-OPEN-2", &["kim@kund.test"]).await;
    let mut both = about_line(sub, "other");
    both["order_id"] = json!("W-OPEN-2");
    let mismatch = open_case(&w, &w.bo, both).await;
    assert_eq!(
        mismatch.problem(422, "invalid_request")["errors"][0]["path"],
        "order_id"
    );

    // Bad input: about nothing, an unknown request type, no description, an unknown field.
    let nothing = json!({"request_type": "other", "description": "Help"});
    let nothing = open_case(&w, &w.pia, nothing).await;
    assert_eq!(
        nothing.problem(422, "invalid_request")["errors"][0]["path"],
        "subscription_ref"
    );
    let bad_type = open_case(&w, &w.pia, about_line(sub, "refund_please")).await;
    assert_eq!(
        bad_type.problem(422, "invalid_request")["errors"][0]["path"],
        "request_type"
    );
    let mut blank = about_line(sub, "other");
    blank["description"] = json!("   ");
    let blank = open_case(&w, &w.pia, blank).await;
    assert_eq!(
        blank.problem(422, "invalid_request")["errors"][0]["path"],
        "description"
    );
    let mut extra = about_line(sub, "other");
    extra["priority"] = json!("urgent");
    let extra = open_case(&w, &w.pia, extra).await;
    assert!(
        extra.problem(400, "invalid_request")["detail"]
            .as_str()
            .unwrap()
            .contains("priority")
    );
    // Without a key.
    let anonymous = w.t.send(
        reqwest::Method::POST,
        "/api/v1/cases",
        None,
        Some(about_order("W-OPEN-1")),
    );
    anonymous.await.problem(401, "unauthenticated");

    // Only the four cases that were accepted exist.
    assert_eq!(list(&w, &w.agent, "").await.len(), 4);
}

#[tokio::test]
async fn lists_filter_and_page_newest_first_within_the_callers_scope() {
    let w = World::new().await;
    let order = w
        .order("W-LIST-1", &["a@kund.test", "b@kund.test", "c@kund.test"])
        .await;
    let subs = sub_refs(&order);
    let mut acme = vec![];
    for (sub, request_type) in subs
        .iter()
        .zip(["resend_provisioning_email", "other", "other"])
    {
        let case = open_case(&w, &w.pia, about_line(sub, request_type)).await;
        acme.push(case_id(case.ok(201)));
    }
    acme.push(case_id(
        open_case(&w, &w.bo, about_order("W-LIST-1")).await.ok(201),
    ));
    let olles_sub = olles_line(&w, "W-LIST-OTHER").await;
    let olles = case_id(
        open_case(&w, &w.olle, about_line(&olles_sub, "other"))
            .await
            .ok(201),
    );
    // The second waits on Pia after a public answer; the third is resolved.
    let answer = json!({"body": "Which address did you expect?"});
    let path = |id: &str, action: &str| format!("/api/v1/cases/{id}/{action}");
    w.t.post(&path(&acme[1], "comments"), &w.agent, answer)
        .await
        .ok(201);
    w.t.post(&path(&acme[2], "resolve"), &w.agent, json!({}))
        .await
        .ok(200);

    // Newest first; each member sees their company's cases, support every company's.
    let newest_first: Vec<String> = acme.iter().rev().cloned().collect();
    assert_eq!(list(&w, &w.pia, "").await, newest_first);
    assert_eq!(list(&w, &w.cy, "").await, newest_first);
    assert_eq!(list(&w, &w.olle, "").await, [olles.as_str()]);
    assert_eq!(list(&w, &w.dana, "").await, Vec::<String>::new());
    let mut everything = vec![olles.clone()];
    everything.extend(newest_first.iter().cloned());
    assert_eq!(list(&w, &w.agent, "").await, everything);
    assert_eq!(list(&w, &w.t.admin, "").await, everything);

    // Filters, alone and together.
    let pick = |ix: &[usize]| -> Vec<String> { ix.iter().map(|&i| acme[i].clone()).collect() };
    assert_eq!(list(&w, &w.pia, "state=open").await, pick(&[3, 0]));
    assert_eq!(list(&w, &w.pia, "state=waiting").await, pick(&[1]));
    assert_eq!(list(&w, &w.pia, "state=resolved").await, pick(&[2]));
    assert_eq!(
        list(&w, &w.pia, "request_type=other").await,
        pick(&[3, 2, 1])
    );
    assert_eq!(
        list(&w, &w.pia, "request_type=other&state=open").await,
        pick(&[3])
    );
    assert_eq!(
        list(&w, &w.pia, &format!("subscription_ref={}", subs[0])).await,
        pick(&[0])
    );
    let theirs = format!("subscription_ref={olles_sub}");
    assert_eq!(list(&w, &w.pia, &theirs).await, Vec::<String>::new());
    assert_eq!(list(&w, &w.agent, &theirs).await, [olles.as_str()]);

    // Keyset pages: two of two, then the rest, then none left.
    let first =
        w.t.get("/api/v1/cases?limit=2", &w.agent)
            .await
            .ok(200)
            .clone();
    assert_eq!(listed(&first), everything[..2]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second =
        w.t.get(&format!("/api/v1/cases?limit=2&cursor={cursor}"), &w.agent)
            .await;
    assert_eq!(listed(second.ok(200)), everything[2..4]);
    let cursor = second.body["next_cursor"].as_str().unwrap();
    let last =
        w.t.get(&format!("/api/v1/cases?limit=2&cursor={cursor}"), &w.agent)
            .await;
    assert_eq!(listed(last.ok(200)), everything[4..]);
    assert_eq!(last.body["next_cursor"], Value::Null);
    // A filtered list pages within its filter.
    let open =
        w.t.get("/api/v1/cases?state=open&limit=1", &w.agent)
            .await
            .ok(200)
            .clone();
    assert_eq!(listed(&open), [olles.as_str()]);
    let cursor = open["next_cursor"].as_str().unwrap();
    let next = format!("/api/v1/cases?state=open&limit=1&cursor={cursor}");
    let next = w.t.get(&next, &w.agent).await;
    assert_eq!(listed(next.ok(200)), [acme[3].clone()]);

    // Filters that are no such thing.
    for bad in [
        "state=closed",
        "request_type=refund",
        "subscription_ref=nope",
        "limit=0",
    ] {
        let reply = w.t.get(&format!("/api/v1/cases?{bad}"), &w.pia).await;
        reply.problem(422, "invalid_request");
    }
    w.t.get("/api/v1/cases?cursor=junk", &w.pia)
        .await
        .problem(400, "invalid_request");
}

#[tokio::test]
async fn reading_and_working_a_case_follows_the_role_and_the_company() {
    let w = World::new().await;
    let order = w.order("W-WORK-1", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];
    let case = open_case(&w, &w.pia, about_line(sub, "resend_provisioning_email")).await;
    let id = case_id(case.ok(201));
    let path = format!("/api/v1/cases/{id}");
    let unknown = "/api/v1/cases/0190f3a2-0000-7000-8000-000000000000";

    // Reading: the opener's company and support; another company as if there were no case.
    for key in [&w.pia, &w.cy, &w.agent, &w.t.admin] {
        assert_eq!(w.t.get(&path, key).await.ok(200)["id"], id.as_str());
    }
    let theirs = w.t.get(&path, &w.olle).await;
    theirs.problem(404, "not_found");
    assert_eq!(theirs.body, w.t.get(unknown, &w.olle).await.body);
    w.t.get("/api/v1/cases/not-a-case", &w.pia)
        .await
        .problem(404, "not_found");

    // Every action on another company's case, or on no case, is not found; nothing changes.
    for action in ["comments", "claim", "resolve", "resend"] {
        let body = if action == "comments" {
            json!({"body": "Mine now"})
        } else {
            json!({})
        };
        for (key, target) in [(&w.olle, path.as_str()), (&w.agent, unknown)] {
            let reply =
                w.t.post(&format!("{target}/{action}"), key, body.clone())
                    .await;
            reply.problem(404, "not_found");
        }
    }
    let untouched = w.t.get(&path, &w.agent).await.ok(200).clone();
    assert_eq!(
        (
            untouched["state"].as_str(),
            untouched["comments"].as_array().unwrap().len()
        ),
        (Some("open"), 0)
    );
    assert_eq!(untouched["claimed_by"], Value::Null);

    // Support's work: members may not claim, resend or write internal notes, whatever
    // their resend permission.
    for key in [&w.pia, &w.bo] {
        w.t.post(&format!("{path}/claim"), key, json!({}))
            .await
            .problem(403, "permission_denied");
        w.t.post(&format!("{path}/resend"), key, json!({}))
            .await
            .problem(403, "permission_denied");
        let note = json!({"body": "psst", "internal": true});
        w.t.post(&format!("{path}/comments"), key, note)
            .await
            .problem(403, "permission_denied");
    }
    let claimed =
        w.t.post(&format!("{path}/claim"), &w.agent, json!({}))
            .await;
    assert_eq!(claimed.ok(200)["claimed_by"]["email"], "agent@op.test");
    let resent =
        w.t.post(&format!("{path}/resend"), &w.agent, json!({}))
            .await;
    assert_eq!(resent.ok(202)["kind"], "resend");
    let note = json!({"body": "kund.test greylists", "internal": true});
    w.t.post(&format!("{path}/comments"), &w.agent, note)
        .await
        .ok(201);

    // Comments: bad ones are refused.
    let empty =
        w.t.post(&format!("{path}/comments"), &w.cy, json!({"body": " "}))
            .await;
    assert_eq!(
        empty.problem(422, "invalid_request")["errors"][0]["path"],
        "body"
    );
    let extra = json!({"body": "Hello", "public": true});
    w.t.post(&format!("{path}/comments"), &w.cy, extra)
        .await
        .problem(400, "invalid_request");
    let said =
        w.t.post(
            &format!("{path}/comments"),
            &w.cy,
            json!({"body": "Thanks"}),
        )
        .await;
    let said = said.ok(201);
    // Found by its words, not as the last: the note that the resend above was accepted by
    // the mail server is written when delivery gets to it, which may be after this comment.
    let comments = said["comments"].as_array().unwrap();
    let thanks: Vec<_> = comments.iter().filter(|c| c["body"] == "Thanks").collect();
    assert_eq!(thanks.len(), 1, "{comments:?}");
    assert_eq!(thanks[0]["author"]["email"], "cy@acme.test");

    // The opener's colleague may resolve it; resolving again changes nothing.
    let resolved =
        w.t.post(&format!("{path}/resolve"), &w.cy, json!({}))
            .await
            .ok(200)
            .clone();
    assert_eq!(resolved["state"], "resolved");
    let again =
        w.t.post(&format!("{path}/resolve"), &w.agent, json!({}))
            .await
            .ok(200)
            .clone();
    assert_eq!(again["resolved_at"], resolved["resolved_at"]);

    // A case about a whole order has no provisioning email to resend.
    let about = open_case(&w, &w.pia, about_order("W-WORK-1")).await;
    let about = case_id(about.ok(201));
    let resend =
        w.t.post(
            &format!("/api/v1/cases/{about}/resend"),
            &w.agent,
            json!({}),
        )
        .await;
    resend.problem(409, "invalid_transition");
}
