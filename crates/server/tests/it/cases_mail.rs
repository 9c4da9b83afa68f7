//! Support-case notifications at the real SMTP peer (SPEC §11; issue 20): the agents hear of
//! each new case, the opener of what others did (a public answer, a resolve) and never of
//! their own actions or of internal notes; a case's notices share one thread and link to the
//! case page, in the opener's language. The line closes the loop (its onboarding resolves
//! the case and tells the opener), and the on-behalf resend reports the SMTP server's answer
//! into the case.

use provisio::app::Caller;
use provisio_domain::{ContactEmail, Locale};
use serde_json::{Value, json};

use crate::cases_api::{about_line, case_id, open_case, sub_refs};
use crate::helpers::*;
use crate::smtp::{Answer, Received, SmtpPeer};

/// The agents' address (configuration).
const SUPPORT: &str = "support@op.test";

async fn world() -> (World, SmtpPeer) {
    World::with_smtp_and(|c| c.support_email = Some(ContactEmail::parse(SUPPORT).unwrap())).await
}

/// The envelope recipients of each message, in the order they arrived.
fn recipients(received: &[Received]) -> Vec<String> {
    received.iter().map(|r| r.to.join(",")).collect()
}

/// Posts `action` on the case as `key` and checks it was done.
async fn act(w: &World, key: &str, id: &str, action: &str, body: Value) -> Value {
    let reply =
        w.t.post(&format!("/api/v1/cases/{id}/{action}"), key, body)
            .await;
    let status = if action == "comments" { 201 } else { 200 };
    reply.ok(status).clone()
}

