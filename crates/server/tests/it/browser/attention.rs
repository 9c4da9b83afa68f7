//! What needs attention (`/`, SPEC §11) in a real browser, in English and Swedish: a line in
//! each of the five reasons, found by the reason's count link and its section's heading, as
//! the partner's ordering contact (Pia), a distributor (Dana) and a support agent (who sees
//! every partner's lines, the partner named on the row); a line leaving its section once the
//! reason is gone; and the why-not texts beside a disabled action (no permission: ask the
//! ordering contact; the resend limit: when the next is possible; past the point of no return:
//! the admin portal). The world is `workspace`'s, with a real SMTP peer that refuses two
//! addresses.

use fantoccini::Locator;
use serde_json::json;

use super::workspace::{PASSWORD, onboard, world};
use super::*;
use crate::helpers::*;
use crate::lifecycle::line_when;
use crate::smtp::{Answer, SmtpPeer};

const DAY: i64 = 86_400;

/// One line in each reason (and another partner's failed line).
struct Reasons {
    /// The first email to `typo@kund.test` was refused (550).
    failed: String,
    /// Other's line (Olle's order), refused too: only the support agent sees it.
    foreign: String,
    /// A-FLEX, lapsed: closed by policy, not onboarded.
    closed: String,
    /// A-FLEX, its window ends in about 30 hours.
    soon: String,
    /// Resent five times in the last hour (the limit).
    busy: String,
    /// Onboarded (past the point of no return), then closed by policy.
    onboarded: String,
}

/// A page's words for the attention list, per language.
struct Said {
    title: &'static str,
    /// The reasons, most urgent first (Attention::ALL's order).
    failed: &'static str,
    closed: &'static str,
    soon: &'static str,
    busy: &'static str,
    onboarded: &'static str,
    /// Before the SMTP server's reply on the row.
    reply: &'static str,
    partner: &'static str,
    /// Cy's why-not, before "Pia Partner (pia@acme.test)."
    ask: &'static str,
    /// The resend limit's why-not, before the time.
    next_at: &'static str,
    /// The closed line past the point of no return, and its link.
    finish_at_portal: &'static str,
    portal_link: &'static str,
    ponr_title: &'static str,
    /// The popup's button that closes it.
    close: &'static str,
}

fn said(b: &Browser) -> Said {
    if b.options().lang.starts_with("sv") {
        Said {
            title: "Behöver åtgärd",
            failed: "Senaste e-postmeddelandet kunde inte levereras",
            closed: "Stängd, inte etablerad",
            soon: "Stängs inom 2 dagar",
            busy: "Gränsen för Skicka igen är nådd",
            onboarded: "Organisation registrerad, inte etablerad",
            reply: "E-postservern svarade: 550 5.1.1 No such user",
            partner: "Partner:",
            ask: "Kontakta den som gjorde beställningen:",
            next_at: "Alla 5 omskick för denna timme är använda; nästa är möjligt",
            finish_at_portal: "Kundens organisation är registrerad: slutför i administrationsportalen.",
            portal_link: "Öppna administrationsportalen",
            ponr_title: "Slutför konfigurationen i administrationsportalen",
            close: "Stäng",
        }
    } else {
        Said {
            title: "Needs attention",
            failed: "Last email failed",
            closed: "Closed, not onboarded",
            soon: "Closing within 2 days",
            busy: "Resend limit reached",
            onboarded: "Onboarded, not provisioned",
            reply: "The mail server answered: 550 5.1.1 No such user",
            partner: "Partner:",
            ask: "Ask the person who placed the order:",
            next_at: "All 5 resends of this hour are used; the next is possible at",
            finish_at_portal: "The customer's organization is onboarded: finish at the admin portal.",
            portal_link: "Open the admin portal",
            ponr_title: "Finish setup at the admin portal",
            close: "Close",
        }
    }
}

