//! The support case pages axe looks at (SPEC §11): the form (as it loads, with a screenshot
//! previewed, sent back with its problems), the company's list, the agents' queue, and a case
//! about a line whose last email failed, as its opener and as the agent see it. [`cases`]
//! makes the cases: one with a screenshot, an answer, the opener's reply, an internal note and
//! a claim; another left unclaimed, so the queue shows both kinds of row.

use std::path::Path;

use serde_json::json;

use super::check::{Step, Visit};
use crate::helpers::*;

/// The cases of one language's run.
pub(super) struct Cases {
    /// About the line whose first email was refused: answered, reopened, claimed.
    pub failed: String,
    /// A screenshot for the form's preview.
    pub screenshot: String,
}

/// One PNG screenshot of 48 × 32 pixels.
fn png() -> Vec<u8> {
    crate::browser::cases::form::png(48, 32, [30, 90, 160])
}

/// Bo opens a case about `refused` (its last email failed) with a screenshot, through the
/// API as multipart; the agent answers, Bo replies (open again), the agent adds an internal
/// note and claims it. Bo opens another about `live`, left unclaimed.
pub(super) async fn cases(w: &World, refused: &str, live: &str, dir: &Path) -> Cases {
    let boundary = "axe-case-boundary-4f1c";
    let mut body = Vec::new();
    let fields = [
        ("request_type", "resend_provisioning_email"),
        ("subscription_ref", refused),
        ("description", "The contact says the email never came."),
    ];
    for (name, value) in fields {
        let part = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        );
        body.extend_from_slice(part.as_bytes());
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; \
             filename=\"inbox.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&png());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request =
        w.t.http
            .post(format!("{}/api/v1/cases", w.t.base))
            .bearer_auth(&w.bo)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
    let opened = TestApp::reply(request).await;
    let failed = opened.ok(201)["id"].as_str().unwrap().to_owned();

    let path = format!("/api/v1/cases/{failed}");
    let comments = format!("{path}/comments");
    let t = &w.t;
    t.post(
        &comments,
        &w.agent,
        json!({"body": "We resent it; look in the spam folder."}),
    )
    .await
    .ok(201);
    t.post(&comments, &w.bo, json!({"body": "Still nothing there."}))
        .await
        .ok(201);
    let note = json!({"body": "The customer's server refuses us.", "internal": true});
    t.post(&comments, &w.agent, note).await.ok(201);
    t.post(&format!("{path}/claim"), &w.agent, json!({}))
        .await
        .ok(200);
    let other = json!({"request_type": "change_provisioning_contact",
                       "subscription_ref": live, "description": "Kim has left."});
    t.post("/api/v1/cases", &w.bo, other).await.ok(201);

    let screenshot = dir.join("screenshot.png");
    std::fs::write(&screenshot, png()).unwrap();
    Cases {
        failed,
        screenshot: screenshot.display().to_string(),
    }
}

/// "Open a case" / "Öppna ett ärende": the form's button.
fn open_case(locale: &str) -> &'static str {
    match locale {
        "sv" => "Öppna ett ärende",
        _ => "Open a case",
    }
}

/// The case pages of the opener's company (Bo, who opened them).
pub(super) fn as_opener(c: &Cases, live: &str, locale: &str) -> Vec<Visit> {
    let form = format!("/cases/new?request_type=resend_provisioning_email&subscription_ref={live}");
    let screenshots = match locale {
        "sv" => "Skärmbilder",
        _ => "Screenshots",
    };
    vec![
        Visit::at("open a case, from a line's row", form.clone()),
        Visit::at("open a case, a screenshot previewed", form).then(Step::Choose {
            field: screenshots.to_owned(),
            file: c.screenshot.clone(),
        }),
        Visit::at(
            "open a case, sent back with its problems",
            "/cases/new?request_type=other",
        )
        .then(Step::Send {
            fill: vec![],
            press: open_case(locale).to_owned(),
        }),
        Visit::at("cases, the company's list", "/cases"),
        Visit::at(
            "a case whose line's last email failed, for its opener",
            format!("/cases/{}", c.failed),
        ),
    ]
}

/// The pages of a support agent (`agent@op.test`).
pub(super) fn as_agent(c: &Cases) -> Vec<Visit> {
    vec![
        Visit::at("the case queue", "/cases"),
        Visit::at("the case queue, mine", "/cases?who=mine"),
        Visit::at(
            "a case whose line's last email failed, for the agent",
            format!("/cases/{}", c.failed),
        ),
    ]
}
