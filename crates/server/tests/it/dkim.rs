//! SPEC §4: with a DKIM key configured, every provisioning email is signed.

use std::sync::Arc;

use provisio_mail::Dkim;

use crate::helpers::*;

#[tokio::test]
async fn emails_are_dkim_signed_when_a_key_is_configured() {
    let key = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    let (w, peer) = World::with_smtp_and(|c| {
        c.dkim = Some(Arc::new(
            Dkim::from_key("mail2026", "sender.test", key).unwrap(),
        ));
    })
    .await;
    w.line_due_today("W5151", "kim@kund.test").await;
    let received = peer.wait_for(1).await;
    let signature = received[0]
        .header("DKIM-Signature")
        .expect("a DKIM-Signature header");
    for part in ["d=sender.test", "s=mail2026", "a=ed25519-sha256"] {
        assert!(signature.contains(part), "{part} in {signature}");
    }
    // What is signed (provisio-mail's tests verify the signature itself): the MIME headers
    // too, and From over-signed.
    let compact: String = signature.split_whitespace().collect();
    let h = compact
        .split("h=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert_eq!(
        h,
        "from:to:subject:date:message-id:reply-to:mime-version:content-type:from"
    );
    let raw = received[0].raw_text();
    let head = &raw[..raw.find("\r\n\r\n").unwrap()];
    assert!(
        head.contains("\r\nContent-Type: multipart/alternative"),
        "Content-Type among the signed headers:\n{head}"
    );
}

#[tokio::test]
async fn without_a_key_nothing_is_signed() {
    let (w, peer) = World::with_smtp().await;
    w.line_due_today("W5152", "kim@kund.test").await;
    let received = peer.wait_for(1).await;
    assert_eq!(received[0].header("DKIM-Signature"), None);
}
