//! Support cases (SPEC §11, issue 20) in a real browser, in English and in Swedish. Pia opens a
//! case from a line's row (the request type preset, the line filled in) with one screenshot
//! from the file chooser and one pasted from the clipboard, both previewed before she sends;
//! the agent finds it in the queue by its subscription reference, claims it, resends on the
//! opener's behalf and sees the mail server's answer arrive in the conversation without
//! reloading (the page's live polling), answers and resolves; Pia sees the answer and the
//! resolved case, and the SMTP peer got her two notices (answered, resolved) in one thread
//! with support's new-case notice. Without JavaScript the plain file field opens a case. The
//! form's actions (choosing, pasting, the previews) are in `form`.

mod drop;
pub(super) mod form;

use fantoccini::Locator;
use provisio_domain::ContactEmail;
use serde_json::json;

use self::form::{choose, file, form_from_row, paste, png, previews, screenshot_width};
use super::workspace::{PASSWORD, emailed_order};
use super::*;
use crate::helpers::*;
use crate::smtp::{Answer, Received, SmtpPeer};

/// Where the service sends its new-case notices (`support_email`).
const SUPPORT: &str = "support@op.test";
/// The line's provisioning contact.
const CONTACT: &str = "kim@kund.test";
const OPENER: &str = "pia@acme.test";
const AGENT: &str = "agent@op.test";
/// The agent's name, as the queue and the notices show it.
const AGENT_NAME: &str = "Agnes Agent";

/// The case pages' words, per language (SPEC §11's page words and the pages' messages).
struct Said {
    open_case: &'static str,
    request_type: &'static str,
    resend_type: &'static str,
    subscription: &'static str,
    description: &'static str,
    screenshots: &'static str,
    /// A preview's button: "Remove {file}".
    remove: &'static str,
    cases: &'static str,
    queue: &'static str,
    claim: &'static str,
    claimed: &'static str,
    /// "Case about {sub}"
    case_about: &'static str,
    /// The banner after an on-behalf resend, before the address.
    resent: &'static str,
    /// The conversation's notes of the mail server's answers, before the address.
    deferred: &'static str,
    accepted: &'static str,
    /// What the status region says when the page put in what changed.
    updated: &'static str,
    answer: &'static str,
    send_answer: &'static str,
    answered: &'static str,
    resolve: &'static str,
    resolved: &'static str,
    /// The form's hint that only shows with JavaScript (pasting and dropping).
    paste_hint: &'static str,
}

fn said(b: &Browser) -> Said {
    if b.options().lang.starts_with("sv") {
        Said {
            open_case: "Öppna ett ärende",
            request_type: "Typ av begäran",
            resend_type: "Skicka e-post om etablering igen",
            subscription: "Prenumeration",
            description: "Beskrivning",
            screenshots: "Skärmbilder",
            remove: "Ta bort",
            cases: "Ärenden",
            queue: "Ärendekö",
            claim: "Ta ärendet",
            claimed: "Du har tagit ärendet.",
            case_about: "Ärende om",
            resent: "E-postmeddelandet skickades igen till",
            deferred: "E-postservern sköt upp e-postmeddelandet om etablering till",
            accepted: "E-postservern tog emot e-postmeddelandet om etablering till",
            updated: "Ärendet har uppdaterats.",
            answer: "Svar",
            send_answer: "Skicka svar",
            answered: "Ditt svar har skickats.",
            resolve: "Markera som löst",
            resolved: "Löst",
            paste_hint: "klistra in en skärmbild",
        }
    } else {
        Said {
            open_case: "Open a case",
            request_type: "Request type",
            resend_type: "Resend provisioning email",
            subscription: "Subscription",
            description: "Description",
            screenshots: "Screenshots",
            remove: "Remove",
            cases: "Cases",
            queue: "Case queue",
            claim: "Claim",
            claimed: "You claimed the case.",
            case_about: "Case about",
            resent: "The provisioning email was resent to",
            deferred: "The mail server deferred the provisioning email to",
            accepted: "The mail server accepted the provisioning email to",
            updated: "The case was updated.",
            answer: "Answer",
            send_answer: "Send answer",
            answered: "Your answer was sent.",
            resolve: "Resolve",
            resolved: "Resolved",
            paste_hint: "paste a screenshot",
        }
    }
}

/// A world with a real SMTP peer and a support address; Pia and the agent sign in.
async fn world() -> (World, SmtpPeer) {
    let (w, peer) = World::with_smtp_and(|c| {
        c.support_email = Some(ContactEmail::parse(SUPPORT).unwrap());
    })
    .await;
    for email in [OPENER, AGENT] {
        w.t.set_password(email, PASSWORD).await;
    }
    (w, peer)
}

