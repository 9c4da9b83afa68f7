//! Delivery over a real SMTP peer (SPEC §4, §9): what the provisioning email says in English
//! and Swedish, its headers and setup link; 4xx retried on the service clock, 5xx failed at
//! once, giving up after 8 attempts, a relay that cannot be reached, `.eml` files without
//! SMTP, and emails overtaken while they wait.

use jiff::{SignedDuration, Timestamp};
use provisio::config::{Config, Sender};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::{Answer, Received, SmtpPeer};

/// The subscription reference of the order's `i`-th line.
fn sub_ref(order: &Value, i: usize) -> String {
    order["lines"][i]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An email's last SMTP reply.
fn reply(email: &Value) -> &str {
    email["last_reply"].as_str().unwrap_or_default()
}

/// The value of the text part's "Label: value" row.
#[track_caller]
fn fact(text: &str, label: &str) -> String {
    let prefix = format!("{label}:");
    let row = text.lines().find(|l| l.starts_with(&prefix));
    let row = row.unwrap_or_else(|| panic!("no row {label:?} in\n{text}"));
    row[prefix.len()..].trim().to_owned()
}

/// The deadline as the email may print it: rendered just before the attempt whose acceptance sets
/// `closes_at`, so the same minute or (across a minute boundary) the one before.
fn deadline_texts(closes_at: &Value) -> [String; 2] {
    let at: Timestamp = closes_at.as_str().unwrap().parse().unwrap();
    let minute = |t: Timestamp| format!("{} UTC", t.strftime("%Y-%m-%d %H:%M"));
    [minute(at), minute(at - SignedDuration::from_secs(60))]
}

/// The text part's row labels: order, subscription, end customer, partner, offer, quantity,
/// requested start date, deadline.
const EN_ROWS: &str =
    "Order|Subscription|End customer|Partner|Offer|Quantity|Requested start date|Set up by";
const SV_ROWS: &str =
    "Beställning|Prenumeration|Slutkund|Partner|Erbjudande|Antal|Begärt startdatum|Slutför senast";

/// Pia orders in `locale` one line due today for kim; checks what every provisioning email
/// carries (headers, the link alone on its line and in the HTML button, the facts in rows
/// labelled `rows`, `|`-separated); returns the message and the line's subscription reference.
async fn emailed(web_id: &str, locale: &str, rows: &str) -> (World, Received, String) {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let order = w
        .order_lines(web_id, locale, vec![line("kim@kund.test", &t.today())])
        .await;
    let sub = sub_ref(&order, 0);
    let mail = peer.wait_for(1).await.remove(0);
    t.email_in_state(&w.pia, &sub, "sent").await;
    let line = t.line_json(&w.pia, &sub).await;

    assert_eq!(mail.from, "provisio@localhost", "the envelope sender");
    assert_eq!(mail.to, ["kim@kund.test"]);
    assert_eq!(mail.header("Content-Language").as_deref(), Some(locale));
    let id = mail.header("Message-ID").unwrap();
    assert!(
        id.starts_with('<') && id.ends_with("@localhost>") && !id.contains(' '),
        "{id}"
    );
    let date = jiff::fmt::rfc2822::parse(&mail.header("Date").unwrap()).unwrap();
    let skew = date.timestamp().duration_since(t.app.clock.now()).abs();
    assert!(skew < SignedDuration::from_mins(5), "Date {date}");
    assert!(mail.header("From").unwrap().contains("provisio@localhost"));
    let reply_to = mail.header("Reply-To").unwrap();
    assert!(
        reply_to.contains("\"Pia Partner\" <pia@acme.test>"),
        "{reply_to}"
    );
    assert!(mail.header("To").unwrap().contains("<kim@kund.test>"));

    let (text, html) = (mail.text_body(), seen(&mail.html_body()));
    let link = mail.setup_link();
    let token = link.strip_prefix(&format!("{}/setup/", t.base));
    assert!(
        token.is_some_and(|t| t.len() == 43
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')),
        "a base64url token of 256 bits, alone on its line: {link:?}"
    );
    assert_eq!(text.matches("/setup/").count(), 1, "{text}");
    assert!(html.contains(&format!("<a href=\"{link}\"")), "{html}");

    let values = [web_id, &sub, "Kund AB", "Acme", "A-FLEX", "10", &t.today()];
    let rows: Vec<&str> = rows.split('|').collect();
    for (label, value) in rows.iter().zip(values) {
        assert_eq!(fact(&text, label), value, "{label}");
    }
    let deadline = fact(&text, rows[7]);
    assert!(
        deadline_texts(&line["closes_at"]).contains(&deadline),
        "{deadline} {line}"
    );
    for needle in [
        &sub,
        "Acme",
        "Kund AB",
        "A-FLEX",
        ADMIN_PORTAL,
        "Pia Partner (pia@acme.test)",
        &deadline,
    ] {
        assert!(text.contains(needle), "{needle} in the text part:\n{text}");
        assert!(html.contains(needle), "{needle} in the HTML part:\n{html}");
    }
    (w, mail, sub)
}

#[tokio::test]
async fn the_english_email_names_the_order_the_link_and_whom_to_ask() {
    let (_w, mail, sub) = emailed("W-EN-1", "en", EN_ROWS).await;
    assert_eq!(
        mail.subject(),
        format!("Provisioning information required for order W-EN-1 ({sub}, Kund AB)")
    );
    let text = mail.text_body();
    for phrase in [
        "Hello Kim,",
        "Set up the service here:",
        "Once your organization is set up, this link stops working.",
        "Questions? Contact Pia Partner (pia@acme.test), who placed the order",
    ] {
        assert!(text.contains(phrase), "{phrase:?} in\n{text}");
    }
}

#[tokio::test]
async fn the_swedish_email_uses_the_articles_words() {
    let (_w, mail, sub) = emailed("W-SV-1", "sv", SV_ROWS).await;
    assert_eq!(
        mail.subject(),
        format!("Information om etablering krävs för beställning W-SV-1 ({sub}, Kund AB)")
    );
    let text = mail.text_body();
    for phrase in [
        "Hej Kim,",
        "etableringskontakt",
        "Slutför etableringen här:",
        "När organisationen har registrerats slutar den här länken att fungera.",
        "Frågor? Kontakta Pia Partner (pia@acme.test), som gjorde beställningen",
    ] {
        assert!(text.contains(phrase), "{phrase:?} in\n{text}");
    }
    assert!(mail.html_body().contains("Slutför etableringen"));
    assert!(!text.contains("Provisioning"), "no English left:\n{text}");
}

#[tokio::test]
async fn a_451_is_retried_a_minute_later_with_the_same_message_id() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer_times("kim@kund.test", Answer::TempFail, 1);
    let sub = w.line_due_today("W-451", "kim@kund.test").await;
    let first = t.email_in_state(&w.pia, &sub, "retrying").await;
    assert_eq!(first["attempts"], 1);
    assert!(reply(&first).contains("451"), "{first}");
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "scheduled");
    assert!(line["first_sent_at"].is_null());
    assert_eq!(line["last_email"]["state"], "retrying");

    t.advance(60).await;
    let mail = peer.wait_for(1).await.remove(0);
    let sent = t.email_in_state(&w.pia, &sub, "sent").await;
    assert_eq!(sent["attempts"], 2);
    assert_eq!(sent["id"], first["id"], "the same email, retried");
    assert_eq!(peer.rcpt_attempts("kim@kund.test"), 2);
    // The Message-ID names the email queued before the first attempt.
    let simple = first["id"].as_str().unwrap().replace('-', "");
    assert_eq!(
        mail.header("Message-ID"),
        Some(format!("<{simple}@localhost>"))
    );

    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "awaiting_provisioning");
    assert_eq!(
        line["first_sent_at"], sent["sent_at"],
        "the acceptance time"
    );
    let queued: Timestamp = first["queued_at"].as_str().unwrap().parse().unwrap();
    let handed: Timestamp = line["first_sent_at"].as_str().unwrap().parse().unwrap();
    assert!(handed.duration_since(queued) >= SignedDuration::from_secs(60));
    // The retry's link is a fresh, working one.
    let page = t.http.get(mail.setup_link()).send().await.unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn a_550_fails_at_once_and_a_new_contact_gets_the_email() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("gone@kund.test", Answer::PermFail);
    let sub = w.line_due_today("W-550", "gone@kund.test").await;
    let failed = t.email_in_state(&w.pia, &sub, "failed").await;
    assert_eq!(failed["attempts"], 1);
    assert!(reply(&failed).contains("550"), "{failed}");
    assert!(
        t.event_types(&w.pia, &sub)
            .await
            .contains(&"email.failed".into())
    );
    let shown = t.line_json(&w.pia, &sub).await;
    assert_eq!(shown["stage"], "scheduled", "{shown}");
    assert_eq!(shown["last_email"]["state"], "failed");
    assert!(reply(&shown["last_email"]).contains("550"), "{shown}");

    // A day later nothing was tried again; a line due tomorrow shows the scheduler did run.
    let tomorrow = (t.app.clock.now() + SignedDuration::from_hours(24)).to_string();
    w.order_lines("W-550b", "en", vec![line("lo@kund.test", &tomorrow[..10])])
        .await;
    t.advance(86_400).await;
    peer.wait_for(1).await;
    assert_eq!(peer.rcpt_attempts("gone@kund.test"), 1);
    assert_eq!(t.emails(&w.pia, &sub).await.len(), 1);

    let body = json!({"email": "kim@kund.test"});
    let path = format!("/api/v1/lines/{sub}/provisioning-contact");
    t.send(Method::PUT, &path, Some(&w.bo), Some(body))
        .await
        .ok(200);
    let mail = peer.wait_for(2).await.remove(1);
    assert_eq!(mail.to, ["kim@kund.test"]);
    let email = t.email_in_state(&w.pia, &sub, "sent").await;
    assert_eq!(email["kind"], "contact_changed");
    assert_eq!(email["to"], "kim@kund.test");
    let shown = t.line_json(&w.pia, &sub).await;
    assert_eq!(shown["stage"], "awaiting_provisioning");
}

