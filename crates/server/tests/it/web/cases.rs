//! Support cases on the pages without a browser (issue 20): "Open a case" from a line's row
//! (request type preset, the line filled in), the form with a screenshot as multipart, the
//! case page, the agents' queue (oldest first, Claim), answering and resolving; another
//! company's case is a 404 page like an unknown one; a form without the session's token is
//! refused.

use reqwest::StatusCode;

use super::resend::pia;
use super::{Visitor, with_passwords};
use crate::helpers::*;

/// A one-pixel PNG (signature, IHDR, IDAT, IEND; CRCs included).
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

async fn agent(w: &World) -> Visitor {
    with_passwords(&w.t, &["agent@op.test"]).await;
    let mut v = Visitor::new(&w.t);
    v.sign_in("agent@op.test").await;
    v
}

#[tokio::test]
async fn a_case_from_a_lines_row_with_a_screenshot_through_the_queue_to_resolved() {
    let w = World::new().await;
    let order = w.order("W-WEBCASE", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    let mut p = pia(&w).await;

    // The line's row links to the form, the line and request type filled in.
    let order_page = p.get("/orders/W-WEBCASE").await;
    let link =
        format!("/cases/new?request_type=resend_provisioning_email&amp;subscription_ref={sub}");
    assert!(order_page.has(&link), "{}", order_page.body);
    let form = p
        .get(&format!(
            "/cases/new?request_type=resend_provisioning_email&subscription_ref={sub}"
        ))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.has(&format!("value=\"{sub}\"")));
    assert!(form.has("<option value=\"resend_provisioning_email\" selected>"));
    assert!(form.has("enctype=\"multipart/form-data\""));
    let csrf = form.csrf();

    // Without the session's token nothing is opened.
    let stale = p
        .post_multipart(
            "/cases",
            &[("csrf_token", "forged"), ("subscription_ref", sub)],
            &[],
        )
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);

    // An SVG is refused on the form itself, which keeps what was written.
    let refused = p
        .post_multipart(
            "/cases",
            &[
                ("csrf_token", &csrf),
                ("request_type", "resend_provisioning_email"),
                ("subscription_ref", sub),
                ("description", "Kim never got it"),
            ],
            &[(
                "attachments",
                "shot.png",
                "image/png",
                b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            )],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.has("only PNG, JPEG, GIF and WebP images and PDF files"),
        "{}",
        refused.body
    );
    assert!(refused.has("Kim never got it"));

    // Empty fields: each problem in words, linked to its field.
    let empty = p
        .post_multipart(
            "/cases",
            &[("csrf_token", &csrf), ("request_type", "other")],
            &[],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.has("<a href=\"#description\">Description: the text is empty; say what happened</a>"),
        "{}",
        empty.body
    );
    assert!(
        empty.has("<a href=\"#subscription_ref\">"),
        "{}",
        empty.body
    );

    let opened = p
        .post_multipart(
            "/cases",
            &[
                ("csrf_token", &csrf),
                ("request_type", "resend_provisioning_email"),
                ("subscription_ref", sub),
                ("description", "Kim never got it"),
            ],
            &[("attachments", "screenshot.png", "image/png", PNG_1X1)],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let case_path = opened
        .location
        .clone()
        .unwrap()
        .trim_end_matches("#message")
        .to_owned();
    let page = p.get(&case_path).await;
    assert!(page.has("The case was opened."));
    assert!(page.has(&format!("Case about {sub}")));
    assert!(page.has("screenshot.png"));
    assert!(page.has("Resend provisioning email"));
    let shot = p.get(&format!("{case_path}/attachments/1")).await;
    assert_eq!(shot.status, StatusCode::OK);
    assert_eq!(shot.header("content-type"), "image/png");
    assert!(shot.header("content-disposition").starts_with("attachment"));
    assert_eq!(shot.header("x-content-type-options"), "nosniff");

    // The agent's queue lists it, linked by its subscription reference; Claim, answer.
    let mut a = agent(&w).await;
    let queue = a.get("/cases").await;
    assert!(queue.has("Case queue"), "{}", queue.body);
    assert!(queue.has(&format!("<a href=\"{case_path}\">{sub}</a>")));
    assert!(queue.has("not answered yet"));
    let csrf = a.csrf().await;
    let claimed = a
        .post(
            &format!("{case_path}/claim"),
            &[("csrf_token", &csrf), ("back", "/cases?who=mine")],
        )
        .await;
    assert_eq!(claimed.location.as_deref(), Some("/cases?who=mine"));
    let mine = a.get("/cases?who=mine").await;
    assert!(mine.has(sub));
    let answered = a
        .post(
            &format!("{case_path}/comments"),
            &[
                ("csrf_token", &csrf),
                ("body", "Resent it; please check spam"),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    a.post(
        &format!("{case_path}/comments"),
        &[
            ("csrf_token", &csrf),
            ("body", "MX greylists"),
            ("internal", "yes"),
        ],
    )
    .await;
    let page = p.get(&case_path).await;
    assert!(page.has("Resent it; please check spam"));
    assert!(page.has("Waiting"));
    assert!(!page.has("MX greylists"), "internal notes are support's");
    // Out of the queue (it waits on Pia), among the cases waiting on their openers.
    assert!(!a.get("/cases").await.has(&case_path));
    assert!(a.get("/cases?who=waiting").await.has(&case_path));
    let resolved = a
        .post(&format!("{case_path}/resolve"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER);
    assert!(p.get(&case_path).await.has("Resolved"));
    let resolved_page = a.get(&case_path).await;
    assert!(resolved_page.has("What happened"));
    assert!(
        resolved_page.has("Agnes Agent: Case claimed"),
        "{}",
        resolved_page.body
    );
    assert!(resolved_page.has("Agnes Agent: Case resolved"));
    assert!(a.get("/cases?who=resolved").await.has(&case_path));
    // Pia's list shows her company's case.
    let list = p.get("/cases").await;
    assert!(
        list.has(&case_path) && list.has("Resolved"),
        "{}",
        list.body
    );

    // Another company's user gets the page an unknown case gets.
    with_passwords(&w.t, &["olle@other.test"]).await;
    let mut o = Visitor::new(&w.t);
    o.sign_in("olle@other.test").await;
    let theirs = o.get(&case_path).await;
    let unknown = o.get("/cases/0190f3a2-0000-7000-8000-000000000000").await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        o.get(&format!("{case_path}/attachments/1")).await.status,
        StatusCode::NOT_FOUND
    );
}
