//! The harness itself: the language a browser sends, JavaScript off, finding controls by role
//! and name among what is displayed, waits that fail saying what they waited for, and the
//! message when a binary is missing. Its pages come from a tiny HTTP server here.

use std::ffi::OsString;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::driver::locate;
use super::*;
use crate::helpers::*;

/// An HTTP server on 127.0.0.1 that answers every request with one HTML page and keeps the
/// `Accept-Language` of each request; it stops with the test's runtime.
struct Fixture {
    url: String,
    languages: Arc<Mutex<Vec<String>>>,
}

impl Fixture {
    async fn serving(html: &'static str) -> Fixture {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let languages = Arc::new(Mutex::new(Vec::new()));
        let seen = languages.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let language = head.lines().find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("accept-language")
                            .then(|| value.trim().to_owned())
                    });
                    seen.lock().unwrap().push(language.unwrap_or_default());
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{html}",
                        html.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        Fixture { url, languages }
    }

    fn languages(&self) -> Vec<String> {
        self.languages.lock().unwrap().clone()
    }
}

// (WebDriver's element text leaves out `noscript`, so the page says so in plain text.)
const SCRIPTED: &str = "<!doctype html><html><body><main>\
    <p>Static text.</p>\
    <p id=\"out\"></p>\
    <script>document.getElementById('out').textContent = 'Scripts ran.';</script>\
    </main></body></html>";

#[tokio::test]
async fn a_browser_sends_its_language_and_the_server_answers_in_it() {
    let fixture = Fixture::serving(SCRIPTED).await;
    let english = Browser::start(&fixture.url).await;
    english.goto(&fixture.url).await;
    let swedish = Browser::start_with(&fixture.url, Options::swedish()).await;
    swedish.goto(&fixture.url).await;
    let languages = fixture.languages();
    assert!(
        languages[0].starts_with("en-US"),
        "English browser: {languages:?}"
    );
    let sv = languages.iter().find(|l| l.starts_with("sv")).cloned();
    assert!(
        sv.as_deref().is_some_and(|l| l.starts_with("sv-SE")),
        "Swedish browser: {languages:?}"
    );

    // The server's pages that follow the browser's language today: /problems/{code}.
    let t = TestApp::spawn().await;
    swedish
        .goto(&format!("{}/problems/not_found", t.base))
        .await;
    swedish.wait_for_heading("Hittades inte").await;
    english
        .goto(&format!("{}/problems/not_found", t.base))
        .await;
    english.wait_for_heading("Not found").await;
}

#[tokio::test]
async fn javascript_can_be_turned_off() {
    let fixture = Fixture::serving(SCRIPTED).await;
    let on = Browser::start(&fixture.url).await;
    on.goto(&fixture.url).await;
    on.wait_for_text("Scripts ran.").await;

    let off = Browser::start_with(&fixture.url, Options::without_javascript()).await;
    off.goto(&fixture.url).await;
    let text = off.wait_for_text("Static text.").await;
    assert!(!text.contains("Scripts ran."), "{text}");
    let ran = off.client().execute("return 1", vec![]).await;
    assert!(ran.is_ok(), "WebDriver's own scripts still run: {ran:?}");
    // The finders work without page scripts too.
    let controls = Fixture::serving(CONTROLS).await;
    off.goto(&controls.url).await;
    off.page().fill("Search", "W-1").await;
    off.row("Sub1").tick("Select Sub1").await;
    off.page().button("Resend selected").await;
}

const CONTROLS: &str = "<!doctype html><html lang=\"en\"><body>\
    <nav><a href=\"/orders\">Orders</a> <a href=\"/help\">Provisioning help</a></nav>\
    <main><h1>Order W-1</h1>\
    <form><label for=\"q\">Search</label><input type=\"search\" id=\"q\" name=\"q\"></form>\
    <table><tr id=\"line-Sub1\"><td>kim@kund.test</td>\
    <td><button type=\"button\" aria-label=\"Resend provisioning email to kim@kund.test\" \
      onclick=\"document.getElementById('ask').showModal()\">Resend</button></td>\
    <td><label><input type=\"checkbox\" name=\"line\" value=\"Sub1\"> Select Sub1</label></td></tr>\
    <tr id=\"line-Sub10\"><td>ann@kund.test</td>\
    <td><button type=\"button\" disabled>Resend</button></td>\
    <td><label><input type=\"checkbox\" name=\"line\" value=\"Sub10\"> Select Sub10</label></td></tr>\
    </table>\
    <button type=\"button\">Resend selected</button>\
    <button type=\"button\" style=\"display:none\">Yes</button>\
    <dialog id=\"ask\"><p>Resend the provisioning email to kim@kund.test?</p>\
      <button type=\"button\" onclick=\"this.closest('dialog').close(); \
        document.getElementById('said').textContent = 'Said yes.'\">Yes</button>\
      <button type=\"button\" onclick=\"this.closest('dialog').close()\">No</button></dialog>\
    <p role=\"status\" id=\"said\"></p>\
    <label>Email <input type=\"email\" name=\"email\"></label>\
    </main></body></html>";

