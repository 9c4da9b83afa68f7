//! axe-core (npm, pinned in `.ci/run`) over every page in the same headless Chromium, signed
//! out and signed in, in English and in Swedish: WCAG 2.0 / 2.1 A and AA rules, and any finding
//! of impact `serious` or `critical` fails the test, naming the page, the rule, its help and the
//! nodes. The pages are a list ([`signed_out`], [`signed_in`]): a new page is one more
//! [`Visit`] there, `Visit::at("name", path)`, with `.then(Step::…)` when it needs a click or
//! a form sent first (a dialog opened, an invalid value sent).
//!
//! axe.min.js is read from `PROVISIO_AXE`, else from `target/npm/node_modules/axe-core/` (where
//! `.ci/run` installs it); missing, the test fails saying how to install it (never a skip).

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};

use super::workspace::{PASSWORD, emailed_order, world};
use super::*;
use crate::helpers::*;
use crate::smtp::SmtpPeer;

/// The version `.ci/run` installs (keep the two in step).
const AXE_VERSION: &str = "4.14.1";
/// The rules run: WCAG 2.0 and 2.1, levels A and AA.
const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// What to do on a page before axe looks at it.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// Nothing: the page as it loads.
    Look,
    /// Press the button named so (in the line's row, when given) and wait for a dialog.
    OpenDialog { row: Option<String>, button: String },
    /// The page as markup: fetched with the browser's cookie and opened as a `data:` URL, for
    /// a page served sandboxed (an email's HTML), where scripts, axe's too, never run.
    Markup,
    /// Fill fields by label and press a button, the browser's own validation off, and wait
    /// for the page that comes back with its problem summary (the server's answer to a bad
    /// value is what is looked at).
    Send {
        fill: Vec<(String, String)>,
        press: String,
    },
}

/// One page to check: a name for the report, the path to open, and what to do there.
#[derive(Clone, Debug)]
pub(super) struct Visit {
    pub name: String,
    pub path: String,
    pub step: Step,
}

impl Visit {
    pub fn at(name: &str, path: impl Into<String>) -> Visit {
        Visit {
            name: name.to_owned(),
            path: path.into(),
            step: Step::Look,
        }
    }

    pub fn then(mut self, step: Step) -> Visit {
        self.step = step;
        self
    }
}

/// The lines of one language's order, each in the state a page needs.
struct Lines {
    order: String,
    /// Emailed, open: Resend and Edit contact work; its setup link is live.
    live: String,
    live_link: String,
    /// Its first email, for the email pages.
    email_id: String,
    /// Onboarded through its setup link (past the point of no return); the link is used.
    used_link: String,
    /// Re-addressed: its first link was withdrawn.
    withdrawn_link: String,
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
    let (resend, edit_contact) = if words.sign_in == "Logga in" {
        ("Skicka igen", "Ändra kontakt")
    } else {
        ("Resend", "Edit contact")
    };
    vec![
        Visit::at("orders", "/"),
        Visit::at("orders, a search that finds none", "/?q=no-such-order"),
        Visit::at("order page", order.clone()),
        Visit::at("order page, the resend dialog", order.clone()).then(row(resend)),
        Visit::at("order page, the edit contact dialog", order.clone()).then(row(edit_contact)),
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
            press: if words.sign_in == "Logga in" {
                "Spara och skicka".into()
            } else {
                "Save and send".into()
            },
        }),
        Visit::at("subscriptions", "/subscriptions"),
        Visit::at(
            "subscriptions, a search that finds none",
            "/subscriptions?q=no-such-line",
        ),
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
    for visit in signed_in(&lines, words) {
        findings.extend(check(&b, &w.t.base, &axe, &visit, "signed in").await);
    }
    assert!(
        findings.is_empty(),
        "axe-core {AXE_VERSION} found {} serious or critical problem(s) ({locale}):\n\n{}",
        findings.len(),
        findings.join("\n")
    );
}

/// One order in `locale` with a live line, a line onboarded through its link and a line
/// whose contact was changed.
async fn lines(w: &World, peer: &SmtpPeer, locale: &str) -> Lines {
    let order = format!("W-AX-{locale}");
    let contacts = ["live@kund.test", "used@kund.test", "moved@kund.test"];
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
    let email_id = w.t.emails(&w.bo, &subs[0]).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Lines {
        order,
        live: subs[0].clone(),
        live_link: local(&live_link),
        email_id,
        used_link: local(&used_link),
        withdrawn_link: local(&withdrawn_link),
    }
}

/// The path of a link of ours (`http://127.0.0.1:…/setup/…` → `/setup/…`).
fn local(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    url.path().to_owned()
}

