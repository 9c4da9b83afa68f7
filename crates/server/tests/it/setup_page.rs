//! The provisioning contact's setup page (R7, SPEC §8 "Setup links"), reached through the
//! link of an email the SMTP peer received: live 200 in the line's locale, onboarding by
//! POST, 410 for spent or revoked links, 404 for unknown ones, validation, picking an
//! organization onboarded earlier, and the headers that keep the token private.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::SmtpPeer;

/// The setup link of the `n`-th message (counting from 1) the peer accepted.
async fn link_of(peer: &SmtpPeer, n: usize) -> String {
    peer.wait_for(n).await[n - 1].setup_link()
}

/// A world with SMTP and one line due today for `contact`, emailed; its ref and link.
async fn emailed(web_id: &str, locale: &str, contact: &str) -> (World, SmtpPeer, String, String) {
    let (w, peer) = World::with_smtp().await;
    let order = w
        .order_lines(web_id, locale, vec![line(contact, &w.t.today())])
        .await;
    let sub = order["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = link_of(&peer, 1).await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    (w, peer, sub, link)
}

async fn open(t: &TestApp, url: &str) -> Reply {
    TestApp::reply(t.http.get(url)).await
}

async fn submit(t: &TestApp, url: &str, form: &[(&str, &str)]) -> Reply {
    TestApp::reply(t.http.post(url).form(form)).await
}

/// An HTML page (never problem+json) with this status.
#[track_caller]
fn html(reply: &Reply, status: u16) -> &str {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert!(
        reply.content_type().starts_with("text/html"),
        "{}: {}",
        reply.content_type(),
        reply.text
    );
    assert!(reply.body.is_null(), "not JSON: {}", reply.text);
    &reply.text
}

#[track_caller]
fn has_all(page: &str, needles: &[&str]) {
    for needle in needles {
        assert!(page.contains(needle), "{needle:?} in\n{page}");
    }
}

async fn events(t: &TestApp, key: &str, sub: &str) -> Value {
    t.get(&format!("/api/v1/lines/{sub}/events"), key)
        .await
        .ok(200)
        .clone()
}

#[tokio::test]
async fn a_live_link_shows_the_subscription_and_get_changes_nothing() {
    let (w, _peer, sub, link) = emailed("W-P1", "en", "kim@kund.test").await;
    let t = &w.t;
    let before = events(t, &w.pia, &sub).await;
    for _ in 0..2 {
        let page = open(t, &link).await;
        has_all(
            html(&page, 200),
            &[
                "lang=\"en\"",
                "Organization name",
                "Set up your service",
                "Acme",
                "Kund AB",
                "A-FLEX",
                "<dd>10</dd>",
                &sub,
                "W-P1",
                "<form method=\"post\"",
                "name=\"organization_name\"",
            ],
        );
    }
    assert_eq!(events(t, &w.pia, &sub).await, before);
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "awaiting_provisioning");
    assert!(line["organization"].is_null());
}

#[tokio::test]
async fn the_page_follows_the_lines_locale() {
    let (w, _peer, sub, link) = emailed("W-P1SV", "sv", "kim@kund.test").await;
    let page = open(&w.t, &link).await;
    let page = html(&page, 200);
    has_all(
        page,
        &[
            "lang=\"sv\"",
            "Organisationens namn",
            "Konfigurera din tjänst",
            "Prenumerationsreferens",
            "Acme",
            &sub,
        ],
    );
    assert!(!page.contains("Organization name"), "{page}");
}