/// Pia places a line due today for `contact`; waits until its first email is in `state`.
async fn sent(w: &World, web_id: &str, offer: &str, contact: &str, state: &str) -> String {
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

/// Lines in every reason at once: two A-FLEX lines (one onboarded) placed 7¼ days ago and
/// closed since, one placed 5¾ days ago (closes in 1¼ days), then, now, a refused first email
/// (Acme's and Other's) and a line resent to the limit.
async fn every_reason(w: &World, peer: &SmtpPeer) -> Reasons {
    let t = &w.t;
    peer.answer("typo@kund.test", Answer::PermFail);
    peer.answer("nobody@annan.test", Answer::PermFail);
    let closed = sent(w, "W-NA-CLOSED", "A-FLEX", "kim@kund.test", "sent").await;
    let onboarded = sent(w, "W-NA-ONB", "A-FLEX", "ola@kund.test", "sent").await;
    onboard(w, &onboarded).await;
    t.advance(DAY + DAY / 2).await;
    let soon = sent(w, "W-NA-SOON", "A-FLEX", "ann@kund.test", "sent").await;
    t.advance(5 * DAY + 3 * DAY / 4).await;
    for sub in [&closed, &onboarded] {
        line_when(t, &w.pia, sub, "closed", |l| l["status"] == "closed").await;
    }
    let failed = sent(w, "W-NA-FAILED", "A-WX-CALL", "typo@kund.test", "failed").await;
    let body = json!({
        "web_order_id": "W-NA-OTHER", "end_customer": {"name": "Annan Kund AB"},
        "locale": "en", "lines": [line("nobody@annan.test", &t.today())],
    });
    let order = t.post("/api/v1/orders", &w.olle, body).await;
    let foreign = order.ok(201)["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    t.email_in_state(&w.olle, &foreign, "failed").await;
    let busy = sent(w, "W-NA-BUSY", "A-WX-CALL", "lee@kund.test", "sent").await;
    for _ in 0..5 {
        let path = format!("/api/v1/lines/{busy}/resend");
        t.post(&path, &w.bo, json!({})).await.ok(202);
        t.advance(6).await;
    }
    t.email_in_state(&w.pia, &busy, "sent").await;
    Reasons {
        failed,
        foreign,
        closed,
        soon,
        busy,
        onboarded,
    }
}

/// The world with every reason, Dana and the support agent with passwords too.
async fn world_with_every_reason() -> (World, SmtpPeer, Reasons) {
    let (w, peer) = world().await;
    for email in ["dana@dist.test", "agent@op.test"] {
        w.t.set_password(email, PASSWORD).await;
    }
    let reasons = every_reason(&w, &peer).await;
    (w, peer, reasons)
}

/// The section of the attention page headed exactly `heading` ("Last email failed (1)").
async fn section<'a>(b: &'a Browser, heading: &str) -> Scope<'a> {
    assert!(!heading.contains('\''), "{heading}");
    let xpath = format!("//main//section[h2[normalize-space()='{heading}']]");
    let found = b
        .wait(&format!("a section headed {heading:?}"), || async {
            let all = b.client().find_all(Locator::XPath(&xpath)).await;
            match all.map_err(|e| e.to_string())?.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(format!("the sections are headed {:?}", headings(b).await)),
                more => Err(format!("{} are", more.len())),
            }
        })
        .await;
    b.within(&found, &format!("the section {heading:?}"))
}

/// The section headings (`h2`) of `main`, in order.
async fn headings(b: &Browser) -> Vec<String> {
    let all = b.client().find_all(Locator::Css("main section > h2")).await;
    let mut out = vec![];
    for h in all.unwrap_or_default() {
        out.push(normalize(&h.text().await.unwrap_or_default()));
    }
    out
}

/// Waits until no section's heading names `reason`.
async fn no_section(b: &Browser, reason: &str) {
    b.wait(&format!("no section for {reason:?}"), || async {
        let all = headings(b).await;
        if all.iter().any(|h| h.starts_with(&format!("{reason} ("))) {
            Err(format!("the sections are headed {all:?}"))
        } else {
            Ok(())
        }
    })
    .await;
}