/// One emailed line in an order of the browser's language; its subscription reference.
async fn emailed_line(w: &World, peer: &SmtpPeer, b: &Browser, web_id: &str) -> String {
    let locale = &b.options().lang[..2];
    let subs = emailed_order(w, peer, web_id, locale, &[CONTACT]).await;
    subs[0].clone()
}

/// The row of a list of cases linked by `sub` (the queue, the opener's list).
async fn case_row<'a>(b: &'a Browser, sub: &str) -> Scope<'a> {
    let xpath = format!("//main//table//tr[th//a[normalize-space()='{sub}']]");
    let found = b
        .wait(&format!("the row of the case about {sub}"), || async {
            let all = b.client().find_all(Locator::XPath(&xpath)).await;
            match all.map_err(|e| e.to_string())?.as_slice() {
                [one] => Ok(one.clone()),
                other => Err(format!("{} rows link it", other.len())),
            }
        })
        .await;
    b.within(&found, &format!("the row of the case about {sub}"))
}

/// The case page's conversation (the part the page's polling rewrites stays inside it).
async fn conversation(b: &Browser) -> Scope<'_> {
    let found = b
        .wait("the conversation", || async {
            let found = b.client().find(Locator::Css("section.conversation")).await;
            found.map_err(|e| e.to_string())
        })
        .await;
    b.within(&found, "the conversation")
}

async fn sign_out(b: &Browser) {
    b.page().press(b.words().sign_out).await;
    b.page().field(b.words().password).await;
}

/// The messages the peer accepted for `to`, in order.
fn mails_to(peer: &SmtpPeer, to: &str) -> Vec<Received> {
    let all = peer.received().into_iter();
    all.filter(|m| m.to == [to]).collect()
}

const ANSWER: &str = "Resent it to Kim; please check the spam folder too.";

async fn from_the_row_through_the_queue(options: Options) {
    let (w, peer) = world().await;
    let b = Browser::start_with(&w.t.base, options).await;
    let s = said(&b);
    let sub = emailed_line(&w, &peer, &b, "W-BR-CASE").await;
    let dir = tempfile::tempdir().unwrap();
    let chosen = file(dir.path(), "kims-inbox.png", &png(40, 30, [200, 40, 40]));

    // Pia: from the line's row, one screenshot chosen and one pasted, both previewed.
    b.sign_in(OPENER, PASSWORD).await;
    form_from_row(&b, &s, "W-BR-CASE", &sub).await;
    b.page()
        .fill(s.description, "Kim never got the email.")
        .await;
    choose(&b, &s, &chosen).await;
    previews(&b, &s, &[("kims-inbox.png", 40)]).await;
    paste(&b, &s, &png(24, 24, [40, 40, 200])).await;
    let both = [("kims-inbox.png", 40), ("screenshot-2.png", 24)];
    previews(&b, &s, &both).await;
    b.page().press(s.open_case).await;
    b.wait_for_heading(&format!("{} {sub}", s.case_about)).await;
    let case_path = b.path().await;
    for (name, width) in both {
        assert_eq!(screenshot_width(&b, name).await, width, "{name} as kept");
    }
    sign_out(&b).await;

    // The agent: the queue, the row by its reference, Claim, the case.
    b.sign_in(AGENT, PASSWORD).await;
    b.page().follow(s.cases).await;
    b.wait_for_heading(s.queue).await;
    case_row(&b, &sub).await.press(s.claim).await;
    b.body().wait_for_text(s.claimed).await;
    let row = case_row(&b, &sub).await;
    row.wait_for_text(AGENT_NAME).await;
    row.follow(&sub).await;
    b.wait_for_heading(&format!("{} {sub}", s.case_about)).await;

    // Resend on the opener's behalf: the mail server defers it once, then (a minute later by
    // the service's clock) accepts it; the page shows both answers without being reloaded.
    peer.answer_times(CONTACT, Answer::TempFail, 1);
    b.page().press(b.words().resend).await;
    b.body()
        .wait_for_text(&format!("{} {CONTACT}", s.resent))
        .await;
    let mark = "window.caseTestMark = 'still this page'";
    b.client().execute(mark, vec![]).await.unwrap();
    let talk = conversation(&b).await;
    talk.wait_for_text(&format!("{} {CONTACT}", s.deferred))
        .await;
    w.t.advance(60).await;
    talk.wait_for_text(&format!("{} {CONTACT}", s.accepted))
        .await;
    b.wait_for_status(s.updated).await;
    let marked = b.client().execute("return window.caseTestMark", vec![]);
    assert_eq!(marked.await.unwrap(), json!("still this page"), "reloaded");

    // Answer, resolve.
    b.page().fill(s.answer, ANSWER).await;
    b.page().press(s.send_answer).await;
    b.body().wait_for_text(s.answered).await;
    conversation(&b).await.wait_for_text(ANSWER).await;
    b.page().press(s.resolve).await;
    b.page().absent(Role::Button, s.resolve).await;
    b.wait_for_text(s.resolved).await;
    sign_out(&b).await;

    // Pia: her list says Resolved; the case page shows the answer.
    b.sign_in(OPENER, PASSWORD).await;
    b.page().follow(s.cases).await;
    let row = case_row(&b, &sub).await;
    row.wait_for_text(s.resolved).await;
    row.follow(&sub).await;
    b.wait_for_path(&case_path).await;
    conversation(&b).await.wait_for_text(ANSWER).await;
    b.wait_for_text(s.resolved).await;

    notices_in_one_thread(&w, &peer, &sub, &case_path).await;
}

