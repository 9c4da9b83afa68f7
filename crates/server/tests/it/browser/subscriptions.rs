//! Subscriptions at work in a real browser (issue 19's lists): "Resend selected" with "Select
//! all lines on this page", its Yes/No page that says how many lines (No changes nothing, Yes
//! resends and each row shows its result), with and without JavaScript, in English and
//! Swedish; and "Download CSV", whose link keeps the page's filters and whose file has the
//! page's columns in the visitor's language and every matching line, more than a page of them.
//! The setup is `workspace`'s.

use std::collections::BTreeSet;

use super::workspace::{PASSWORD, emailed_order, queued, world};
use super::*;
use crate::helpers::*;
use crate::lifecycle::refs;

/// The Subscriptions page's words, per language.
struct Said {
    title: &'static str,
    select_all: &'static str,
    /// "Select {ref}"
    select: &'static str,
    resend_selected: &'static str,
    two_lines: &'static str,
    yes: &'static str,
    no: &'static str,
    /// "Resent to {email}."
    resent_to: &'static str,
    stage: &'static str,
    scheduled: &'static str,
    sort: &'static str,
    by_deadline: &'static str,
    apply: &'static str,
    next_page: &'static str,
    download: &'static str,
    /// The CSV's header row.
    columns: [&'static str; 17],
}

const EN: Said = Said {
    title: "Subscriptions",
    select_all: "Select all lines on this page",
    select: "Select",
    resend_selected: "Resend selected",
    two_lines: "Resend the provisioning email of 2 lines?",
    yes: "Yes",
    no: "No",
    resent_to: "Resent to",
    stage: "Stage",
    scheduled: "Scheduled",
    sort: "Sort by",
    by_deadline: "Deadline, nearest first",
    apply: "Apply",
    next_page: "Next page",
    download: "Download CSV",
    columns: [
        "Subscription",
        "Order",
        "Line",
        "Offer",
        "Quantity",
        "End customer",
        "Partner",
        "Requested start date",
        "Stage",
        "Status",
        "Deadline",
        "Provisioning contact",
        "Provisioning contact's name",
        "Last email",
        "Delivery",
        "Reply from the mail server",
        "Needs attention",
    ],
};

const SV: Said = Said {
    title: "Moln/SaaS-prenumerationer",
    select_all: "Markera alla rader på sidan",
    select: "Välj",
    resend_selected: "Skicka igen för valda",
    two_lines: "Skicka etableringsmeddelandet igen för 2 orderrader?",
    yes: "Ja",
    no: "Nej",
    resent_to: "Skickades igen till",
    stage: "Steg",
    scheduled: "Schemalagd",
    sort: "Sortera efter",
    by_deadline: "Sista dag, närmast först",
    apply: "Filtrera",
    next_page: "Nästa sida",
    download: "Ladda ner CSV",
    columns: [
        "Prenumeration",
        "Order",
        "Rad",
        "Erbjudande",
        "Antal",
        "Slutkund",
        "Partner",
        "Begärt startdatum",
        "Steg",
        "Status",
        "Tidsgräns",
        "Etableringskontakt",
        "Etableringskontaktens namn",
        "Senaste e-post",
        "Leverans",
        "Svar från e-postservern",
        "Behöver åtgärd",
    ],
};

fn said(b: &Browser) -> &'static Said {
    if b.options().lang.starts_with("sv") {
        &SV
    } else {
        &EN
    }
}

/// Bo, on Subscriptions.
async fn on_subscriptions(w: &World, options: Options) -> Browser {
    let b = Browser::start_with(&w.t.base, options).await;
    b.sign_in("bo@acme.test", PASSWORD).await;
    let s = said(&b);
    b.page().follow(s.title).await;
    b.wait_for_heading(s.title).await;
    b
}