/// Signed in as `who`, on `/`: the reasons most urgent first, each one's count link leading
/// to its section with its lines; the SMTP server's words on the failed line; the partner
/// named where `who` sees several partners' lines; `foreign` only for the support agent.
async fn find_by_reason(b: &Browser, r: &Reasons, who: &str) {
    let s = said(b);
    let agent = who == "agent@op.test";
    b.sign_in(who, PASSWORD).await;
    assert_eq!(b.path().await, "/");
    b.wait_for_heading(s.title).await;
    let failed: Vec<&String> = if agent {
        vec![&r.failed, &r.foreign]
    } else {
        vec![&r.failed]
    };
    let reasons: [(&str, &str, Vec<&String>); 5] = [
        (s.failed, "last_email_failed", failed),
        (s.closed, "closed_in_progress", vec![&r.closed]),
        (s.soon, "closing_soon", vec![&r.soon]),
        (s.busy, "resend_budget_used", vec![&r.busy]),
        (s.onboarded, "onboarded_not_provisioned", vec![&r.onboarded]),
    ];
    let expected: Vec<String> = reasons
        .iter()
        .map(|(label, _, subs)| format!("{label} ({})", subs.len()))
        .collect();
    section(b, &expected[0]).await;
    assert_eq!(headings(b).await, expected, "{who}: most urgent first");

    for (label, code, subs) in &reasons {
        let count = subs.len();
        b.page().follow(&format!("{label} {count}")).await;
        b.wait_for_path(&format!("/?reason={code}")).await;
        let heading = format!("{label} ({count})");
        let here = section(b, &heading).await;
        for sub in subs {
            here.wait_for_text(sub).await;
        }
        assert_eq!(headings(b).await, [heading], "{who}: one reason");
    }

    b.goto("/?reason=last_email_failed").await;
    let row = b.row(&r.failed);
    row.wait_for_text(s.reply).await;
    row.wait_for_text("typo@kund.test").await;
    let acme = format!("{} Acme", s.partner);
    if who == "pia@acme.test" {
        let text = row.text().await;
        assert!(
            !text.contains(s.partner),
            "{who} sees Acme's lines only: {text}"
        );
    } else {
        row.wait_for_text(&acme).await;
    }
    if agent {
        let other = b.row(&r.foreign);
        other.wait_for_text(&format!("{} Other", s.partner)).await;
        other.wait_for_text(s.reply).await;
    } else {
        let text = b.text_of_main().await;
        assert!(!text.contains(r.foreign.as_str()), "{who}: {text}");
    }
    b.page().press(b.words().sign_out).await;
    b.page().field(b.words().password).await;
}

async fn by_role_and_gone_when_fixed(options: Options) {
    let (w, _peer, r) = world_with_every_reason().await;
    let b = Browser::start_with(&w.t.base, options).await;
    for who in ["pia@acme.test", "dana@dist.test", "agent@op.test"] {
        find_by_reason(&b, &r, who).await;
    }

    // Fixed by Pia: a new contact for the failed line, in the Edit contact dialog.
    let s = said(&b);
    let words = b.words();
    b.sign_in("pia@acme.test", PASSWORD).await;
    b.page().follow(&format!("{} 1", s.failed)).await;
    section(&b, &format!("{} (1)", s.failed)).await;
    b.row(&r.failed).press(words.edit_contact).await;
    let dialog = b.dialog().await;
    dialog.fill(words.email, "kim.k@kund.test").await;
    dialog.press(words.save_and_send).await;
    b.wait_for_status("kim.k@kund.test").await;
    w.t.email_in_state(&w.pia, &r.failed, "sent").await;
    b.goto("/").await;
    b.page().link(&format!("{} 0", s.failed)).await;
    no_section(&b, s.failed).await;
    let text = b.text_of_main().await;
    assert!(!text.contains(r.failed.as_str()), "{text}");

    // The customer onboards the closed line: it moves to "Onboarded, not provisioned".
    onboard(&w, &r.closed).await;
    b.goto("/").await;
    let onboarded = section(&b, &format!("{} (2)", s.onboarded)).await;
    onboarded.wait_for_text(&r.closed).await;
    onboarded.wait_for_text(&r.onboarded).await;
    no_section(&b, s.closed).await;
    b.page().link(&format!("{} 0", s.closed)).await;
}

#[tokio::test]
async fn each_role_finds_lines_by_reason_and_a_fixed_line_leaves_in_english() {
    by_role_and_gone_when_fixed(Options::default()).await;
}

