//! axe-core (npm, pinned in `.ci/run`) over every page in the same headless Chromium, signed
//! out and signed in, in English and in Swedish: WCAG 2.0 / 2.1 A and AA rules, and any finding
//! of impact `serious` or `critical` fails the test, naming the page, the rule, its help and the
//! nodes. The pages are lists ([`signed_out`]; [`signed_in`] as Bo, a partner member who may
//! resend; [`as_admin`] as the operator's admin): a new page is one more [`Visit`] there,
//! `Visit::at("name", path)`, with `.then(Step::…)` when it needs a click or a form sent first
//! (a dialog opened, an invalid value sent). A new state of a line (a setup link of another
//! kind) is one more field of [`Lines`], made in [`lines`]. The support case pages, and the
//! cases they show, are in [`cases`]: for their opener (Bo) and for a support agent.
//!
//! axe.min.js is read from `PROVISIO_AXE`, else from `target/npm/node_modules/axe-core/` (where
//! `.ci/run` installs it); missing, the test fails saying how to install it (never a skip).
mod cases;
mod check;

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use self::cases::{Cases, as_agent, as_opener};
use self::check::{AXE_VERSION, Step, Visit, axe_source, check};
use super::workspace::{PASSWORD, emailed_order, world};
use super::*;
use crate::helpers::*;
use crate::smtp::{Answer, SmtpPeer};

/// The lines of one language's order, each in the state a page needs.
struct Lines {
    order: String,
    /// Emailed, open: Resend and Edit contact work; its setup link is live.
    live: String,
    live_link: String,
    /// Its first email, for the email pages.
    email_id: String,
    /// Onboarded through its setup link (past the point of no return); the link is used.
    used: String,
    used_link: String,
    /// Re-addressed (emailed to its new contact).
    moved: String,
    /// Re-addressed: its first link was withdrawn.
    withdrawn_link: String,
    /// Emailed, open: its contact hands it off from the setup page.
    hand_off_link: String,
    /// A user with an API key (the admin's keys page).
    user_id: String,
    key_id: String,
    /// Support cases: one about the refused line, one about `live`.
    cases: Cases,
}