#[tokio::test]
async fn posting_a_name_onboards_and_spends_every_link_of_the_line() {
    let (w, peer, sub, first) = emailed("W-P2", "en", "kim@kund.test").await;
    let t = &w.t;
    t.post(&format!("/api/v1/lines/{sub}/resend"), &w.bo, json!({}))
        .await
        .ok(202);
    let second = link_of(&peer, 2).await;
    assert_ne!(first, second, "a resend issues a fresh link");
    html(&open(t, &first).await, 200);

    let done = submit(t, &second, &[("organization_name", "Kund AB Org")]).await;
    has_all(
        html(&done, 200),
        &["Your service is set up", "Kund AB Org", &sub, ADMIN_PORTAL],
    );
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "onboarded");
    assert_eq!(line["organization"]["name"], "Kund AB Org");
    assert!(
        line["organization"]["id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(line["past_point_of_no_return"], true);
    assert!(
        t.event_types(&w.pia, &sub)
            .await
            .contains(&"line.onboarded".into())
    );

    for link in [&second, &first] {
        let page = open(t, link).await;
        has_all(
            html(&page, 410),
            &["already been used", &format!("href=\"{ADMIN_PORTAL}\"")],
        );
        // No setup form, and no fresh link (it could send nothing after onboarding).
        assert!(!page.text.contains("organization_name"), "{}", page.text);
        assert!(!page.text.contains("Send me a fresh link"), "{}", page.text);
    }
    // Posting again through the older link changes nothing.
    let again = submit(t, &first, &[("organization_name", "Other Org")]).await;
    html(&again, 410);
    let after = t.line_json(&w.pia, &sub).await;
    assert_eq!(after["organization"], line["organization"]);
}

#[tokio::test]
async fn a_replaced_contacts_link_is_revoked_and_offers_one_way_on() {
    let (w, peer, sub, old) = emailed("W-P3", "en", "kim@kund.test").await;
    let t = &w.t;
    let path = format!("/api/v1/lines/{sub}/provisioning-contact");
    let body = json!({"email": "new@kund.test"});
    t.send(Method::PUT, &path, Some(&w.bo), Some(body))
        .await
        .ok(200);

    let page = open(t, &old).await;
    // One instruction: a fresh link can still be sent, so that is the way (not "ask Pia").
    has_all(html(&page, 410), &["This link no longer works"]);
    assert!(!page.text.contains("pia@acme.test"), "{}", page.text);
    assert!(!page.text.contains("organization_name"), "{}", page.text);
    assert!(page.text.contains("Send me a fresh link"), "{}", page.text);
    let mail = peer.wait_for(2).await.remove(1);
    assert_eq!(mail.to, ["new@kund.test"]);
    let email = t.email_in_state(&w.pia, &sub, "sent").await;
    assert_eq!(email["kind"], "contact_changed");
    has_all(
        html(&open(t, &mail.setup_link()).await, 200),
        &["Organization name"],
    );
}

#[tokio::test]
async fn cancelled_unknown_and_malformed_links() {
    let (w, _peer, sub, link) = emailed("W-P4", "en", "kim@kund.test").await;
    let t = &w.t;
    t.post(&format!("/api/v1/lines/{sub}/cancel"), &w.pia, json!({}))
        .await
        .ok(200);
    // Cancelled: nothing can be sent, so the one instruction is whom to ask.
    let cancelled = open(t, &link).await;
    has_all(
        html(&cancelled, 410),
        &["This link no longer works", "Pia Partner"],
    );
    assert!(
        !cancelled.text.contains("Send me a fresh link"),
        "{}",
        cancelled.text
    );
    html(
        &submit(t, &link, &[("organization_name", "Late Org")]).await,
        410,
    );
    assert!(t.line_json(&w.pia, &sub).await["organization"].is_null());

    let unknown = format!("{}/setup/{}", t.base, "A".repeat(43));
    has_all(
        html(&open(t, &unknown).await, 404),
        &["This link is not valid"],
    );
    html(
        &submit(t, &unknown, &[("organization_name", "X")]).await,
        404,
    );
    let swedish = t
        .http
        .get(&unknown)
        .header("accept-language", "sv-SE,sv;q=0.9");
    has_all(
        html(&TestApp::reply(swedish).await, 404),
        &["Länken är inte giltig"],
    );
    let long = "A".repeat(500);
    for odd in [
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "abc!def",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%2B%3D",
        "%C3%A5%C3%A4%C3%B6",
        "a.b~c",
        long.as_str(),
    ] {
        let page = open(t, &format!("{}/setup/{odd}", t.base)).await;
        html(&page, 404);
        assert!(!page.text.contains("<script>"), "{}", page.text);
    }
}

#[tokio::test]
async fn an_empty_name_is_refused_with_the_form_and_nothing_changes() {
    let (w, _peer, sub, link) = emailed("W-P5", "en", "kim@kund.test").await;
    let t = &w.t;
    let before = events(t, &w.pia, &sub).await;
    for form in [
        vec![("organization_name", "")],
        vec![("organization_name", "   ")],
        vec![],
    ] {
        let page = submit(t, &link, &form).await;
        has_all(
            html(&page, 422),
            &[
                "role=\"alert\"",
                "Enter your organization",
                "name=\"organization_name\"",
                &sub,
            ],
        );
    }
    assert_eq!(events(t, &w.pia, &sub).await, before);
    assert_eq!(
        t.line_json(&w.pia, &sub).await["stage"],
        "awaiting_provisioning"
    );
    html(&open(t, &link).await, 200);
}

/// A name the rules refuse gets the form back with what is wrong with it, in the line's
/// language (the domain's value error, not a guess that the name was missing).
#[tokio::test]
async fn a_refused_name_is_explained_in_the_lines_language() {
    let (w, _peer, sub, link) = emailed("W-P6", "sv", "kim@kund.test").await;
    let t = &w.t;
    let long = "x".repeat(201);
    let page = submit(t, &link, &[("organization_name", &long)]).await;
    has_all(
        html(&page, 422),
        &["role=\"alert\"", "201 tecken", "högst 200", "lang=\"sv\""],
    );
    assert!(
        !html(&page, 422).contains("Ange"),
        "not the empty-name text"
    );
    assert_eq!(
        t.line_json(&w.pia, &sub).await["stage"],
        "awaiting_provisioning"
    );
}

#[tokio::test]
async fn an_organization_onboarded_earlier_by_the_same_contact_can_be_picked() {
    let (w, peer, first_sub, first) = emailed("W-P6", "en", "kim@kund.test").await;
    let t = &w.t;
    submit(t, &first, &[("organization_name", "Kund AB Org")]).await;
    let org = t.line_json(&w.pia, &first_sub).await["organization"].clone();
    let org_id = org["id"].as_str().unwrap();

    let sub = w.line_due_today("W-P6b", "Kim@Kund.test").await;
    let link = link_of(&peer, 2).await;
    t.email_in_state(&w.pia, &sub, "sent").await;
    let page = open(t, &link).await;
    has_all(
        html(&page, 200),
        &[
            "Pick an organization you already administer",
            &format!("name=\"choice\" value=\"org:{org_id}\""),
            "Use Kund AB Org, which you already administer",
        ],
    );
    // Someone else's organization is not on offer.
    let refused = submit(t, &link, &[("organization_id", "org_not_yours")]).await;
    has_all(html(&refused, 422), &["not one you administer"]);
    assert_eq!(
        t.line_json(&w.pia, &sub).await["stage"],
        "awaiting_provisioning"
    );

    // The page's radio button picks it (an API-style `organization_id` still works too).
    let choice = format!("org:{org_id}");
    let form = [("choice", choice.as_str()), ("organization_name", "")];
    html(&submit(t, &link, &form).await, 200);
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "onboarded");
    assert_eq!(line["organization"], org);

    // Another contact is not offered Kim's organization.
    w.line_due_today("W-P6c", "lo@kund.test").await;
    let page = open(t, &link_of(&peer, 3).await).await;
    assert!(!html(&page, 200).contains(org_id), "{}", page.text);
}