/// Opens the page, takes its step, runs axe; the serious and critical findings, as text.
async fn check(b: &Browser, base: &str, axe: &str, visit: &Visit, who: &str) -> Vec<String> {
    if !matches!(visit.step, Step::Markup) {
        b.goto(&visit.path).await;
    }
    match &visit.step {
        Step::Look => {}
        Step::Markup => {
            let page = reqwest::Client::new()
                .get(format!("{base}{}", visit.path))
                .header("cookie", b.cookie_header().await)
                .send()
                .await
                .unwrap();
            assert!(
                page.status().is_success(),
                "{}: {}",
                visit.path,
                page.status()
            );
            let html = page.text().await.unwrap();
            b.goto(&format!(
                "data:text/html;charset=utf-8;base64,{}",
                STANDARD.encode(html)
            ))
            .await;
        }
        Step::OpenDialog { row, button } => {
            match row {
                Some(sub) => b.row(sub).press(button).await,
                None => b.page().press(button).await,
            }
            b.dialog().await;
        }
        Step::Send { fill, press } => {
            let off = "document.querySelectorAll('form').forEach(f => f.noValidate = true)";
            b.client().execute(off, vec![]).await.unwrap();
            for (label, value) in fill {
                b.page().fill(label, value).await;
            }
            b.page().press(press).await;
            b.wait("the form to come back with its problem summary", || async {
                let found = b
                    .client()
                    .execute(
                        "return !!document.querySelector('.problem-summary')",
                        vec![],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if found == Value::Bool(true) {
                    Ok(())
                } else {
                    Err("no problem summary yet".to_owned())
                }
            })
            .await;
        }
    }
    let at = if visit.path.starts_with("data:") {
        "a data: URL"
    } else {
        &visit.path
    };
    let place = format!("{} ({who}, {}, {at})", visit.name, b.options().lang);
    let violations = run_axe(b, axe, &place).await;
    let lesser: Vec<&str> = violations
        .iter()
        .filter(|v| !matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .filter_map(|v| v["id"].as_str())
        .collect();
    // Shown with --nocapture: what axe found below the bar.
    println!(
        "axe: {place}: {} violation(s); minor or moderate: {lesser:?}",
        violations.len()
    );
    serious(&violations)
        .into_iter()
        .map(|finding| format!("{place}:\n{finding}"))
        .collect()
}

/// Injects axe into the page and runs it; its violations.
async fn run_axe(b: &Browser, axe: &str, place: &str) -> Vec<Value> {
    // Each page starts without axe; it sets `window.axe`.
    if let Err(e) = b.client().execute(axe, vec![]).await {
        panic!("injecting axe-core into {place}: {e}");
    }
    // Started here and polled (not an async script, whose callback a busy page can outlast).
    let start = "window.__axe = null;
        axe.run(document, {
            runOnly: { type: 'tag', values: arguments[0] },
            resultTypes: ['violations'],
            iframes: false
        }).then(r => { window.__axe = { violations: r.violations }; },
                e => { window.__axe = { error: String(e) }; });";
    if let Err(e) = b.client().execute(start, vec![json!(TAGS)]).await {
        panic!("starting axe-core on {place}: {e}");
    }
    let answer = b
        .wait(&format!("axe-core's results on {place}"), || async {
            let got = b.client().execute("return window.__axe", vec![]).await;
            match got.map_err(|e| e.to_string())? {
                Value::Null => Err("not yet".to_owned()),
                answer => Ok(answer),
            }
        })
        .await;
    if let Some(error) = answer.get("error") {
        panic!("axe-core failed on {place}: {error}");
    }
    answer["violations"].as_array().cloned().unwrap_or_default()
}

/// The violations of impact serious or critical, each as rule id, impact, help and nodes.
fn serious(violations: &[Value]) -> Vec<String> {
    violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|n| {
                    format!(
                        "    at {}: {}\n      {}",
                        n["target"],
                        n["html"].as_str().unwrap_or_default(),
                        n["failureSummary"]
                            .as_str()
                            .unwrap_or_default()
                            .replace('\n', "\n      ")
                    )
                })
                .collect();
            format!(
                "  {} ({}): {} <{}>\n{}",
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                v["helpUrl"].as_str().unwrap_or_default(),
                nodes.join("\n")
            )
        })
        .collect()
}

/// How to install axe-core where this test looks for it.
const AXE_INSTALL: &str = "install it with `npm install --prefix target/npm axe-core@4.14.1` \
    in the repository root (.ci/run does this), or name axe.min.js in PROVISIO_AXE";

/// axe.min.js: `PROVISIO_AXE`, else where `.ci/run` installs it.
fn axe_source() -> String {
    let path = match std::env::var_os("PROVISIO_AXE").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/npm/node_modules/axe-core/axe.min.js"),
    };
    match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(e) => panic!(
            "the accessibility test needs axe-core's axe.min.js, not readable at {}: {e}; \
             {AXE_INSTALL}",
            path.display()
        ),
    }
}

/// The check itself: a page with an unlabelled field and an image without text is reported.
#[tokio::test]
async fn axe_reports_serious_findings_with_their_rule_and_nodes() {
    let axe = axe_source();
    let b = Browser::start("http://127.0.0.1:9").await;
    let bad = "<!doctype html><html lang=en><title>Bad</title><main><h1>Bad</h1>\
        <form><input type=text id=nameless></form><img src=x.png id=pic></main></html>";
    let path = format!("data:text/html;base64,{}", STANDARD.encode(bad));
    let findings = check(&b, "", &axe, &Visit::at("a bad page", path), "test").await;
    let all = findings.join("\n");
    for words in [
        "a bad page (test",
        "label (critical)",
        "#nameless",
        "image-alt",
        "#pic",
    ] {
        assert!(all.contains(words), "{words:?} in:\n{all}");
    }
}

#[test]
fn the_install_hint_names_the_pinned_version() {
    assert!(AXE_INSTALL.contains(&format!("axe-core@{AXE_VERSION}")));
}
