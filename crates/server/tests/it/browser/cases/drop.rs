//! Screenshots dropped on the case form's field, and one taken back before sending: the
//! previews follow, and the server keeps exactly the files that were left.

use serde_json::{Value, json};

use super::form::{form_from_row, png, previews, screenshot_width};
use super::{OPENER, emailed_line, said, world};
use crate::browser::workspace::PASSWORD;
use crate::browser::{Browser, Options};

/// Drops a PNG named `name` on the form's screenshots field, as a file dragged from the
/// desktop arrives: a drop event whose data transfer holds the file.
async fn drop_file(b: &Browser, name: &str, png: &[u8]) {
    let script = "const [bytes, name] = arguments;
        const file = new File([new Uint8Array(bytes)], name, { type: 'image/png' });
        const moved = new DataTransfer();
        moved.items.add(file);
        const zone = document.querySelector('[data-drop-zone]');
        zone.dispatchEvent(new DragEvent('dragover',
            { dataTransfer: moved, bubbles: true, cancelable: true }));
        const drop = new DragEvent('drop',
            { dataTransfer: moved, bubbles: true, cancelable: true });
        zone.dispatchEvent(drop);
        return drop.defaultPrevented;";
    let taken = b
        .client()
        .execute(script, vec![json!(png), json!(name)])
        .await
        .unwrap();
    assert_eq!(taken, Value::Bool(true), "the page took the dropped {name}");
}

async fn dropped_and_one_removed(options: Options) {
    let (w, peer) = world().await;
    let b = Browser::start_with(&w.t.base, options).await;
    let s = said(&b);
    let sub = emailed_line(&w, &peer, &b, "W-BR-CASE-DROP").await;
    b.sign_in(OPENER, PASSWORD).await;
    form_from_row(&b, &s, "W-BR-CASE-DROP", &sub).await;
    b.page()
        .fill(s.description, "Kim never got the email.")
        .await;
    drop_file(&b, "first.png", &png(18, 12, [200, 30, 30])).await;
    drop_file(&b, "second.png", &png(30, 12, [30, 30, 200])).await;
    previews(&b, &s, &[("first.png", 18), ("second.png", 30)]).await;
    b.page().press(&format!("{} first.png", s.remove)).await;
    previews(&b, &s, &[("second.png", 30)]).await;
    b.page().press(s.open_case).await;
    b.wait_for_heading(&format!("{} {sub}", s.case_about)).await;
    assert_eq!(screenshot_width(&b, "second.png").await, 30);
    let text = b.text_of_main().await;
    assert!(
        !text.contains("first.png"),
        "the removed file was not sent: {text}"
    );
}

#[tokio::test]
async fn dropped_screenshots_are_previewed_and_one_taken_back_is_not_sent_in_english() {
    dropped_and_one_removed(Options::default()).await;
}

#[tokio::test]
async fn dropped_screenshots_are_previewed_and_one_taken_back_is_not_sent_in_swedish() {
    dropped_and_one_removed(Options::swedish()).await;
}
