//! A line's history on the order page without a browser (issue 19 point 4): the row links to
//! it (a page of its own, which the row reads when opened with script); the one timeline,
//! newest first, who did what in words and never a code, and its CSV and JSON
//! downloads behind the session (another company's line is a 404 page, as an unknown one).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::resend::pia;
use super::{Visitor, with_passwords};
use crate::helpers::*;

#[tokio::test]
async fn the_history_names_who_did_what_and_downloads_as_csv_and_json() {
    let w = World::new().await;
    let sub = w.line_due_today("W-HIST", "kim@kund.test").await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    w.t.send(
        reqwest::Method::PUT,
        &format!("/api/v1/lines/{sub}/provisioning-contact"),
        Some(&w.bo),
        Some(json!({"email": "lo@kund.test"})),
    )
    .await
    .ok(200);

    let mut v = pia(&w).await;
    let page = v.get("/orders/W-HIST").await;
    assert_eq!(page.status, StatusCode::OK);
    // The row's disclosure reads the history when opened (with script), or links to it.
    let row = &page.body[page.body.find("<tr class=\"history\">").unwrap()..];
    assert!(row.contains(&format!("History of {sub}")), "{row}");
    assert!(
        row.contains(&format!("data-history=\"/lines/{sub}/history\""))
            && row.contains(&format!(
                "<a href=\"/lines/{sub}/history\">Show the history"
            )),
        "{row}"
    );
    let page = v.get(&format!("/lines/{sub}/history")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.has(&format!("<h1>History of {sub}</h1>"))
            && page.has(&format!("href=\"/orders/W-HIST?line={sub}#line-{sub}\"")),
        "{}",
        page.body
    );
    let history = &page.body[page.body.find("<div class=\"history-block\">").unwrap()..];
    for words in [
        "<td>Bo</td><td>Provisioning contact changed</td><td>From kim@kund.test to lo@kund.test.",
        "<td>provisio, on the requested start date</td><td>Email queued</td>",
        "<td>Pia Partner</td><td>Order placed</td>",
        &format!("href=\"/lines/{sub}/timeline.csv\""),
        "Download CSV",
        "Download JSON",
    ] {
        assert!(history.contains(words), "{words:?} in {history}");
    }
    let changed = history.find("Provisioning contact changed").unwrap();
    let placed = history.find("Order placed").unwrap();
    assert!(changed < placed, "newest first");
    for code in [
        "email.queued",
        "contact.changed",
        "order.created",
        "resend_",
    ] {
        assert!(!history.contains(code), "{code} in {history}");
    }

    let csv = v.get(&format!("/lines/{sub}/timeline.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert_eq!(
        csv.header("content-disposition"),
        format!("attachment; filename=\"{sub}-timeline.csv\"")
    );
    assert!(
        csv.body.starts_with("When,Who,What,Details"),
        "{}",
        csv.body
    );
    assert!(csv.has("Bo,Provisioning contact changed,From kim@kund.test to lo@kund.test."));

    let json = v.get(&format!("/lines/{sub}/timeline.json")).await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(
        json.header("content-disposition"),
        format!("attachment; filename=\"{sub}-timeline.json\"")
    );
    let doc: Value = serde_json::from_str(&json.body).unwrap();
    let api =
        w.t.get(&format!("/api/v1/lines/{sub}/timeline"), &w.pia)
            .await;
    assert_eq!(&doc, api.ok(200), "the page's JSON is the API's document");

    // In Swedish for a Swedish reader.
    let mut sv = Visitor::speaking(&w.t, "sv-SE,sv;q=0.9");
    sv.sign_in("pia@acme.test").await;
    let page = sv.get(&format!("/lines/{sub}/history")).await;
    assert!(page.has("provisio, på begärt startdatum"), "{}", page.body);
    assert!(
        page.has(&format!("<h1>Historik för {sub}</h1>")),
        "{}",
        page.body
    );
    assert!(page.has("Ladda ner CSV") && page.has("Ladda ner JSON"));
    let csv = sv.get(&format!("/lines/{sub}/timeline.csv")).await;
    assert!(csv.body.starts_with("När,Vem,Vad,Detaljer"), "{}", csv.body);
}

#[tokio::test]
async fn another_companys_line_history_is_not_found() {
    let w = World::new().await;
    let order = w.order("W-HIST2", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    with_passwords(&w.t, &["olle@other.test"]).await;
    let mut olle = Visitor::new(&w.t);
    olle.sign_in("olle@other.test").await;
    for path in [
        format!("/lines/{sub}/history"),
        format!("/lines/{sub}/timeline.csv"),
        format!("/lines/{sub}/timeline.json"),
        "/lines/Sub9999999/timeline.csv".to_owned(),
        "/lines/Sub9999999/history".to_owned(),
    ] {
        let page = olle.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.header("content-type").starts_with("text/html"));
        assert!(!page.has("kim@kund.test"));
    }
}
