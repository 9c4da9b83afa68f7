//! The case form as a person uses it: opened from a line's row, a screenshot chosen with the
//! file chooser or pasted from the clipboard, the previews; and what the server kept of a
//! screenshot. The screenshots are real PNG files of known sizes.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::Said;
use crate::browser::Browser;
use crate::browser::workspace::open_order;

/// A PNG of `width` × `height` pixels of one colour, as a screenshot tool writes it.
pub(in crate::browser) fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let picture = image::RgbImage::from_pixel(width, height, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Writes `bytes` to `name` in `dir`; the file's path.
pub(super) fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// On the order page, the line's row's "Open a case": the form, with the request type preset
/// and the line filled in.
pub(super) async fn form_from_row(b: &Browser, s: &Said, web_id: &str, sub: &str) {
    open_order(b, web_id).await;
    b.row(sub).follow(s.open_case).await;
    b.wait_for_path("/cases/new?").await;
    b.wait_for_heading(s.open_case).await;
    let page = b.page();
    let kind = page.field(s.request_type).await;
    let shown = "return arguments[0].selectedOptions[0].textContent.trim()";
    let args = vec![serde_json::to_value(&kind).unwrap()];
    let shown = b.client().execute(shown, args).await.unwrap();
    assert_eq!(shown, s.resend_type, "the request type preset");
    let line = page.field(s.subscription).await;
    let value = line.prop("value").await.unwrap();
    assert_eq!(value.as_deref(), Some(sub), "the line filled in");
}

/// Chooses `path` in the form's file field, as the file chooser does.
pub(super) async fn choose(b: &Browser, s: &Said, path: &Path) {
    let field = b.page().field(s.screenshots).await;
    field.send_keys(&path.display().to_string()).await.unwrap();
}

/// Pastes a PNG into the description as Ctrl+V with a screenshot on the clipboard does: a
/// paste event whose clipboard holds the file, named "image.png" as Chromium names it.
pub(super) async fn paste(b: &Browser, s: &Said, png: &[u8]) {
    let field = b.page().field(s.description).await;
    let script = "const [bytes, field] = arguments;
        const file = new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' });
        const clipboard = new DataTransfer();
        clipboard.items.add(file);
        field.focus();
        const paste = new ClipboardEvent('paste',
            { clipboardData: clipboard, bubbles: true, cancelable: true });
        field.dispatchEvent(paste);
        return paste.defaultPrevented;";
    let args = vec![json!(png), serde_json::to_value(&field).unwrap()];
    let taken = b.client().execute(script, args).await.unwrap();
    assert_eq!(taken, Value::Bool(true), "the page took the pasted file");
}

/// Waits until the form previews exactly these files, in order: each one's name, its picture
/// as wide as the file's (decoded by the browser) and a button to remove it.
pub(super) async fn previews(b: &Browser, s: &Said, want: &[(&str, u32)]) {
    let script = "return Array.from(document.querySelectorAll('[data-previews] li'), li => {
        const img = li.querySelector('img');
        return [li.textContent, img && img.complete ? img.naturalWidth : 0];
    })";
    b.wait(&format!("the previews of {want:?}"), || async {
        let got = b.client().execute(script, vec![]).await;
        let got: Vec<(String, u32)> =
            serde_json::from_value(got.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        let same = got.len() == want.len()
            && got
                .iter()
                .zip(want)
                .all(|((text, width), (name, w))| text.starts_with(name) && width == w);
        if same {
            Ok(())
        } else {
            Err(format!("the previews are {got:?}"))
        }
    })
    .await;
    for (name, _) in want {
        b.page().button(&format!("{} {name}", s.remove)).await;
    }
}

/// The width of the picture the link named `name` downloads, fetched with the browser's
/// cookie (the screenshot as the server keeps it).
pub(super) async fn screenshot_width(b: &Browser, name: &str) -> u32 {
    let href = b.page().href(name).await;
    let got = reqwest::Client::new()
        .get(&href)
        .header("cookie", b.cookie_header().await)
        .send()
        .await
        .unwrap();
    assert!(got.status().is_success(), "{href}: {}", got.status());
    let bytes = got.bytes().await.unwrap();
    image::load_from_memory(&bytes).unwrap().width()
}
