//! Screenshots on support cases (SPEC §11; issue 20): real images are kept and served back
//! inert, a phone photo loses its GPS position, and every file that is not what a case
//! accepts refuses the whole case — with the right code, and with nothing of it stored and
//! nobody told.

use provisio_domain::ContactEmail;
use serde_json::{Value, json};

use crate::cases_api::{case_id, sub_refs};
use crate::cases_files::{
    File, LATITUDE, contains, decoded, jpeg, phone_photo, pixel_flood, png, post_form,
};
use crate::helpers::*;

/// The agents' address the notices of new cases go to.
const SUPPORT: &str = "support@op.test";

/// The case's text fields about the line `sub`.
fn fields(sub: &str) -> [(&'static str, &str); 3] {
    [
        ("request_type", "resend_provisioning_email"),
        ("subscription_ref", sub),
        (
            "description",
            "Kim never got the email; screenshots attached",
        ),
    ]
}

/// `GET /api/v1/cases/{id}/attachments/{n}` as `key`, raw.
async fn attachment(t: &TestApp, key: &str, id: &str, n: &str) -> (Reply, Vec<u8>) {
    let url = format!("{}/api/v1/cases/{id}/attachments/{n}", t.base);
    let res = t.http.get(url).bearer_auth(key).send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap().to_vec();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    let reply = Reply {
        status,
        headers,
        body,
        text,
    };
    (reply, bytes)
}

fn header<'r>(reply: &'r Reply, name: &str) -> &'r str {
    reply.headers.get(name).map_or("", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn screenshots_are_kept_and_served_back_inert_to_those_who_see_the_case() {
    let w = World::new().await;
    let order = w.order("W-UP-1", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];
    let screenshot = png(40, 30);
    let photo = jpeg(32, 24);
    let files = [
        // The client's name and type say nothing the server believes.
        File::new(
            "Screen Shot 10.15.32.bin",
            "application/octet-stream",
            screenshot.clone(),
        ),
        File::new("C:\\Users\\pia\\photo.jpeg", "image/jpeg", photo.clone()),
    ];
    let reply = post_form(&w.t, &w.pia, &fields(sub), &files).await;
    let case = reply.ok(201).clone();
    let id = case_id(&case);
    let listed: Vec<(u64, &str, &str)> = case["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let (n, name, ty) = (&a["n"], &a["filename"], &a["content_type"]);
            (
                n.as_u64().unwrap(),
                name.as_str().unwrap(),
                ty.as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (1, "Screen Shot 10.15.32.png", "image/png"),
            (2, "photo.jpg", "image/jpeg")
        ]
    );

    for (n, original, ty, name) in [
        ("1", &screenshot, "image/png", "Screen Shot 10.15.32.png"),
        ("2", &photo, "image/jpeg", "photo.jpg"),
    ] {
        for key in [&w.pia, &w.cy, &w.agent] {
            let (reply, bytes) = attachment(&w.t, key, &id, n).await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
            assert_eq!(header(&reply, "content-type"), ty);
            assert_eq!(
                header(&reply, "content-disposition"),
                format!("attachment; filename=\"{name}\"")
            );
            assert_eq!(header(&reply, "x-content-type-options"), "nosniff");
            let csp = header(&reply, "content-security-policy");
            assert!(
                csp.contains("sandbox") && csp.contains("default-src 'none'"),
                "{csp}"
            );
            // The same picture, pixel for pixel, and the size the case states.
            assert_eq!(decoded(&bytes), decoded(original));
            let size = &case["attachments"][n.parse::<usize>().unwrap() - 1]["size"];
            assert_eq!(size, bytes.len());
        }
    }

    // Another company, a number the case does not have, no such case: all not found alike.
    let (theirs, _) = attachment(&w.t, &w.olle, &id, "1").await;
    theirs.problem(404, "not_found");
    for (case, n) in [
        (id.as_str(), "3"),
        (id.as_str(), "0"),
        (id.as_str(), "first"),
        ("0190f3a2-0000-7000-8000-000000000000", "1"),
    ] {
        let (missing, _) = attachment(&w.t, &w.pia, case, n).await;
        missing.problem(404, "not_found");
        assert_eq!(missing.body, theirs.body, "{case}/{n}");
    }
    let (malformed, _) = attachment(&w.t, &w.pia, "not-a-case", "1").await;
    malformed.problem(404, "not_found");
}

#[tokio::test]
async fn a_phone_photo_is_stored_without_its_exif_and_gps_position() {
    let w = World::new().await;
    let order = w.order("W-UP-2", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];
    let photo = phone_photo(24, 16);
    assert!(contains(&photo, b"Exif") && contains(&photo, &LATITUDE));
    let files = [File::new("IMG_0042.JPG", "image/jpeg", photo.clone())];
    let case = post_form(&w.t, &w.pia, &fields(sub), &files)
        .await
        .ok(201)
        .clone();
    assert_eq!(case["attachments"][0]["filename"], "IMG_0042.jpg");

    let (reply, bytes) = attachment(&w.t, &w.agent, &case_id(&case), "1").await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(header(&reply, "content-type"), "image/jpeg");
    assert!(
        !contains(&bytes, b"Exif"),
        "the EXIF segment is still there"
    );
    assert!(
        !contains(&bytes, &LATITUDE),
        "the GPS position is still there"
    );
    assert!(
        !contains(&bytes, b"MM\x00\x2a"),
        "the TIFF structure is still there"
    );
    // The picture itself is untouched.
    assert_eq!(decoded(&bytes), decoded(&photo));
    assert_eq!(case["attachments"][0]["size"], bytes.len());
}

#[tokio::test]
async fn every_bad_upload_refuses_the_whole_case_and_stores_and_mails_nothing() {
    let (w, peer) = World::with_smtp_and(|c| {
        c.support_email = Some(ContactEmail::parse(SUPPORT).unwrap());
    })
    .await;
    let order = w.order("W-UP-3", &["kim@kund.test"]).await;
    let sub = &sub_refs(&order)[0];
    let good = File::new("screen.png", "image/png", png(16, 12));
    let html = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/cases')</script></body></html>";
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect/></svg>";
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(4096, 0x90);
    let mut over = png(16, 12);
    over.resize(5 * 1024 * 1024 + 1, 0);
    let six: Vec<File> = (0..6).map(|_| good.clone()).collect();
    let cases: Vec<(&str, Vec<File>, u16, &str, &str)> = vec![
        (
            "HTML sent as a PNG",
            vec![
                good.clone(),
                File::new("screen2.png", "image/png", html.to_vec()),
            ],
            422,
            "invalid_request",
            "only PNG, JPEG, GIF and WebP images and PDF files",
        ),
        (
            "a program renamed .png",
            vec![File::new("photo.png", "image/png", elf)],
            422,
            "invalid_request",
            "only PNG, JPEG, GIF and WebP images and PDF files",
        ),
        (
            "an SVG",
            vec![File::new("diagram.svg", "image/svg+xml", svg.to_vec())],
            422,
            "invalid_request",
            "only PNG, JPEG, GIF and WebP images and PDF files",
        ),
        (
            "a pixel flood",
            vec![File::new("flood.png", "image/png", pixel_flood())],
            422,
            "invalid_request",
            "100000 × 100000 pixels",
        ),
        (
            "a file over 5 MB",
            vec![File::new("huge.png", "image/png", over)],
            413,
            "payload_too_large",
            "at most 5 MB",
        ),
        (
            "six files",
            six,
            413,
            "payload_too_large",
            "at most 5 files",
        ),
        (
            "an empty file",
            vec![File::new("empty.png", "image/png", vec![])],
            422,
            "invalid_request",
            "the file is empty",
        ),
    ];
    for (what, files, status, code, words) in cases {
        let reply = post_form(&w.t, &w.pia, &fields(sub), &files).await;
        let detail = reply.problem(status, code)["detail"].as_str().unwrap();
        assert!(detail.contains(words), "{what}: {detail}");
    }

    // Nothing of them was stored: no case for anyone, and no duplicate to collide with.
    let listed = w.t.get("/api/v1/cases", &w.agent).await.ok(200).clone();
    assert_eq!(listed["items"], json!([]), "{listed}");
    // Nor mailed: the first notice the agents get is about the case that was accepted.
    let accepted = post_form(&w.t, &w.pia, &fields(sub), &[good]).await;
    let id = case_id(accepted.ok(201));
    peer.wait_for(1).await;
    // A notice that must come after it: had a refused case queued one, it would be here.
    let answer = json!({"body": "Thanks, looking into it"});
    let path = format!("/api/v1/cases/{id}/comments");
    w.t.post(&path, &w.agent, answer).await.ok(201);
    let received = peer.wait_for(2).await;
    let to: Vec<&str> = received.iter().map(|r| r.to[0].as_str()).collect();
    assert_eq!(to, [SUPPORT, "pia@acme.test"]);
    assert!(received[0].text_body().contains(&format!("/cases/{id}")));
}