async fn resend_selected(options: Options) {
    let (w, peer) = world().await;
    let contacts = ["kim@kund.test", "ann@kund.test", "lee@kund.test"];
    let subs = emailed_order(&w, &peer, "W-BS-1", "en", &contacts).await;
    let javascript = options.javascript;
    let b = on_subscriptions(&w, options).await;
    let s = said(&b);
    let page = b.page();
    let select = |sub: &str| format!("{} {sub}", s.select);

    // Two of the three lines: with script, all of them and one off again; without, the
    // select-all box is not there (it would do nothing), so one by one.
    if javascript {
        page.tick(s.select_all).await;
        for sub in &subs {
            let ticked = b.row(sub).checkbox(&select(sub)).await;
            assert!(ticked.is_selected().await.unwrap(), "{sub} selected by all");
        }
        let third = b.row(&subs[2]).checkbox(&select(&subs[2])).await;
        third.click().await.unwrap();
        assert!(!third.is_selected().await.unwrap());
    } else {
        page.absent(Role::Checkbox, s.select_all).await;
        for sub in &subs[..2] {
            b.row(sub).tick(&select(sub)).await;
        }
    }
    page.press(s.resend_selected).await;
    b.wait_for_heading(s.two_lines).await;
    let asked = b.text_of_main().await;
    assert!(
        asked.contains(subs[0].as_str()) && asked.contains(subs[1].as_str()),
        "{asked}"
    );
    assert!(!asked.contains(subs[2].as_str()), "{asked}");

    // No: back on Subscriptions, nothing sent.
    page.press(s.no).await;
    b.wait_for_heading(s.title).await;
    assert!(b.path().await.starts_with("/subscriptions"));
    for sub in &subs {
        assert_eq!(queued(&w, sub).await, 1, "No queued nothing for {sub}");
    }

    // Yes: each chosen row says it was resent; the third is untouched.
    for sub in &subs[..2] {
        b.row(sub).tick(&select(sub)).await;
    }
    page.press(s.resend_selected).await;
    b.wait_for_heading(s.two_lines).await;
    page.press(s.yes).await;
    b.wait_for_heading(s.title).await;
    for (sub, to) in subs.iter().zip(contacts).take(2) {
        b.row(sub)
            .wait_for_text(&format!("{} {to}.", s.resent_to))
            .await;
        let email = w.t.email_in_state(&w.bo, sub, "sent").await;
        assert_eq!(email["kind"], "resend", "{email}");
    }
    let third = b.row(&subs[2]).text().await;
    assert!(!third.contains(s.resent_to), "{third}");
    assert_eq!(queued(&w, &subs[2]).await, 1);
    let got = peer.wait_for(5).await;
    let mut to: Vec<&str> = got[3..].iter().map(|r| r.to[0].as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["ann@kund.test", "kim@kund.test"]);
    assert_eq!(peer.received().len(), 5);
}

#[tokio::test]
async fn resend_selected_on_subscriptions_asks_how_many_then_each_row_says_in_english() {
    resend_selected(Options::default()).await;
}

#[tokio::test]
async fn resend_selected_on_subscriptions_asks_how_many_then_each_row_says_in_swedish() {
    resend_selected(Options::swedish()).await;
}

#[tokio::test]
async fn resend_selected_on_subscriptions_works_without_javascript() {
    resend_selected(Options::without_javascript()).await;
}

async fn csv_of_the_filtered_list(options: Options) {
    let (w, peer) = world().await;
    // More scheduled lines than a page holds (25), and an emailed one the filter leaves out.
    let later: Vec<_> = (1..=27)
        .map(|i| line(&format!("c{i}@kund.test"), "2030-01-15"))
        .collect();
    let scheduled = refs(&w.order_lines("W-CSV-1", "en", later).await);
    let emailed = emailed_order(&w, &peer, "W-CSV-2", "en", &["kim@kund.test"]).await;
    let lang = options.lang;
    let b = on_subscriptions(&w, options).await;
    let s = said(&b);
    let page = b.page();

    page.choose(s.stage, s.scheduled).await;
    page.choose(s.sort, s.by_deadline).await;
    page.press(s.apply).await;
    b.wait_for_path("/subscriptions?").await;
    let here = b.path().await;
    assert!(
        here.contains("stage=scheduled") && here.contains("sort=deadline"),
        "{here}"
    );
    // The page shows a page of them.
    page.link(s.next_page).await;
    let rows = b
        .client()
        .find_all(fantoccini::Locator::Css("main tr[id^=line-]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 25, "one page of lines");

    let href = page.href(s.download).await;
    let url = url::Url::parse(&href).unwrap();
    assert_eq!(url.path(), "/subscriptions.csv", "{href}");
    let query: BTreeSet<(String, String)> = url.query_pairs().into_owned().collect();
    let wanted: BTreeSet<(String, String)> = [("stage", "scheduled"), ("sort", "deadline")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(query, wanted, "the page's filters: {href}");

    // What the link answers the signed-in browser (its cookie and language).
    let answer = TestApp::reply(
        reqwest::Client::new()
            .get(&href)
            .header("cookie", b.cookie_header().await)
            .header("accept-language", lang),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    assert!(
        answer.content_type().starts_with("text/csv"),
        "{}",
        answer.content_type()
    );
    let mut csv = csv::Reader::from_reader(answer.text.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header, s.columns,
        "the header row in the visitor's language"
    );
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let got: BTreeSet<&str> = records.iter().map(|r| &r[0]).collect();
    let want: BTreeSet<&str> = scheduled.iter().map(String::as_str).collect();
    assert_eq!(got, want, "every scheduled line, not a page of them");
    assert_eq!(records.len(), 27);
    assert!(!got.contains(emailed[0].as_str()));
    for r in &records {
        assert_eq!(
            (&r[1], &r[6], &r[8]),
            ("W-CSV-1", "Acme", s.scheduled),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn download_csv_keeps_the_filters_and_has_every_matching_line_in_english() {
    csv_of_the_filtered_list(Options::default()).await;
}

#[tokio::test]
async fn download_csv_keeps_the_filters_and_has_every_matching_line_in_swedish() {
    csv_of_the_filtered_list(Options::swedish()).await;
}
