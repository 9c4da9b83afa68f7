//! What axe cannot see (issue 12 part 3): narrow windows (375 px, and 640 px: 200 % zoom of a
//! 1280 px window) never scroll the page sideways and keep Resend reachable; the keyboard
//! reaches the skip link first and sees where its focus is; a dialog closes on Esc and gives
//! the focus back; after an action the focus is on the page's message, and a form sent back
//! with a mistake starts at its problem summary, with or without JavaScript. The setup is
//! `workspace`'s.

use fantoccini::key::Key;
use serde_json::Value;

use super::workspace::{PASSWORD, emailed_order, open_order, question, resent, signed_in, world};
use super::*;

/// The page scrolls sideways: the document is wider than the window.
const SIDEWAYS: &str = "const e = document.documentElement;
    return e.scrollWidth > e.clientWidth ? `${e.scrollWidth} > ${e.clientWidth}` : null;";

async fn js(b: &Browser, script: &str) -> Value {
    b.client().execute(script, vec![]).await.unwrap()
}

/// Waits until the page has loaded, then fails if it scrolls sideways.
async fn assert_no_sideways_scroll(b: &Browser, what: &str) {
    b.text_of_main().await;
    let wider = js(b, SIDEWAYS).await;
    assert!(
        wider.is_null(),
        "{what} scrolls sideways at {} px: {wider}\n{}",
        js(b, "return window.innerWidth").await,
        b.where_it_is().await
    );
}

#[tokio::test]
async fn narrow_windows_never_scroll_sideways_and_resend_stays_reachable() {
    let (w, peer) = world().await;
    let to = "a.very.long.address@kund.test";
    let subs = emailed_order(&w, &peer, "W-BK-1", "en", &[to]).await;
    let sub = &subs[0];
    let link = peer.received()[0].setup_link();
    let email = w.t.emails(&w.bo, sub).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = Browser::start(&w.t.base).await;
    b.client().set_window_size(375, 800).await.unwrap();
    b.goto("/").await;
    assert_no_sideways_scroll(&b, "the sign-in page (375)").await;
    b.goto(&link).await;
    assert_no_sideways_scroll(&b, "the setup page (375)").await;
    b.sign_in("bo@acme.test", PASSWORD).await;
    let pages = [
        ("what needs attention", "/".to_owned()),
        ("the orders list", "/orders".to_owned()),
        ("an empty orders list", "/orders?q=no-such-order".to_owned()),
        ("Subscriptions", "/subscriptions".to_owned()),
        ("Provisioning help", "/help".to_owned()),
        ("the resend page", format!("/lines/{sub}/resend")),
        ("the contact page", format!("/lines/{sub}/contact")),
        ("an email as sent", format!("/lines/{sub}/emails/{email}")),
    ];
    for width in [375, 640] {
        b.client().set_window_size(width, 800).await.unwrap();
        for (what, path) in &pages {
            b.goto(path).await;
            assert_no_sideways_scroll(&b, &format!("{what} ({width})")).await;
        }
        open_order(&b, "W-BK-1").await;
        assert_no_sideways_scroll(&b, &format!("the order page ({width})")).await;

        // The line's Resend is in view once scrolled down to, without scrolling sideways.
        let script = format!(
            "const b = document.querySelector('[id=\"line-{sub}\"] .row-actions button');
             window.scrollTo(0, b.getBoundingClientRect().top + window.scrollY - 100);
             const r = b.getBoundingClientRect();
             return r.left >= 0 && r.right <= window.innerWidth;"
        );
        let in_view = js(&b, &script).await;
        assert_eq!(in_view, Value::Bool(true), "Resend in view at {width} px");
        // Resend is there to press, and its dialog fits the window.
        b.row(sub).press("Resend").await;
        let dialog = b.dialog().await;
        dialog.wait_for_text(&question(to)).await;
        let fits = js(
            &b,
            "const r = document.querySelector('dialog[open]').getBoundingClientRect();
             return r.left >= 0 && r.right <= window.innerWidth;",
        )
        .await;
        assert_eq!(fits, Value::Bool(true), "the dialog fits {width} px");
        dialog.press("No").await;
        b.no_dialog().await;
    }
}