#[tokio::test]
async fn controls_are_found_by_role_and_name_among_what_is_displayed() {
    let fixture = Fixture::serving(CONTROLS).await;
    let b = Browser::start(&fixture.url).await;
    b.goto(&fixture.url).await;
    let page = b.page();
    assert_eq!(b.wait_for_heading("W-1").await, "Order W-1");
    // Links by text; a field by its label, by `for` or by wrapping it.
    assert!(page.href("Provisioning help").await.ends_with("/help"));
    page.fill("Search", "W-1").await;
    assert_eq!(
        page.field("Search").await.prop("value").await.unwrap(),
        Some("W-1".into())
    );
    page.fill("Email", "x@y.test").await;
    // Three buttons contain "Resend"; an exact name wins ("Resend" alone is ambiguous: two
    // buttons show exactly that).
    assert_eq!(page.all(Role::Button, "Resend").await.len(), 3);
    page.button("Resend selected").await;
    // In a row: the one Resend, found by its visible text, named by its aria-label.
    let row = b.row("Sub1");
    let resend = row.button("Resend").await;
    assert!(resend.is_enabled().await.unwrap());
    assert!(
        !b.row("Sub10")
            .button("Resend")
            .await
            .is_enabled()
            .await
            .unwrap()
    );
    // "Select Sub1" is exact for one checkbox though "Select Sub10" contains it.
    row.tick("Select Sub1").await;
    assert!(
        row.checkbox("Select Sub1")
            .await
            .is_selected()
            .await
            .unwrap()
    );
    assert!(
        !page
            .checkbox("Select Sub10")
            .await
            .is_selected()
            .await
            .unwrap()
    );

    // The hidden Yes and the closed dialog's buttons are not there to press.
    page.absent(Role::Button, "No").await;
    row.press("Resend").await;
    let dialog = b.dialog().await;
    dialog
        .wait_for_text("Resend the provisioning email to kim@kund.test?")
        .await;
    dialog.press("No").await;
    b.no_dialog().await;
    b.wait_for_focus_on(&resend, "the row's Resend button")
        .await;
    row.press("Resend").await;
    b.dialog().await.press("Yes").await;
    b.no_dialog().await;
    let status = page.the(Role::Status).await;
    assert_eq!(b.within(&status, "the status").text().await, "Said yes.");
}

#[tokio::test]
async fn a_wait_that_times_out_says_what_it_waited_for_and_where() {
    let fixture = Fixture::serving(CONTROLS).await;
    let mut b = Browser::start(&fixture.url).await;
    b.set_wait(Duration::from_secs(2));
    b.goto(&fixture.url).await;
    let waited = tokio::spawn(async move {
        // Ambiguous: a failure, not a guess.
        b.page().press("Resend").await;
    })
    .await;
    let panic = waited.expect_err("pressing an ambiguous name fails");
    let message = panic
        .into_panic()
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    for words in [
        "timed out after 2s",
        "a button named \"Resend\" in the page to click",
        "2 match, which is ambiguous",
        "Resend provisioning email to kim@kund.test",
        "browser at http://127.0.0.1:",
        "text of main: Order W-1",
        "screenshot: ",
    ] {
        assert!(message.contains(words), "{words:?} in:\n{message}");
    }
}

#[test]
fn a_missing_binary_fails_saying_how_to_install_it() {
    let nowhere = OsString::from("/nonexistent-bin");
    let err = locate(
        "chromedriver",
        "PROVISIO_CHROMEDRIVER",
        None,
        "/nonexistent/chromedriver",
        &["chromedriver"],
        &nowhere,
    )
    .unwrap_err();
    assert!(
        err.contains("apt-get install -y chromium chromium-driver"),
        "{err}"
    );
    assert!(err.contains("chromedriver"), "{err}");
    let err = locate(
        "Chromium",
        "PROVISIO_CHROMIUM",
        Some("/nonexistent/chromium".into()),
        "/usr/bin/chromium",
        &["chromium"],
        &nowhere,
    )
    .unwrap_err();
    assert!(
        err.contains("PROVISIO_CHROMIUM=/nonexistent/chromium"),
        "{err}"
    );
    assert!(err.contains("apt-get install"), "{err}");
}