#[tokio::test]
async fn transient_failures_give_up_after_eight_attempts() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("later@kund.test", Answer::TempFail);
    let sub = w.line_due_today("W-8", "later@kund.test").await;
    t.email_in_state(&w.pia, &sub, "retrying").await;
    for (i, wait) in [60, 300, 1800, 3600, 10_800, 21_600, 43_200]
        .into_iter()
        .enumerate()
    {
        t.advance(wait).await;
        let attempts = i + 2;
        let state = if attempts < 8 { "retrying" } else { "failed" };
        let what = format!("attempt {attempts} after {wait} s");
        let email = t
            .until(&what, || async {
                let email = t.emails(&w.pia, &sub).await.remove(0);
                (email["attempts"] == attempts && email["state"] == state).then_some(email)
            })
            .await;
        assert!(reply(&email).contains("451"), "{email}");
    }
    assert_eq!(peer.rcpt_attempts("later@kund.test"), 8);
    let events = t.event_types(&w.pia, &sub).await;
    assert_eq!(events.iter().filter(|e| *e == "email.failed").count(), 1);
    assert_eq!(t.line_json(&w.pia, &sub).await["stage"], "scheduled");
}

/// A server configured by `tweak` with only Acme and pia; pia places an order for `customer`
/// with one line due today for kim. Returns the app, pia's key and the line's reference.
async fn bare_app(tweak: impl FnOnce(&mut Config), customer: &str) -> (TestApp, String, String) {
    let t = TestApp::spawn_with(tweak).await;
    let acme = t.company("Acme", "partner").await;
    let pia = t
        .user_key(&acme, "pia@acme.test", "Pia Partner", "member", false)
        .await;
    let body = json!({"end_customer": {"name": customer}, "locale": "sv",
                      "lines": [line("kim@kund.test", &t.today())]});
    let order = t.post("/api/v1/orders", &pia, body).await.ok(201).clone();
    let sub = sub_ref(&order, 0);
    (t, pia, sub)
}