#[tokio::test]
async fn each_role_finds_lines_by_reason_and_a_fixed_line_leaves_in_swedish() {
    by_role_and_gone_when_fixed(Options::swedish()).await;
}

/// The why-not text a disabled Resend is described by (its `aria-describedby`).
async fn why_not_resend(b: &Browser, sub: &str) -> String {
    let resend = b.row(sub).button(b.words().resend).await;
    assert!(
        !resend.is_enabled().await.unwrap(),
        "Resend of {sub} is disabled"
    );
    let id = resend.attr("aria-describedby").await.unwrap();
    let id = id.unwrap_or_else(|| panic!("the disabled Resend of {sub} says why"));
    b.by_id(&id).text().await
}

async fn why_not(options: Options) {
    let (w, _peer, r) = world_with_every_reason().await;
    let b = Browser::start_with(&w.t.base, options).await;
    let s = said(&b);
    let words = b.words();

    // Cy may not resend: ask Pia, who placed the order, by name and address.
    b.sign_in("cy@acme.test", PASSWORD).await;
    section(&b, &format!("{} (1)", s.failed)).await;
    for sub in [&r.failed, &r.soon] {
        let why = why_not_resend(&b, sub).await;
        let ask = format!("{} Pia Partner (pia@acme.test).", s.ask);
        assert!(why.contains(&ask), "{ask:?} in {why:?}");
        let edit = b.row(sub).button(words.edit_contact).await;
        assert!(!edit.is_enabled().await.unwrap(), "Cy's Edit contact");
    }
    // Nor is Resend selected offered to Cy.
    b.goto("/subscriptions").await;
    b.row(&r.soon).button(words.resend).await;
    b.page().absent(Role::Button, words.resend_selected).await;
    b.page().press(words.sign_out).await;
    b.page().field(words.password).await;

    // The resend limit, for anyone: when the next resend is possible (the API's `until`).
    let until = w.t.line_json(&w.bo, &r.busy).await["actions"]["resend"]["until"]
        .as_str()
        .unwrap()
        .to_owned();
    let until: jiff::Timestamp = until.parse().unwrap();
    let at = until.strftime("%Y-%m-%d %H:%M").to_string();
    for who in ["bo@acme.test", "dana@dist.test", "agent@op.test"] {
        b.sign_in(who, PASSWORD).await;
        b.page().follow(&format!("{} 1", s.busy)).await;
        section(&b, &format!("{} (1)", s.busy)).await;
        let why = why_not_resend(&b, &r.busy).await;
        assert!(
            why.contains(&format!("{} {at}", s.next_at)),
            "{who}: {:?} at {at} in {why:?}",
            s.next_at
        );

        // Past the point of no return: Resend opens the popup to the admin portal, and the
        // closed line says to finish there.
        b.page().follow(&format!("{} 1", s.onboarded)).await;
        section(&b, &format!("{} (1)", s.onboarded)).await;
        let row = b.row(&r.onboarded);
        let text = row.wait_for_text(s.finish_at_portal).await;
        let rest = ["Click here", "Klicka här"];
        assert!(!rest.iter().any(|c| text.contains(c)), "{who}: {text}");
        let link = row.href(s.portal_link).await;
        assert!(link.starts_with(ADMIN_PORTAL), "{link}");
        row.press(words.resend).await;
        let dialog = b.dialog().await;
        dialog.wait_for_text(s.ponr_title).await;
        let hrefs = dialog.hrefs().await;
        assert!(
            hrefs.iter().any(|h| h.starts_with(ADMIN_PORTAL)),
            "{who}: a link to {ADMIN_PORTAL} in the dialog: {hrefs:?}"
        );
        dialog.press(s.close).await;
        b.no_dialog().await;
        b.page().press(words.sign_out).await;
        b.page().field(words.password).await;
    }
    assert_eq!(w.t.emails(&w.pia, &r.onboarded).await.len(), 1);
}

#[tokio::test]
async fn a_disabled_action_says_why_next_to_it_in_english() {
    why_not(Options::default()).await;
}

#[tokio::test]
async fn a_disabled_action_says_why_next_to_it_in_swedish() {
    why_not(Options::swedish()).await;
}
