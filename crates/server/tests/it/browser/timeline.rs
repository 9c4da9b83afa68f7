//! A line's history on the order page (issue 19 point 4), as a person reads it: the
//! disclosure "History of Sub…" opens (and reads, with script) the one timeline, newest first, each row naming who did
//! it in words (a partner's user by name, provisio on the requested start date), in English
//! and in Swedish, with its CSV and JSON downloads.

use reqwest::Method;
use serde_json::json;

use super::workspace::{PASSWORD, emailed_order, world};
use super::*;

/// The rows of the open history table named `name`: each row's cells' text. The row reads
/// its history when opened: waits until the table is there and named (the outer table's text
/// holds the inner's caption too, so a match by text alone could be the outer one).
async fn history_rows(b: &Browser, name: &str) -> Vec<Vec<String>> {
    let read = "return Array.from(arguments[0].tBodies[0].rows)
        .map(tr => Array.from(tr.cells).map(td => td.innerText))";
    let what = format!("the history table {name:?}");
    let rows: Vec<Vec<String>> = b
        .wait(&what, || async {
            let table = b.page().try_find(Role::Table, name).await?;
            let rows = b
                .client()
                .execute(read, vec![serde_json::to_value(&table).unwrap()])
                .await
                .map_err(|e| e.to_string())?;
            let rows: Vec<Vec<String>> = serde_json::from_value(rows).unwrap();
            match rows.iter().all(|r| r.len() == 4) {
                true => Ok(rows),
                false => Err(format!("not the history table yet: {rows:?}")),
            }
        })
        .await;
    rows.iter()
        .map(|r| r.iter().map(|cell| normalize(cell)).collect())
        .collect()
}

/// `caption`: the history table's words after the reference ("newest first").
async fn actors_in(options: Options, caption: &str, expected: [&str; 3]) {
    let lang = options.lang;
    let (w, peer) = world().await;
    let web_id = format!("W-TLB-{lang}");
    let locale = &lang[..2];
    let sub = emailed_order(&w, &peer, &web_id, locale, &["kim@kund.test"]).await[0].clone();
    w.t.post(&format!("/api/v1/lines/{sub}/resend"), &w.pia, json!({}))
        .await;
    let path = format!("/api/v1/lines/{sub}/provisioning-contact");
    w.t.send(
        Method::PUT,
        &path,
        Some(&w.bo),
        Some(json!({"email": "lo@kund.test"})),
    )
    .await
    .ok(200);
    w.t.email_in_state(&w.pia, &sub, "sent").await;

    let b = Browser::start_with(&w.t.base, options).await;
    b.sign_in("bo@acme.test", PASSWORD).await;
    b.goto(&format!("/orders/{web_id}")).await;
    let name = format!("{} {sub}", b.words().history);
    b.page().open(&name).await;
    let rows = history_rows(&b, &format!("{name}, {caption}")).await;
    let who: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    // Newest first: Bo's contact change, Pia's resend, the automatic first email (provisio's
    // deliveries between them).
    let [changed_by, resent_by, first_by] = expected;
    let at = |actor: &str| {
        who.iter()
            .position(|w| *w == actor)
            .unwrap_or_else(|| panic!("no {actor:?} in {rows:#?}"))
    };
    assert!(at(changed_by) < at(resent_by), "{rows:#?}");
    assert!(at(resent_by) < at(first_by), "{rows:#?}");
    let change = &rows[at(changed_by)][3];
    assert!(
        change.contains("kim@kund.test") && change.contains("lo@kund.test"),
        "old and new contact: {rows:#?}"
    );
    // Never an internal code.
    for row in &rows {
        for cell in row {
            assert!(!cell.contains("email.") && !cell.contains('_'), "{cell}");
        }
    }
    let downloads = b.page().all(Role::Link, &sub).await;
    assert_eq!(downloads.len(), 2, "CSV and JSON for {sub}");
}

#[tokio::test]
async fn a_lines_history_names_who_did_what_newest_first() {
    actors_in(
        Options::default(),
        "newest first",
        ["Bo", "Pia Partner", "provisio, on the requested start date"],
    )
    .await;
}

#[tokio::test]
async fn a_lines_history_in_swedish() {
    actors_in(
        Options::swedish(),
        "senaste först",
        ["Bo", "Pia Partner", "provisio, på begärt startdatum"],
    )
    .await;
}
