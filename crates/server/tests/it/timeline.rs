//! A line's timeline (SPEC §11, issue 19 point 4): `GET /api/v1/lines/{ref}/timeline`, who
//! did what in words, newest first, events, emails and delivery joined; `?format=csv` the
//! same as CSV; another tenant's line answers as an unknown one.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::{Answer, SmtpPeer};

async fn timeline_in(t: &TestApp, key: &str, sub: &str, language: &str) -> Reply {
    let url = format!("{}/api/v1/lines/{sub}/timeline", t.base);
    TestApp::reply(
        t.http
            .get(url)
            .bearer_auth(key)
            .header("accept-language", language),
    )
    .await
}

async fn items(t: &TestApp, key: &str, sub: &str) -> Vec<Value> {
    let reply = timeline_in(t, key, sub, "en").await;
    reply.ok(200)["items"].as_array().unwrap().clone()
}

/// The first item of `kind` (newest first).
fn find<'a>(items: &'a [Value], kind: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {items:#?}"))
}

#[track_caller]
fn newest_first(items: &[Value]) {
    let at: Vec<&str> = items.iter().map(|i| i["at"].as_str().unwrap()).collect();
    let mut sorted = at.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(at, sorted, "newest first");
}

/// A line due today for kim, emailed through a real SMTP peer; its ref and setup link.
async fn emailed(web_id: &str) -> (World, SmtpPeer, String, String) {
    let (w, peer) = World::with_smtp().await;
    let sub = w.line_due_today(web_id, "kim@kund.test").await;
    let link = peer.wait_for(1).await[0].setup_link();
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    (w, peer, sub, link)
}

