//! The limits on opening support cases (SPEC §11; issue 20): one open case per line and
//! request type (the second is answered with the first), and 10 cases per user per hour,
//! refused requests not counted.

use serde_json::json;

use crate::cases_api::{about_line, about_order, case_id, open_case, sub_refs};
use crate::helpers::*;

#[tokio::test]
async fn a_second_open_case_for_a_line_and_request_type_names_the_first_until_it_is_resolved() {
    let w = World::new().await;
    let order = w.order("W-DUP-1", &["kim@kund.test", "lo@kund.test"]).await;
    let subs = sub_refs(&order);
    let resend = |i: usize| about_line(&subs[i], "resend_provisioning_email");
    let first = case_id(open_case(&w, &w.pia, resend(0)).await.ok(201));

    // A colleague and support are answered with the open case.
    for key in [&w.bo, &w.agent] {
        let again = open_case(&w, key, resend(0)).await;
        assert_eq!(
            again.problem(409, "already_exists")["case_id"],
            first.as_str()
        );
    }
    // Waiting on the opener is still open.
    let answer = json!({"body": "Resent; please look in the spam folder"});
    let path = format!("/api/v1/cases/{first}");
    w.t.post(&format!("{path}/comments"), &w.agent, answer)
        .await
        .ok(201);
    let again = open_case(&w, &w.cy, resend(0)).await;
    assert_eq!(
        again.problem(409, "already_exists")["case_id"],
        first.as_str()
    );
    // Another partner learns nothing of it: the line is not theirs.
    open_case(&w, &w.olle, resend(0))
        .await
        .problem(404, "not_found");
    // Another request type, or another line, is another case.
    open_case(
        &w,
        &w.bo,
        about_line(&subs[0], "change_provisioning_contact"),
    )
    .await
    .ok(201);
    open_case(&w, &w.bo, resend(1)).await.ok(201);
    // Cases about the whole order are never duplicates of each other.
    open_case(&w, &w.bo, about_order("W-DUP-1")).await.ok(201);
    open_case(&w, &w.bo, about_order("W-DUP-1")).await.ok(201);
    // The refused ones stored nothing.
    let listed =
        w.t.get(
            "/api/v1/cases?request_type=resend_provisioning_email",
            &w.agent,
        )
        .await;
    assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 2);

    // Once resolved, a new one may be opened, and it is the one later duplicates name.
    w.t.post(&format!("{path}/resolve"), &w.pia, json!({}))
        .await
        .ok(200);
    let second = case_id(open_case(&w, &w.bo, resend(0)).await.ok(201));
    assert_ne!(second, first);
    let again = open_case(&w, &w.pia, resend(0)).await;
    assert_eq!(
        again.problem(409, "already_exists")["case_id"],
        second.as_str()
    );
    // The opener's comment would reopen the first case beside the second: it is answered
    // with the open one like a new case would be, and the first stays as it was.
    let comment = json!({"body": "Still no email"});
    let reopening = w.t.post(&format!("{path}/comments"), &w.pia, comment).await;
    assert_eq!(
        reopening.problem(409, "already_exists")["case_id"],
        second.as_str()
    );
    let first_now = w.t.get(&path, &w.pia).await.ok(200).clone();
    assert_eq!(first_now["state"], "resolved");
    let said = first_now["comments"].as_array().unwrap().iter();
    assert!(
        said.clone().all(|c| c["body"] != "Still no email"),
        "{first_now}"
    );
    // Once the second is resolved too, the first may be reopened.
    let second_path = format!("/api/v1/cases/{second}/resolve");
    w.t.post(&second_path, &w.agent, json!({})).await.ok(200);
    let comment = json!({"body": "Still no email"});
    let reopened = w.t.post(&format!("{path}/comments"), &w.pia, comment).await;
    assert_eq!(reopened.ok(201)["state"], "open");
}

#[tokio::test]
async fn ten_cases_an_hour_per_user_refused_requests_not_counted() {
    let w = World::new().await;
    let order = w.order("W-RATE-1", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];
    let first = about_line(sub, "resend_provisioning_email");
    open_case(&w, &w.pia, first.clone()).await.ok(201);
    // Refused requests: a duplicate, a line she cannot see, a bad request type.
    for _ in 0..3 {
        open_case(&w, &w.pia, first.clone())
            .await
            .problem(409, "already_exists");
        let unknown = about_line("Sub999999999", "other");
        open_case(&w, &w.pia, unknown)
            .await
            .problem(404, "not_found");
        let bad = about_line(sub, "refund_please");
        open_case(&w, &w.pia, bad)
            .await
            .problem(422, "invalid_request");
    }
    // Nine more make ten.
    for _ in 0..9 {
        open_case(&w, &w.pia, about_order("W-RATE-1")).await.ok(201);
    }

    let eleventh = open_case(&w, &w.pia, about_order("W-RATE-1")).await;
    let problem = eleventh.problem(429, "rate_limited").clone();
    let header: u64 = eleventh.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&header), "Retry-After: {header}");
    assert_eq!(problem["retry_after"], header);
    assert!(
        problem["detail"].as_str().unwrap().contains("10"),
        "{problem}"
    );
    // Nothing of the refused case was stored.
    let listed = w.t.get("/api/v1/cases?limit=200", &w.agent).await;
    assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 10);
    // The limit is Pia's own: her colleague may open one.
    open_case(&w, &w.bo, about_order("W-RATE-1")).await.ok(201);

    // An hour later by the service clock, she may again.
    w.t.advance(3600).await;
    open_case(&w, &w.pia, about_order("W-RATE-1")).await.ok(201);
}