/// The case's comments as `key` sees them.
async fn comments(w: &World, key: &str, id: &str) -> Vec<Value> {
    let case = w.t.get(&format!("/api/v1/cases/{id}"), key).await;
    case.ok(200)["comments"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_opener_hears_only_what_others_did_and_every_notice_is_one_thread() {
    let (w, peer) = world().await;
    let order = w.order("W-MAIL-1", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];
    let id = case_id(
        open_case(&w, &w.pia, about_line(sub, "resend_provisioning_email"))
            .await
            .ok(201),
    );
    let case_url = format!("{}/cases/{id}", w.t.base);

    // The agents are told of the new case.
    let opened = peer.wait_for(1).await.remove(0);
    assert_eq!(opened.to, [SUPPORT]);
    assert!(
        opened.subject().contains(sub.as_str()),
        "{}",
        opened.subject()
    );
    let text = opened.text_body();
    for words in [
        case_url.as_str(),
        "Pia Partner",
        "Kim never got the provisioning email",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }

    // An internal note tells nobody; the public answer tells Pia, with the answer.
    let note = json!({"body": "kund.test greylists us", "internal": true});
    act(&w, &w.agent, &id, "comments", note).await;
    let answer = json!({"body": "Resent; please look in the spam folder"});
    act(&w, &w.agent, &id, "comments", answer).await;
    let answered = peer.wait_for(2).await.remove(1);
    assert_eq!(answered.to, ["pia@acme.test"]);
    let text = answered.text_body();
    for words in [
        "Agnes Agent answered your case",
        "Resent; please look in the spam folder",
        case_url.as_str(),
        "answer on the case page",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }

    // Pia's own comment and her own resolve tell nobody; her reopening comment neither.
    act(
        &w,
        &w.pia,
        &id,
        "comments",
        json!({"body": "Found it, thanks"}),
    )
    .await;
    act(&w, &w.pia, &id, "resolve", json!({})).await;
    act(
        &w,
        &w.pia,
        &id,
        "comments",
        json!({"body": "The link has expired"}),
    )
    .await;
    // The agent's resolve does: it is the next and last message.
    act(&w, &w.agent, &id, "resolve", json!({})).await;
    let received = peer.wait_for(3).await;
    assert_eq!(
        recipients(&received),
        [SUPPORT, "pia@acme.test", "pia@acme.test"]
    );
    let resolved = &received[2];
    assert!(
        resolved
            .text_body()
            .contains("Your case was resolved by Agnes Agent"),
        "{}",
        resolved.text_body()
    );
    for mail in &received {
        let raw = mail.raw_text();
        assert!(
            !raw.contains("greylists") && !raw.contains("Found it"),
            "{raw}"
        );
    }

    // One thread: the same In-Reply-To and References, each its own Message-ID, one Subject.
    let thread = opened.header("In-Reply-To").unwrap();
    assert!(thread.contains(&id.replace('-', "")), "{thread}");
    let mut ids = vec![];
    for mail in &received {
        assert_eq!(mail.header("In-Reply-To").as_deref(), Some(thread.as_str()));
        assert_eq!(mail.header("References").as_deref(), Some(thread.as_str()));
        assert_eq!(mail.subject(), opened.subject());
        let message_id = mail.header("Message-ID").unwrap();
        assert_ne!(message_id, thread);
        ids.push(message_id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
}

#[tokio::test]
async fn a_swedish_opener_reads_swedish_and_the_agents_read_english() {
    let (w, peer) = world().await;
    let cy =
        w.t.app
            .user_named(&Caller::Operator, "cy@acme.test")
            .await
            .unwrap();
    w.t.app
        .set_user_locale(cy.id, Some(Locale::Sv))
        .await
        .unwrap();
    let order = w.order("W-MAIL-SV", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];
    let id = case_id(
        open_case(&w, &w.cy, about_line(sub, "resend_provisioning_email"))
            .await
            .ok(201),
    );
    let opened = peer.wait_for(1).await.remove(0);
    assert_eq!(
        opened.subject(),
        format!("Case about {sub}: Resend provisioning email")
    );

    act(
        &w,
        &w.agent,
        &id,
        "comments",
        json!({"body": "Skickat igen"}),
    )
    .await;
    act(&w, &w.agent, &id, "resolve", json!({})).await;
    let received = peer.wait_for(3).await;
    assert_eq!(
        recipients(&received),
        [SUPPORT, "cy@acme.test", "cy@acme.test"]
    );
    for mail in &received[1..] {
        assert_eq!(
            mail.subject(),
            format!("Ärende om {sub}: Skicka e-post om etablering igen")
        );
        let text = mail.text_body();
        assert!(
            text.contains("Se ärendet:") && text.contains(&format!("/cases/{id}")),
            "{text}"
        );
    }
    // Both notices were queued before either was sent, and a batch goes out over several
    // connections at once: they may arrive in either order.
    let bodies: Vec<String> = received[1..].iter().map(Received::text_body).collect();
    let answered = bodies
        .iter()
        .find(|text| text.contains("Agnes Agent har svarat på ditt ärende:"))
        .unwrap_or_else(|| panic!("no answer notice: {bodies:?}"));
    assert!(answered.contains("Skickat igen"), "{answered}");
    assert!(
        bodies
            .iter()
            .any(|text| text.contains("Ditt ärende har lösts av Agnes Agent")),
        "no resolve notice: {bodies:?}"
    );
}

#[tokio::test]
async fn onboarding_the_line_resolves_its_open_cases_and_tells_their_openers() {
    let (w, peer) = world().await;
    let sub = w.line_due_today("W-MAIL-ONB", "kim@kund.test").await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    let resend = case_id(
        open_case(&w, &w.pia, about_line(&sub, "resend_provisioning_email"))
            .await
            .ok(201),
    );
    let contact = case_id(
        open_case(&w, &w.bo, about_line(&sub, "change_provisioning_contact"))
            .await
            .ok(201),
    );
    // Kim's provisioning email and the two notices to the agents.
    let before = peer.wait_for(3).await;
    assert_eq!(
        recipients(&before).iter().filter(|r| *r == SUPPORT).count(),
        2
    );

    let onboarding = json!({"organization_name": "Kund AB Org"});
    let path = format!("/api/v1/lines/{sub}/onboarding");
    w.t.post(&path, &w.portal, onboarding).await.ok(200);

    for (id, opener) in [(&resend, "pia@acme.test"), (&contact, "bo@acme.test")] {
        let case =
            w.t.get(&format!("/api/v1/cases/{id}"), &w.agent)
                .await
                .ok(200)
                .clone();
        assert_eq!(case["state"], "resolved", "{case}");
        assert!(case["resolved_at"].is_string());
        let note = case["comments"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(note["kind"], "onboarded");
        assert_eq!(note["author"]["name"], "provisio");
        assert!(
            note["body"].as_str().unwrap().contains("Kund AB Org"),
            "{note}"
        );
        // The opener sees the note too, and is told.
        assert_eq!(
            comments(&w, &w.pia, id).await.last().unwrap()["kind"],
            "onboarded"
        );
        let received = peer.wait_for(5).await;
        let told: Vec<&Received> = received.iter().filter(|r| r.to == [opener]).collect();
        assert_eq!(told.len(), 1, "{opener}");
        let text = told[0].text_body();
        assert!(
            text.contains("Your case resolved itself") && text.contains(&format!("/cases/{id}")),
            "{text}"
        );
        let notice = before
            .iter()
            .find(|r| r.to == [SUPPORT] && r.text_body().contains(id.as_str()));
        assert_eq!(
            told[0].header("In-Reply-To"),
            notice.unwrap().header("In-Reply-To")
        );
    }
}

/// Support resends from the case `id` about `sub`; checks the 202, the line's event and
/// the case's first note; returns the queued email.
async fn resend_on_behalf(w: &World, id: &str, sub: &str) -> Value {
    let reply =
        w.t.post(&format!("/api/v1/cases/{id}/resend"), &w.agent, json!({}))
            .await;
    let email = reply.ok(202).clone();
    assert_eq!(
        (email["kind"].as_str(), email["to"].as_str()),
        (Some("resend"), Some("kim@kund.test"))
    );
    let events =
        w.t.get(&format!("/api/v1/lines/{sub}/events"), &w.agent)
            .await
            .ok(200)
            .clone();
    let requested: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "resend.requested")
        .collect();
    assert_eq!(requested.len(), 1, "{events}");
    assert_eq!(requested[0]["data"]["case_id"], id);
    assert_eq!(requested[0]["actor"]["email"], "agent@op.test");
    let queued = comments(w, &w.pia, id).await;
    assert_eq!(queued[0]["kind"], "resend_queued");
    assert_eq!(queued[0]["author"]["email"], "agent@op.test");
    assert!(
        queued[0]["body"]
            .as_str()
            .unwrap()
            .contains("kim@kund.test"),
        "{queued:?}"
    );
    email
}

/// Waits until the case has a `resend_answered` note; returns it.
async fn answered_note(w: &World, id: &str) -> Value {
    until("the SMTP server's answer in the case", || async {
        let all = comments(w, &w.pia, id).await;
        all.into_iter().find(|c| c["kind"] == "resend_answered")
    })
    .await
}

#[tokio::test]
async fn an_on_behalf_resend_is_a_resend_and_its_acceptance_lands_in_the_case() {
    let (w, peer) = World::with_smtp().await;
    let order = w
        .order("W-MAIL-RS", &["kim@kund.test", "lo@kund.test"])
        .await;
    let subs = sub_refs(&order);
    let id = case_id(
        open_case(
            &w,
            &w.pia,
            about_line(&subs[0], "resend_provisioning_email"),
        )
        .await
        .ok(201),
    );

    let email = resend_on_behalf(&w, &id, &subs[0]).await;
    // The same answer as a line's own resend.
    let own =
        w.t.post(
            &format!("/api/v1/lines/{}/resend", subs[1]),
            &w.bo,
            json!({}),
        )
        .await;
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&email), keys(own.ok(202)));

    let received = peer.wait_for(2).await;
    assert!(
        received
            .iter()
            .any(|r| r.to == ["kim@kund.test"] && r.subject().contains(subs[0].as_str()))
    );
    let sent = w.t.email_in_state(&w.pia, &subs[0], "sent").await;
    assert_eq!(sent["id"], email["id"]);
    let note = answered_note(&w, &id).await;
    assert_eq!(note["author"]["name"], "provisio");
    let body = note["body"].as_str().unwrap();
    assert!(
        body.starts_with("The mail server accepted the provisioning email to kim@kund.test"),
        "{body}"
    );
    assert!(
        body.ends_with(sent["last_reply"].as_str().unwrap()),
        "{body} / {sent}"
    );
}

#[tokio::test]
async fn an_on_behalf_resend_the_server_refuses_puts_the_refusal_in_the_case() {
    let (w, peer) = World::with_smtp().await;
    peer.answer("kim@kund.test", Answer::PermFail);
    let order = w.order("W-MAIL-550", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];
    let id = case_id(
        open_case(&w, &w.pia, about_line(sub, "resend_provisioning_email"))
            .await
            .ok(201),
    );

    resend_on_behalf(&w, &id, sub).await;
    let failed = w.t.email_in_state(&w.pia, sub, "failed").await;
    let note = answered_note(&w, &id).await;
    let body = note["body"].as_str().unwrap();
    assert!(
        body.starts_with("The mail server refused the provisioning email to kim@kund.test"),
        "{body}"
    );
    assert!(
        body.contains("550") && body.contains("No such user"),
        "{body}"
    );
    assert!(
        body.ends_with(failed["last_reply"].as_str().unwrap()),
        "{body} / {failed}"
    );
    assert_eq!(peer.received().len(), 0);
}
