//! A large order's page shows its lines a page at a time (issue 22): where it is among them,
//! links to the other pages, the page that holds a line when asked for that line, and a clear
//! error for a page number that is not one.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::resend::pia;
use crate::helpers::*;
use crate::lifecycle::refs;

/// Lines an order page shows at a time (`web/order_page.rs`).
const PER_PAGE: usize = 50;

/// The subscription references whose rows the page shows, in order.
fn rows_of(body: &str) -> Vec<String> {
    body.split("<tr id=\"line-")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_large_orders_lines_come_in_pages() {
    let w = World::new().await;
    let lines: Vec<Value> = (0..PER_PAGE + 12)
        .map(|i| {
            json!({"offer": "A-FLEX", "quantity": 1, "requested_start_date": "2030-01-15",
                   "provisioning_contact": {"email": format!("c{i}@kund.test")}})
        })
        .collect();
    let order = w.order_lines("W-BIG", "sv", lines).await;
    let refs = refs(&order);
    let mut v = pia(&w).await;

    let first = v.get("/orders/W-BIG").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(rows_of(&first.body), refs[..PER_PAGE].to_vec());
    assert!(first.has("Lines 1–50 of 62"), "{}", first.body);
    assert!(first.has("<a href=\"/orders/W-BIG?page=2\" rel=\"next\">Next page</a>"));
    assert!(!first.has("rel=\"prev\""), "no page before the first");

    let second = v.get("/orders/W-BIG?page=2").await;
    assert_eq!(rows_of(&second.body), refs[PER_PAGE..].to_vec());
    assert!(second.has("Lines 51–62 of 62"), "{}", second.body);
    assert!(second.has("<a href=\"/orders/W-BIG\" rel=\"prev\">Previous page</a>"));
    assert!(!second.has("rel=\"next\""), "no page after the last");
    // A row's action, and Resend selected, come back to the page they were on.
    assert!(second.has("name=\"back\" value=\"/orders/W-BIG?page=2\""));
    let csrf = v.csrf().await;
    let chosen = refs[55].clone();
    let asked = v
        .post(
            "/orders/W-BIG/resend",
            &[
                ("csrf_token", csrf.as_str()),
                ("back", "/orders/W-BIG?page=2"),
                ("lines", chosen.as_str()),
                ("answer", "no"),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    assert_eq!(asked.location.as_deref(), Some("/orders/W-BIG?page=2"));

    // Past the last page: the last; asked for a line: the page that holds it.
    let past = v.get("/orders/W-BIG?page=9").await;
    assert_eq!(rows_of(&past.body), refs[PER_PAGE..].to_vec());
    let held = v.get(&format!("/orders/W-BIG?line={}", refs[55])).await;
    assert_eq!(rows_of(&held.body), refs[PER_PAGE..].to_vec());
    let unknown = v.get("/orders/W-BIG?line=Sub9999999").await;
    assert_eq!(rows_of(&unknown.body), refs[..PER_PAGE].to_vec());

    let page = v.get("/orders/W-BIG?page=x").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.has("page: &#39;x&#39; is not a number"),
        "{}",
        page.body
    );
    for bad in ["0", "-1"] {
        let page = v.get(&format!("/orders/W-BIG?page={bad}")).await;
        assert!(page.status.is_client_error(), "{bad}: {}", page.status);
        assert!(
            page.has(&format!("page must be 1 or more, not {bad}")),
            "{}",
            page.body
        );
    }
}

#[tokio::test]
async fn a_small_order_has_one_page_and_no_page_links() {
    let w = World::new().await;
    let order = w.order("W-SMALL", &["kim@kund.test", "lo@kund.test"]).await;
    let mut v = pia(&w).await;
    let page = v.get("/orders/W-SMALL").await;
    assert_eq!(rows_of(&page.body), refs(&order));
    assert!(!page.has("Lines 1–"), "{}", page.body);
    assert!(!page.has("rel=\"next\""));
}