#[tokio::test]
async fn a_refused_connection_pauses_delivery_and_charges_the_email_nothing() {
    let (t, pia, sub) = bare_app(
        |c| c.smtp_url = Some("smtp://127.0.0.1:1".into()),
        "Kund AB",
    )
    .await;
    let ready = t
        .until("delivery paused", || async {
            let r = t.send(Method::GET, "/readyz", None, None).await;
            (r.ok(200)["delivery"]["state"] == "paused").then(|| r.body.clone())
        })
        .await;
    assert_eq!(ready["status"], "degraded", "{ready}");
    let reason = ready["delivery"]["reason"].as_str().unwrap();
    assert!(reason.contains("cannot connect to 127.0.0.1:1"), "{ready}");
    let email = t.emails(&pia, &sub).await.remove(0);
    assert_eq!(
        (&email["state"], &email["attempts"]),
        (&json!("queued"), &json!(0)),
        "{email}"
    );
    assert_eq!(t.line_json(&pia, &sub).await["stage"], "scheduled");
}

#[tokio::test]
async fn the_configured_sender_and_odd_names_come_through_intact() {
    let peer = SmtpPeer::start();
    let url = peer.url();
    let customer = "Kund & Söner <b>AB</b> \"Ärende\" – Ö";
    let (t, pia, sub) = bare_app(
        |c| {
            c.smtp_url = Some(url.into());
            c.mail_from = Sender::parse("Provisio Mailer <noreply@provisio.test>").unwrap();
        },
        customer,
    )
    .await;
    let mail = peer.wait_for(1).await.remove(0);
    t.email_in_state(&pia, &sub, "sent").await;
    assert_eq!(mail.from, "noreply@provisio.test");
    let from = mail.header("From").unwrap();
    assert!(from.contains("Provisio Mailer") && from.contains("<noreply@provisio.test>"));
    let id = mail.header("Message-ID").unwrap();
    assert!(id.ends_with("@provisio.test>"), "{id}");
    let senders = t.get("/api/v1/sender-addresses", &pia).await;
    assert_eq!(
        senders.ok(200)["addresses"],
        json!(["noreply@provisio.test"])
    );

    assert!(mail.subject().ends_with(&format!("({sub}, {customer})")));
    let (text, html) = (mail.text_body(), seen(&mail.html_body()));
    assert_eq!(fact(&text, "Slutkund"), customer);
    assert!(
        !html.contains("<b>AB</b>") && html.contains("Söner"),
        "{html}"
    );
    // No admin portal configured: the email does not invent one.
    assert!(
        !text.contains("Point of No Return") && !text.contains("https://"),
        "{text}"
    );
}

