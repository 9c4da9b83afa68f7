//! How a page is checked: opened, its [`Step`] taken, axe-core injected and run (WCAG 2.0 / 2.1,
//! A and AA), and its serious and critical findings written out; where axe.min.js is found.
//! The check's own tests are here too.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::super::*;

/// The version `.ci/run` installs (keep the two in step).
pub(super) const AXE_VERSION: &str = "4.14.1";
/// The rules run: WCAG 2.0 and 2.1, levels A and AA.
const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// What to do on a page before axe looks at it.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// Nothing: the page as it loads.
    Look,
    /// Press the button named so (in the line's row, when given) and wait for a dialog.
    OpenDialog { row: Option<String>, button: String },
    /// Press the button named so in the element with this id (a user's row) and wait for a
    /// dialog.
    OpenDialogIn { id: String, button: String },
    /// Open the disclosure named so (a line's history) and wait for its table.
    OpenHistory { name: String },
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
    /// Fill fields by label and press a button, and wait for the answer: a page without a
    /// form in `main` (what the setup page says after a hand-off or a fresh-link request).
    Submit {
        fill: Vec<(String, String)>,
        press: String,
    },
    /// Choose this file in the file field labelled so, and wait for the form's preview of it
    /// (made by the page's script: a case's screenshots).
    Choose { field: String, file: String },
    /// Tick checkboxes by label, press a button, and wait for the page at `then` (Resend
    /// selected's Yes/No page).
    Tick {
        tick: Vec<String>,
        press: String,
        then: String,
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

/// Opens the page, takes its step, runs axe; the serious and critical findings, as text.
pub(super) async fn check(
    b: &Browser,
    base: &str,
    axe: &str,
    visit: &Visit,
    who: &str,
) -> Vec<String> {
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
        Step::OpenHistory { name } => {
            b.page().open(name).await;
            let open = "return !!document.querySelector('details[open] table')";
            b.wait("the history's table to show", || async {
                let found = b
                    .client()
                    .execute(open, vec![])
                    .await
                    .map_err(|e| e.to_string())?;
                if found == Value::Bool(true) {
                    Ok(())
                } else {
                    Err("not yet".to_owned())
                }
            })
            .await;
        }
        Step::OpenDialog { row, button } => {
            match row {
                Some(sub) => b.row(sub).press(button).await,
                None => b.page().press(button).await,
            }
            b.dialog().await;
        }
        Step::Tick { tick, press, then } => {
            for label in tick {
                b.page().tick(label).await;
            }
            b.page().press(press).await;
            b.wait_for_path(then).await;
        }
        Step::Choose { field, file } => {
            let input = b.page().field(field).await;
            input.send_keys(file).await.unwrap();
            let shown = "return !!document.querySelector('[data-previews] li img')";
            b.wait("the chosen file's preview", || async {
                let found = b.client().execute(shown, vec![]).await;
                match found.map_err(|e| e.to_string())? {
                    Value::Bool(true) => Ok(()),
                    _ => Err("not yet".to_owned()),
                }
            })
            .await;
        }
        Step::OpenDialogIn { id, button } => {
            b.by_id(id).press(button).await;
            b.dialog().await;
        }
        Step::Send { fill, press } | Step::Submit { fill, press } => {
            let off = "document.querySelectorAll('form').forEach(f => f.noValidate = true)";
            b.client().execute(off, vec![]).await.unwrap();
            for (label, value) in fill {
                b.page().fill(label, value).await;
            }
            b.page().press(press).await;
            let (what, done) = match &visit.step {
                Step::Submit { .. } => (
                    "the answer, a page without a form",
                    "return !document.querySelector('main form')",
                ),
                _ => (
                    "the form to come back with its problem summary",
                    "return !!document.querySelector('.problem-summary')",
                ),
            };
            b.wait(what, || async {
                let found = b
                    .client()
                    .execute(done, vec![])
                    .await
                    .map_err(|e| e.to_string())?;
                if found == Value::Bool(true) {
                    Ok(())
                } else {
                    Err("not yet".to_owned())
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
pub(super) fn axe_source() -> String {
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