#[tokio::test]
async fn every_setup_page_is_private() {
    let (w, _peer, _sub, link) = emailed("W-P7", "en", "kim@kund.test").await;
    let t = &w.t;
    let unknown = format!("{}/setup/{}", t.base, "A".repeat(43));
    let pages = [
        open(t, &link).await,
        submit(t, &link, &[("organization_name", "")]).await,
        open(t, &unknown).await,
    ];
    for page in pages {
        let header = |name: &str| {
            page.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        assert_eq!(header("cache-control"), "no-store", "{}", page.status);
        assert_eq!(header("referrer-policy"), "no-referrer", "{}", page.status);
    }
}

#[tokio::test]
async fn two_posts_at_once_onboard_once() {
    let (w, _peer, sub, link) = emailed("W-P8", "en", "kim@kund.test").await;
    let t = &w.t;
    let (a, b) = tokio::join!(
        submit(t, &link, &[("organization_name", "Org A")]),
        submit(t, &link, &[("organization_name", "Org B")]),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410], "{}\n{}", a.text, b.text);
    let winner = if a.status == 200 { "Org A" } else { "Org B" };
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["organization"]["name"], winner);
    let events = t.event_types(&w.pia, &sub).await;
    assert_eq!(events.iter().filter(|e| *e == "line.onboarded").count(), 1);
}