#[tokio::test]
async fn the_first_send_a_partners_resend_and_the_customers_onboarding_each_name_who() {
    let (w, peer, sub, link) = emailed("W-TL1").await;
    let t = &w.t;
    t.post(&format!("/api/v1/lines/{sub}/resend"), &w.pia, json!({}))
        .await;
    peer.wait_for(2).await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    let form = [("organization_name", "Kund AB Org")];
    let done = TestApp::reply(t.http.post(&link).form(&form)).await;
    assert_eq!(done.status.as_u16(), 200, "{}", done.text);

    let items = items(t, &w.bo, &sub).await;
    newest_first(&items);
    assert_eq!(items[0]["type"], "line.onboarded", "{items:#?}");
    assert_eq!(items[0]["actor"], "the customer, on the setup page");
    assert!(
        items[0]["details"]
            .as_str()
            .unwrap()
            .contains("Kund AB Org")
    );
    let resend = find(&items, "resend.requested");
    assert_eq!(resend["actor"], "Pia Partner");
    assert_eq!(resend["what"], "Resend requested");
    let first = find(&items, "email.queued");
    assert_eq!(first["actor"], "provisio, on the requested start date");
    assert_eq!(
        first["details"], "The first email to kim@kund.test.",
        "{first}"
    );
    let sent = items.iter().rfind(|i| i["type"] == "email.sent").unwrap();
    assert_eq!(sent["actor"], "provisio");
    assert!(
        sent["details"]
            .as_str()
            .unwrap()
            .contains("The mail server accepted it: 250"),
        "{sent}"
    );
    assert!(sent["reply"].as_str().unwrap().starts_with("250"), "{sent}");
    let placed = items.last().unwrap();
    assert_eq!(
        (&placed["type"], &placed["actor"]),
        (&json!("order.created"), &json!("Pia Partner"))
    );
    // Never an internal code in the words.
    for item in &items {
        for field in ["actor", "what", "details"] {
            let text = item[field].as_str().unwrap();
            assert!(
                !text.contains("email.") && !text.contains("_") && !text.contains("line."),
                "{field}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn a_contact_change_shows_old_and_new_and_a_failed_delivery_the_servers_reply() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("lo@kund.test", Answer::PermFail);
    let sub = w.line_due_today("W-TL2", "kim@kund.test").await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    t.send(
        reqwest::Method::PUT,
        &format!("/api/v1/lines/{sub}/provisioning-contact"),
        Some(&w.bo),
        Some(json!({"email": "lo@kund.test"})),
    )
    .await
    .ok(200);
    w.t.email_in_state(&w.pia, &sub, "failed").await;

    let items = items(t, &w.pia, &sub).await;
    newest_first(&items);
    let failed = &items[0];
    assert_eq!(failed["type"], "email.failed", "{items:#?}");
    assert_eq!(failed["actor"], "provisio");
    assert_eq!(failed["what"], "Email could not be delivered");
    assert_eq!(failed["reply"], "550 5.1.1 No such user");
    assert!(
        failed["details"]
            .as_str()
            .unwrap()
            .contains("The mail server refused it: 550 5.1.1 No such user"),
        "{failed}"
    );
    let changed = find(&items, "contact.changed");
    assert_eq!(changed["actor"], "Bo");
    assert_eq!(
        changed["contact"],
        json!({"from": "kim@kund.test", "to": "lo@kund.test"})
    );
    assert!(
        changed["details"]
            .as_str()
            .unwrap()
            .starts_with("From kim@kund.test to lo@kund.test."),
        "{changed}"
    );

    // In Swedish when asked.
    let sv = timeline_in(t, &w.pia, &sub, "sv-SE,sv;q=0.9").await;
    let sv = sv.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(sv[0]["what"], "E-posten kunde inte levereras");
    assert_eq!(
        find(&sv, "contact.changed")["what"],
        "Etableringskontakten ändrades"
    );
}

#[tokio::test]
async fn csv_gives_the_same_rows_with_a_header_and_a_file_name() {
    let w = World::new().await;
    let t = &w.t;
    let order = w.order("W-TL3", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    t.send(
        reqwest::Method::PUT,
        &format!("/api/v1/lines/{sub}/provisioning-contact"),
        Some(&w.pia),
        Some(json!({"email": "lo@kund.test"})),
    )
    .await
    .ok(200);
    let json_items = items(t, &w.pia, sub).await;

    let url = format!("{}/api/v1/lines/{sub}/timeline?format=csv", t.base);
    let reply = TestApp::reply(t.http.get(&url).bearer_auth(&w.pia)).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert!(reply.content_type().starts_with("text/csv"));
    let disposition = reply.headers["content-disposition"].to_str().unwrap();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"{sub}-timeline.csv\"")
    );
    let mut rows = csv::Reader::from_reader(reply.text.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        ["When", "Who", "What", "Details"]
    );
    let rows: Vec<Vec<String>> = rows
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), json_items.len());
    for (row, item) in rows.iter().zip(&json_items) {
        assert_eq!(row[0], item["at"].as_str().unwrap());
        assert_eq!(row[1], item["actor"].as_str().unwrap());
        assert_eq!(row[2], item["what"].as_str().unwrap());
        assert_eq!(row[3], item["details"].as_str().unwrap());
    }
    assert_eq!(rows[0][1], "Pia Partner");
    assert!(rows[0][3].contains("From kim@kund.test to lo@kund.test."));

    let sv = TestApp::reply(
        t.http
            .get(&url)
            .bearer_auth(&w.pia)
            .header("accept-language", "sv"),
    )
    .await;
    assert!(sv.text.starts_with("När,Vem,Vad,Detaljer"), "{}", sv.text);

    let bad = t
        .get(&format!("/api/v1/lines/{sub}/timeline?format=xml"), &w.pia)
        .await;
    let problem = bad.problem(422, "invalid_request");
    assert_eq!(problem["errors"][0]["path"], "format", "{problem}");
}

#[tokio::test]
async fn another_tenants_line_answers_like_an_unknown_one() {
    let w = World::new().await;
    let order = w.order("W-TL4", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    let theirs =
        w.t.get(&format!("/api/v1/lines/{sub}/timeline"), &w.olle)
            .await;
    let unknown = w.t.get("/api/v1/lines/Sub9999999/timeline", &w.olle).await;
    let (a, b) = (
        theirs.problem(404, "not_found").clone(),
        unknown.problem(404, "not_found").clone(),
    );
    assert_eq!(a, b);
    let csv =
        w.t.get(&format!("/api/v1/lines/{sub}/timeline?format=csv"), &w.olle)
            .await;
    assert_eq!(csv.problem(404, "not_found"), &b);
    // Their own partner's people and the distributor see it.
    for key in [&w.pia, &w.dana, &w.agent] {
        w.t.get(&format!("/api/v1/lines/{sub}/timeline"), key)
            .await
            .ok(200);
    }
}
