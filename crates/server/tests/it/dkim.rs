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
}

#[tokio::test]
async fn without_a_key_nothing_is_signed() {
    let (w, peer) = World::with_smtp().await;
    w.line_due_today("W5152", "kim@kund.test").await;
    let received = peer.wait_for(1).await;
    assert_eq!(received[0].header("DKIM-Signature"), None);
}