#[tokio::test]
async fn the_keyboard_starts_at_the_skip_link_and_sees_its_focus() {
    let (w, peer) = world().await;
    emailed_order(&w, &peer, "W-BK-2", "en", &["kim@kund.test"]).await;
    let b = signed_in(&w, "bo@acme.test").await;
    b.goto("/orders").await;
    b.wait_for_heading("Orders").await;
    let body = b
        .client()
        .find(fantoccini::Locator::Css("body"))
        .await
        .unwrap();
    body.send_keys(&Key::Tab.to_string()).await.unwrap();
    let skip = b.focused().await;
    assert_eq!(skip.text().await.unwrap(), "Skip to main content");
    assert_eq!(skip.attr("href").await.unwrap().as_deref(), Some("#main"));
    // Focused from the keyboard, it is shown, with a visible ring.
    let shown = js(
        &b,
        "const s = getComputedStyle(document.activeElement);
         const r = document.activeElement.getBoundingClientRect();
         return [s.outlineStyle, s.outlineWidth, r.left >= 0 && r.width > 0];",
    )
    .await;
    assert_eq!(shown, serde_json::json!(["solid", "3px", true]), "{shown}");
    skip.send_keys(&Key::Enter.to_string()).await.unwrap();
    b.wait("the focus to move to main", || async {
        let id = js(&b, "return document.activeElement.id").await;
        if id == "main" {
            Ok(())
        } else {
            Err(format!("it is on #{id}"))
        }
    })
    .await;
}

#[tokio::test]
async fn escape_closes_a_dialog_and_gives_the_focus_back() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BK-3", "en", &["kim@kund.test"]).await;
    let b = signed_in(&w, "bo@acme.test").await;
    open_order(&b, "W-BK-3").await;
    let row = b.row(&subs[0]);
    for (button, inside) in [("Resend", "Yes"), ("Edit contact", "Email")] {
        row.press(button).await;
        let dialog = b.dialog().await;
        dialog.wait_for_text(inside).await;
        // The focus is inside the open dialog.
        let inside_dialog = js(
            &b,
            "return !!document.activeElement.closest('dialog[open]')",
        )
        .await;
        assert_eq!(
            inside_dialog,
            Value::Bool(true),
            "{button}: focus in the dialog"
        );
        b.focused()
            .await
            .send_keys(&Key::Escape.to_string())
            .await
            .unwrap();
        b.no_dialog().await;
        let opener = row.button(button).await;
        b.wait_for_focus_on(&opener, &format!("the row's {button} button"))
            .await;
    }
    assert_eq!(
        w.t.emails(&w.bo, &subs[0]).await.len(),
        1,
        "Esc sent nothing"
    );
}

#[tokio::test]
async fn after_an_action_the_focus_is_on_its_message() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BK-4", "en", &["kim@kund.test"]).await;
    for options in [Options::default(), Options::without_javascript()] {
        let b = Browser::start_with(&w.t.base, options).await;
        b.sign_in("bo@acme.test", PASSWORD).await;
        open_order(&b, "W-BK-4").await;
        b.row(&subs[0]).press("Resend").await;
        if b.options().javascript {
            b.dialog().await.press("Yes").await;
        } else {
            b.wait_for_path(&format!("/lines/{}/resend", subs[0])).await;
            b.page().press("Yes").await;
        }
        b.body().wait_for_text(&resent("kim@kund.test")).await;
        assert!(b.path().await.starts_with("/orders/"), "{}", b.path().await);
        b.wait("the focus to be on the message", || async {
            let active = js(&b, "return document.activeElement.id + ': ' + document.activeElement.textContent.trim()").await;
            let active = active.as_str().unwrap_or_default().to_owned();
            if active.starts_with("message: ") && active.contains(&resent("kim@kund.test")) {
                Ok(())
            } else {
                Err(format!("it is on {active:?}"))
            }
        })
        .await;
    }
}

#[tokio::test]
async fn a_form_sent_back_with_a_mistake_starts_at_what_is_wrong() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BK-5", "en", &["kim@kund.test"]).await;
    for options in [Options::default(), Options::without_javascript()] {
        let b = Browser::start_with(&w.t.base, options).await;
        // A wrong password: the sign-in form comes back.
        b.goto("/").await;
        b.page().fill("Email", "bo@acme.test").await;
        b.page().fill("Password", "not the password").await;
        b.page().press("Sign in").await;
        focus_on_summary(&b, "the sign-in form").await;
        // An address the service refuses (the browser's own check off): the contact form.
        b.sign_in("bo@acme.test", PASSWORD).await;
        b.goto(&format!("/lines/{}/contact", subs[0])).await;
        js(
            &b,
            "document.querySelectorAll('form').forEach(f => f.noValidate = true)",
        )
        .await;
        b.page().fill("Email", "not an address").await;
        b.page().press("Save and send").await;
        focus_on_summary(&b, "the contact form").await;
    }
}

/// Waits until the focus is on the page's problem summary.
async fn focus_on_summary(b: &Browser, what: &str) {
    let js_on = b.options().javascript;
    b.wait(
        &format!("the focus on the problem summary of {what} (JavaScript {js_on})"),
        || async {
            let on = js(
                b,
                "const a = document.activeElement;
                 return a.classList.contains('problem-summary') ? 'summary' : a.outerHTML.slice(0, 80);",
            )
            .await;
            if on == "summary" { Ok(()) } else { Err(format!("it is on {on}")) }
        },
    )
    .await;
}