#[tokio::test]
async fn without_smtp_mail_is_written_to_eml_files() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W-EML", "kim@kund.test").await;
    t.email_in_state(&w.pia, &sub, "sent").await;
    let dir = t.data_dir().join("mail");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mail = Received {
        from: String::new(),
        to: vec![],
        raw: std::fs::read(&files[0]).unwrap(),
    };
    assert!(mail.subject().contains(&sub));
    let link = mail.setup_link();
    assert!(link.starts_with(&format!("{}/setup/", t.base)), "{link}");
    let page = t.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
}

/// Two lines of one order, both refused with 451 until told otherwise (`flaky` only once);
/// `overtake` acts on the first line while its email waits. That email is cancelled and the
/// old address never gets it, while the second line's retry goes out a minute later.
async fn overtaken(overtake: impl AsyncFnOnce(&World, &str)) {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("old@kund.test", Answer::TempFail);
    peer.answer_times("flaky@kund.test", Answer::TempFail, 1);
    let today = t.today();
    let lines = vec![
        line("old@kund.test", &today),
        line("flaky@kund.test", &today),
    ];
    let order = w.order_lines("W-OVR", "en", lines).await;
    let [sub, other] = [0, 1].map(|i| sub_ref(&order, i));
    let waiting = t.email_in_state(&w.pia, &sub, "retrying").await;
    t.email_in_state(&w.pia, &other, "retrying").await;
    peer.answer("old@kund.test", Answer::Accept);

    overtake(&w, &sub).await;
    let id = &waiting["id"];
    let state = async || {
        let emails = t.emails(&w.pia, &sub).await;
        let old = emails.into_iter().find(|e| &e["id"] == id).unwrap();
        (old["state"] == "cancelled").then_some(old)
    };
    t.until("the waiting email cancelled", state).await;
    t.advance(60).await;
    t.email_in_state(&w.pia, &other, "sent").await;
    assert_eq!(peer.rcpt_attempts("old@kund.test"), 1);
    assert!(peer.received().iter().all(|m| m.to != ["old@kund.test"]));
    let old = state().await.expect("still cancelled");
    assert_eq!(old["attempts"], 1);
}

#[tokio::test]
async fn a_waiting_email_of_a_cancelled_line_is_not_sent() {
    overtaken(async |w: &World, sub: &str| {
        let path = format!("/api/v1/lines/{sub}/cancel");
        w.t.post(&path, &w.pia, json!({})).await.ok(200);
    })
    .await;
}

#[tokio::test]
async fn a_waiting_email_to_a_replaced_contact_is_not_sent() {
    overtaken(async |w: &World, sub: &str| {
        let path = format!("/api/v1/lines/{sub}/provisioning-contact");
        let body = json!({"email": "new@kund.test"});
        w.t.send(Method::PUT, &path, Some(&w.bo), Some(body))
            .await
            .ok(200);
        let email = w.t.email_in_state(&w.pia, sub, "sent").await;
        assert_eq!(
            (&email["kind"], &email["to"]),
            (&json!("contact_changed"), &json!("new@kund.test"))
        );
    })
    .await;
}

/// The HTML part as a reader sees its words: without the marks that keep a date on one line
/// and let an address break only at its dots (`provisio-mail`'s `compose/rich.rs`).
fn seen(html: &str) -> String {
    html.replace("<span style=\"white-space:nowrap\">", "")
        .replace("</span>", "")
        .replace("<wbr>", "")
}