/// Support's new-case notice and Pia's two (answered, then resolved), each naming the line and
/// linking the case, all replying to one thread; Kim got the resend.
async fn notices_in_one_thread(w: &World, peer: &SmtpPeer, sub: &str, case_path: &str) {
    let to_pia = until("Pia's two notices", || async {
        let got = mails_to(peer, OPENER);
        (got.len() >= 2).then_some(got)
    })
    .await;
    assert_eq!(to_pia.len(), 2, "answered and resolved, nothing else");
    let to_support = mails_to(peer, SUPPORT);
    assert_eq!(to_support.len(), 1, "one new-case notice");
    assert_eq!(
        mails_to(peer, CONTACT).len(),
        2,
        "the first email and the resend"
    );
    let (answered, resolved) = (to_pia[0].text_body(), to_pia[1].text_body());
    assert!(answered.contains(ANSWER), "{answered}");
    assert!(!resolved.contains(ANSWER), "{resolved}");
    assert!(resolved.contains(AGENT_NAME), "{resolved}");
    let link = format!("{}{case_path}", w.t.base);
    let notices = [&to_support[0], &to_pia[0], &to_pia[1]];
    let thread = notices[0].header("In-Reply-To");
    assert!(thread.is_some(), "{}", notices[0].raw_text());
    for notice in notices {
        assert!(notice.subject().contains(sub), "{}", notice.subject());
        assert!(notice.text_body().contains(&link), "{}", notice.raw_text());
        assert_eq!(
            notice.header("In-Reply-To"),
            thread,
            "{}",
            notice.raw_text()
        );
        assert_eq!(notice.header("References"), thread, "{}", notice.raw_text());
        assert_ne!(notice.header("Message-ID"), thread);
    }
}

#[tokio::test]
async fn a_case_from_a_lines_row_is_worked_through_the_queue_in_english() {
    from_the_row_through_the_queue(Options::default()).await;
}

#[tokio::test]
async fn a_case_from_a_lines_row_is_worked_through_the_queue_in_swedish() {
    from_the_row_through_the_queue(Options::swedish()).await;
}

async fn plain_file_field(options: Options) {
    let (w, peer) = world().await;
    let b = Browser::start_with(&w.t.base, options).await;
    let s = said(&b);
    let sub = emailed_line(&w, &peer, &b, "W-BR-CASE-NOJS").await;
    let dir = tempfile::tempdir().unwrap();
    let chosen = file(dir.path(), "kims-inbox.png", &png(32, 20, [20, 160, 20]));

    b.sign_in(OPENER, PASSWORD).await;
    form_from_row(&b, &s, "W-BR-CASE-NOJS", &sub).await;
    let text = b.text_of_main().await;
    assert!(!text.contains(s.paste_hint), "a script's hint: {text}");
    b.page()
        .fill(s.description, "Kim never got the email.")
        .await;
    choose(&b, &s, &chosen).await;
    b.page().press(s.open_case).await;
    b.wait_for_heading(&format!("{} {sub}", s.case_about)).await;
    assert_eq!(screenshot_width(&b, "kims-inbox.png").await, 32);
}

#[tokio::test]
async fn without_javascript_the_plain_file_field_opens_a_case_in_english() {
    plain_file_field(Options {
        javascript: false,
        ..Options::default()
    })
    .await;
}

#[tokio::test]
async fn without_javascript_the_plain_file_field_opens_a_case_in_swedish() {
    plain_file_field(Options {
        javascript: false,
        ..Options::swedish()
    })
    .await;
}