/// Every page a signed-out visitor can reach.
fn signed_out(l: &Lines, words: Words) -> Vec<Visit> {
    vec![
        Visit::at("sign-in page", "/"),
        Visit::at("sign-in page with an error", "/").then(Step::Send {
            fill: vec![
                (words.email.into(), "bo@acme.test".into()),
                (words.password.into(), "not the password".into()),
            ],
            press: words.sign_in.into(),
        }),
        Visit::at("an unknown page", "/no-such-page"),
        Visit::at("a problem page", "/problems/not_found"),
        Visit::at("provisioning help, signed out", "/help"),
        Visit::at("setup page, a live link", l.live_link.clone()),
        Visit::at("setup page, a used link", l.used_link.clone()),
        Visit::at("setup page, a withdrawn link", l.withdrawn_link.clone()),
        Visit::at("setup page with an error", l.live_link.clone()).then(Step::Send {
            fill: vec![],
            press: words.set_up.into(),
        }),
        Visit::at("setup page, handed off", l.hand_off_link.clone()).then(Step::Submit {
            fill: vec![(words.colleague.into(), "colleague@kund.test".into())],
            press: words.set_up.into(),
        }),
        Visit::at(
            "setup page, a fresh link asked for",
            l.withdrawn_link.clone(),
        )
        .then(Step::Submit {
            fill: vec![],
            press: words.fresh_link.into(),
        }),
        Visit::at(
            "setup page, an unknown link",
            "/setup/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
    ]
}

/// Every page a signed-in user (Bo, who may resend) can reach.
fn signed_in(l: &Lines, words: Words) -> Vec<Visit> {
    let order = format!("/orders/{}", l.order);
    let live = &l.live;
    let row = |button: &str| Step::OpenDialog {
        row: Some(live.clone()),
        button: button.to_owned(),
    };
    vec![
        Visit::at("needs attention", "/"),
        Visit::at("needs attention, one reason", "/?reason=closed_in_progress"),
        Visit::at(
            "needs attention, the last email failed",
            "/?reason=last_email_failed",
        ),
        Visit::at("needs attention, the admin portal popup", "/").then(Step::OpenDialog {
            row: Some(l.used.clone()),
            button: words.resend.to_owned(),
        }),
        Visit::at("orders", "/orders"),
        Visit::at(
            "orders, a search that finds none",
            "/orders?q=no-such-order",
        ),
        Visit::at("order page", order.clone()),
        Visit::at("order page, the resend dialog", order.clone()).then(row(words.resend)),
        Visit::at("order page, the edit contact dialog", order.clone())
            .then(row(words.edit_contact)),
        Visit::at("order page, a line's history open", order.clone()).then(Step::OpenHistory {
            name: format!("{} {live}", words.history),
        }),
        Visit::at(
            "resend confirmation page (no script)",
            format!("/lines/{live}/resend?back={order}"),
        ),
        Visit::at(
            "edit contact page with a validation error",
            format!("/lines/{live}/contact?back={order}"),
        )
        .then(Step::Send {
            fill: vec![(words.email.into(), "not an address".into())],
            press: words.save_and_send.into(),
        }),
        Visit::at("subscriptions", "/subscriptions"),
        Visit::at(
            "subscriptions, a search that finds none",
            "/subscriptions?q=no-such-line",
        ),
        Visit::at(
            "subscriptions, filtered and sorted by deadline",
            "/subscriptions?status=open&closing_within_days=30&sort=deadline",
        ),
        Visit::at(
            "subscriptions, the lines whose last email failed",
            "/subscriptions?attention=last_email_failed",
        ),
        Visit::at(
            "subscriptions, resend selected: the Yes/No page",
            "/subscriptions",
        )
        .then(Step::Tick {
            tick: [live, &l.moved]
                .map(|sub| format!("{} {sub}", words.select))
                .to_vec(),
            press: words.resend_selected.to_owned(),
            then: "/lines/resend".to_owned(),
        }),
        Visit::at("provisioning help", "/help"),
        Visit::at(
            "open a case",
            "/cases/new?request_type=resend_provisioning_email",
        ),
        Visit::at(
            "an email as sent",
            format!("/lines/{live}/emails/{}", l.email_id),
        ),
        Visit::at(
            "an email's HTML",
            format!("/lines/{live}/emails/{}/html", l.email_id),
        )
        .then(Step::Markup),
        Visit::at("an unknown order", "/orders/W-NO-SUCH-ORDER"),
    ]
}

/// Every page the operator's admin (`admin@op.test`) can reach that others cannot.
fn as_admin(l: &Lines, locale: &str) -> Vec<Visit> {
    let keys = format!("/admin/users/{}/keys", l.user_id);
    // The administration's buttons: (Disable, Create user, Create company).
    let (disable, create_user, create_company) = match locale {
        "sv" => ("Inaktivera", "Skapa användare", "Skapa företag"),
        _ => ("Disable", "Create user", "Create company"),
    };
    let send = |press: &str| Step::Send {
        fill: vec![],
        press: press.to_owned(),
    };
    vec![
        Visit::at("needs attention, as the operator's admin", "/"),
        Visit::at("administration", "/admin"),
        Visit::at("admin: companies", "/admin/companies"),
        Visit::at("admin: a new company with a problem", "/admin/companies")
            .then(send(create_company)),
        // Cy is disabled (see `lines`): both looks of a user.
        Visit::at("admin: users", "/admin/users"),
        Visit::at("admin: users, the disable dialog", "/admin/users").then(Step::OpenDialogIn {
            id: "user-bo@acme.test".into(),
            button: disable.into(),
        }),
        Visit::at(
            "admin: disable a user, confirmation (no script)",
            format!("/admin/users/{}/disable", l.user_id),
        ),
        Visit::at("admin: a new user with every problem", "/admin/users").then(send(create_user)),
        Visit::at("admin: a user's API keys", keys.clone()),
        Visit::at(
            "admin: revoke a key, confirmation",
            format!("{keys}/{}/revoke", l.key_id),
        ),
        Visit::at("admin: offer policies", "/admin/policies"),
        Visit::at(
            "admin: a new offer's policy with every problem",
            "/admin/policies/preview?offer=&window_days=0&new=yes",
        ),
        Visit::at(
            "admin: a policy change's preview",
            "/admin/policies/preview?offer=A-FLEX&window_days=10",
        ),
        Visit::at("admin: sender addresses", "/admin/senders"),
        Visit::at("admin: audit log", "/admin/audit"),
    ]
}

#[tokio::test]
async fn axe_finds_nothing_serious_on_any_page_in_english() {
    every_page(Options::default(), "en").await;
}

#[tokio::test]
async fn axe_finds_nothing_serious_on_any_page_in_swedish() {
    every_page(Options::swedish(), "sv").await;
}

async fn every_page(options: Options, locale: &str) {
    let axe = axe_source();
    let (w, peer) = world().await;
    for email in ["admin@op.test", "agent@op.test"] {
        w.t.set_password(email, PASSWORD).await;
    }
    let lines = lines(&w, &peer, locale).await;
    let mut b = Browser::start_with(&w.t.base, options).await;
    // axe on a long page of a busy machine takes seconds.
    b.set_wait(Duration::from_secs(60));
    let words = b.words();

    let mut findings = Vec::new();
    for visit in signed_out(&lines, words) {
        findings.extend(check(&b, &w.t.base, &axe, &visit, "signed out").await);
    }
    b.sign_in("bo@acme.test", PASSWORD).await;
    let opener = as_opener(&lines.cases, &lines.live, locale);
    for visit in signed_in(&lines, words).into_iter().chain(opener) {
        findings.extend(check(&b, &w.t.base, &axe, &visit, "signed in").await);
    }
    sign_out(&b, words).await;
    b.sign_in("admin@op.test", PASSWORD).await;
    for visit in as_admin(&lines, locale) {
        findings.extend(check(&b, &w.t.base, &axe, &visit, "admin").await);
    }
    sign_out(&b, words).await;
    b.sign_in("agent@op.test", PASSWORD).await;
    for visit in as_agent(&lines.cases) {
        findings.extend(check(&b, &w.t.base, &axe, &visit, "support agent").await);
    }
    assert!(
        findings.is_empty(),
        "axe-core {AXE_VERSION} found {} serious or critical problem(s) ({locale}):\n\n{}",
        findings.len(),
        findings.join("\n")
    );
}

async fn sign_out(b: &Browser, words: Words) {
    b.goto("/").await;
    b.page().press(words.sign_out).await;
    b.page().field(words.password).await;
}

/// One order in `locale` with a live line, a line onboarded through its link and a line
/// whose contact was changed; and a line whose first email the SMTP server refused.
async fn lines(w: &World, peer: &SmtpPeer, locale: &str) -> Lines {
    let order = format!("W-AX-{locale}");
    let contacts = [
        "live@kund.test",
        "used@kund.test",
        "moved@kund.test",
        "hands@kund.test",
    ];
    let subs = emailed_order(w, peer, &order, locale, &contacts).await;
    let link_to = |to: &str| {
        peer.received()
            .iter()
            .rev()
            .find(|r| r.to == [to])
            .map(|r| r.setup_link())
            .unwrap_or_else(|| panic!("no email to {to}"))
    };
    let live_link = link_to(contacts[0]);
    let used_link = link_to(contacts[1]);
    let withdrawn_link = link_to(contacts[2]);
    let hand_off_link = link_to(contacts[3]);
    let users = w.t.get("/api/v1/users", &w.t.admin).await.ok(200).clone();
    let bo = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "bo@acme.test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys =
        w.t.get("/api/v1/users/bo@acme.test/api-keys", &w.t.admin)
            .await;
    let key_id = keys.ok(200)["items"][0]["id"].as_str().unwrap().to_owned();
    // A disabled user, for the users page's other look.
    w.t.app
        .disable_user(&provisio::app::Caller::Operator, "cy@acme.test")
        .await
        .unwrap();
    let onboarded =
        w.t.http
            .post(&used_link)
            .form(&[("organization_name", "Kund AB Org")])
            .send()
            .await
            .unwrap();
    assert!(onboarded.status().is_success(), "{}", onboarded.status());
    let path = format!("/api/v1/lines/{}/provisioning-contact", subs[2]);
    let body = json!({"email": "new@kund.test", "name": "Ny Kontakt"});
    w.t.send(Method::PUT, &path, Some(&w.bo), Some(body))
        .await
        .ok(200);
    peer.answer("refused@kund.test", Answer::PermFail);
    let refused = w
        .line_due_today(&format!("W-AX-{locale}-F"), "refused@kund.test")
        .await;
    w.t.email_in_state(&w.bo, &refused, "failed").await;
    let cases = cases::cases(w, &refused, &subs[0], w.t.dir.path()).await;
    let email_id = w.t.emails(&w.bo, &subs[0]).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Lines {
        order,
        live: subs[0].clone(),
        live_link: local(&live_link),
        email_id,
        used: subs[1].clone(),
        used_link: local(&used_link),
        moved: subs[2].clone(),
        withdrawn_link: local(&withdrawn_link),
        hand_off_link: local(&hand_off_link),
        user_id: bo,
        key_id,
        cases,
    }
}

/// The path of a link of ours (`http://127.0.0.1:…/setup/…` → `/setup/…`).
fn local(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    url.path().to_owned()
}