#[tokio::test]
async fn what_the_visitor_typed_comes_back_escaped() {
    let (w, _peer, _sub, link) = emailed("W-P9", "en", "kim@kund.test").await;
    let typed = "\"><script>alert(1)</script>";
    let form = [
        ("organization_id", "org_not_yours"),
        ("organization_name", typed),
    ];
    let page = submit(&w.t, &link, &form).await;
    let page = html(&page, 422);
    assert!(
        !page.contains("<script>") && !page.contains("\"><"),
        "{page}"
    );
}

#[tokio::test]
async fn a_line_closed_by_policy_can_still_be_set_up() {
    let (w, _peer, sub, link) = emailed("W-P10", "sv", "kim@kund.test").await;
    let t = &w.t;
    t.advance(8 * 86_400).await;
    t.until("the A-FLEX line closed after 7 days", || async {
        let line = t.line_json(&w.pia, &sub).await;
        (line["status"] == "closed").then_some(())
    })
    .await;
    // The page says the line is closed and that setup still works.
    has_all(
        html(&open(t, &link).await, 200),
        &[
            "Orderraden stängdes",
            "du kan fortfarande konfigurera din tjänst här",
        ],
    );
    let done = submit(t, &link, &[("organization_name", "Sen AB")]).await;
    has_all(html(&done, 200), &["Din tjänst är konfigurerad", "Sen AB"]);
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(
        (&line["stage"], &line["status"]),
        (&json!("onboarded"), &json!("closed"))
    );
}

#[tokio::test]
async fn names_with_hidden_characters_or_broken_text_are_refused() {
    let (w, _peer, sub, link) = emailed("W-P9", "en", "kim@kund.test").await;
    let t = &w.t;
    let long = "x".repeat(201);
    let page = submit(t, &link, &[("organization_name", &long)]).await;
    has_all(html(&page, 422), &["201 characters", "at most 200"]);
    assert!(!html(&page, 422).contains("Enter your organization"));
    for name in ["Kund\u{202E}BA cod.exe", "Kund\u{200B}AB", "Kund\u{7}AB"] {
        let page = submit(t, &link, &[("organization_name", name)]).await;
        has_all(
            html(&page, 422),
            &["role=\"alert\"", "invisible or control character"],
        );
    }
    // Bytes that are not UTF-8 once decoded are refused, not stored as "\u{FFFD}".
    for body in ["organization_name=%FF%FE", "organization_name=Kund%C3"] {
        let r = TestApp::reply(
            t.http
                .post(&link)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.text.contains("not valid UTF-8"), "{}", r.text);
    }
    assert_eq!(
        t.line_json(&w.pia, &sub).await["stage"],
        "awaiting_provisioning"
    );
    html(&open(t, &link).await, 200);
}

#[tokio::test]
async fn another_partners_organization_is_not_offered_to_the_same_contact() {
    let (w, peer, first_sub, first) = emailed("W-P10", "en", "kim@kund.test").await;
    let t = &w.t;
    submit(t, &first, &[("organization_name", "Kund AB Org")]).await;
    let org = t.line_json(&w.pia, &first_sub).await["organization"].clone();
    let org_id = org["id"].as_str().unwrap().to_owned();

    // The same person is the contact of another partner's order.
    let body = json!({"end_customer": {"name": "Kund AB"},
                      "lines": [line("kim@kund.test", &w.t.today())]});
    let other = t.post("/api/v1/orders", &w.olle, body).await;
    let sub = other.ok(201)["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = link_of(&peer, 2).await;
    t.email_in_state(&w.olle, &sub, "sent").await;
    let page = open(t, &link).await;
    assert!(!html(&page, 200).contains(&org_id), "{}", page.text);
    let refused = submit(t, &link, &[("organization_id", &org_id)]).await;
    html(&refused, 422);
    assert_eq!(
        t.line_json(&w.olle, &sub).await["stage"],
        "awaiting_provisioning"
    );
}
