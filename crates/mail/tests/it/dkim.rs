//! DKIM signatures checked by a verifier of our own, written from RFC 6376 (relaxed/relaxed,
//! rsa-sha256) and RFC 8463 (ed25519-sha256), independent of lettre's signer: the signature
//! verifies, covers MIME-Version and Content-Type, and over-signs From, so a From added on
//! the way breaks it. An RSA key is accepted in PKCS#1 and in PKCS#8 PEM.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, SigningKey, Verifier};
use provisio_domain::{EmailKind, Locale};
use provisio_mail::Dkim;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

use crate::{email, render};

/// Base64 of a 32-byte Ed25519 private key.
const KEY: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

fn signed() -> Vec<u8> {
    signed_with(KEY)
}

fn signed_with(key: &str) -> Vec<u8> {
    let dkim = Dkim::from_key("mail2026", "provisio.example", key).unwrap();
    let mut message = render(&email(Locale::Sv, EmailKind::Initial)).unwrap();
    dkim.sign(&mut message);
    message.formatted()
}

/// The public key a receiver finds in DNS.
enum PublicKey {
    Ed25519,
    Rsa(RsaPublicKey),
}

/// The header fields in order, each unfolded: (name, value as on the wire).
fn fields(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            out.last_mut().unwrap().1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            out.push((name.to_owned(), value.to_owned()));
        }
    }
    out
}

/// RFC 6376 §3.4.2 / §3.4.4: runs of whitespace become one space, trimmed.
fn squeeze(s: &str) -> String {
    s.split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn relaxed_header(name: &str, value: &str) -> String {
    format!("{}:{}", name.trim().to_ascii_lowercase(), squeeze(value))
}

fn relaxed_body(body: &str) -> String {
    let mut lines: Vec<String> = body
        .split("\r\n")
        .map(|l| {
            let l = l.replace('\t', " ");
            let mut squeezed = String::new();
            for c in l.chars() {
                if !(c == ' ' && squeezed.ends_with(' ')) {
                    squeezed.push(c);
                }
            }
            squeezed.trim_end().to_owned()
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// Verifies the message's DKIM-Signature with the Ed25519 test key.
fn verify(raw: &[u8]) -> Result<Vec<String>, String> {
    verify_with(raw, &PublicKey::Ed25519)
}

/// Verifies the message's DKIM-Signature; returns its `h=` list, or why it fails.
fn verify_with(raw: &[u8], key: &PublicKey) -> Result<Vec<String>, String> {
    let raw = std::str::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let fields = fields(head);
    let (_, signature) = fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("DKIM-Signature"))
        .ok_or("no DKIM-Signature")?;
    let tags: Vec<(String, String)> = signature
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_owned(),
                v.chars().filter(|c| !c.is_whitespace()).collect(),
            )
        })
        .collect();
    let tag = |k: &str| {
        tags.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let algorithm = match key {
        PublicKey::Ed25519 => "ed25519-sha256",
        PublicKey::Rsa(_) => "rsa-sha256",
    };
    assert_eq!(
        (tag("a"), tag("c")),
        (algorithm.into(), "relaxed/relaxed".into())
    );

    let body_hash = STANDARD.encode(Sha256::digest(relaxed_body(body)));
    if body_hash != tag("bh") {
        return Err("body hash mismatch".into());
    }
    let h: Vec<String> = tag("h").split(':').map(str::to_ascii_lowercase).collect();
    let mut data = String::new();
    let mut used = std::collections::HashMap::<String, usize>::new();
    for name in &h {
        // Instances from the bottom up; a name listed more often than it occurs adds nothing.
        let taken = used.entry(name.clone()).or_default();
        let instance = fields
            .iter()
            .rev()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .nth(*taken);
        *taken += 1;
        if let Some((n, v)) = instance {
            data.push_str(&relaxed_header(n, v));
            data.push_str("\r\n");
        }
    }
    // The signature header itself, with b= empty and no final CRLF.
    let b_at = signature
        .match_indices("b=")
        .find(|(i, _)| *i == 0 || signature[..*i].trim_end().ends_with(';'))
        .map(|(i, _)| i)
        .unwrap();
    let end = signature[b_at..]
        .find(';')
        .map_or(signature.len(), |e| b_at + e);
    let unsigned = format!("{}b={}", &signature[..b_at], &signature[end..]);
    data.push_str(&relaxed_header("DKIM-Signature", &unsigned));

    let b = STANDARD.decode(tag("b")).unwrap();
    match key {
        PublicKey::Ed25519 => {
            let seed: [u8; 32] = STANDARD.decode(KEY).unwrap().try_into().unwrap();
            let public = SigningKey::from_bytes(&seed).verifying_key();
            let b: [u8; 64] = b.try_into().unwrap();
            public
                .verify(&Sha256::digest(data.as_bytes()), &Signature::from_bytes(&b))
                .map_err(|e| format!("signature: {e}"))?;
        }
        PublicKey::Rsa(public) => {
            // RSASSA-PKCS1-v1_5 (RFC 8017 §9.2): the SHA-256 DigestInfo, then the hash.
            const SHA256_DIGEST_INFO: [u8; 19] = [
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ];
            let mut hashed = SHA256_DIGEST_INFO.to_vec();
            hashed.extend_from_slice(&Sha256::digest(data.as_bytes()));
            public
                .verify(Pkcs1v15Sign::new_unprefixed(), &hashed, &b)
                .map_err(|e| format!("signature: {e}"))?;
        }
    }
    Ok(h)
}

#[test]
fn the_signature_verifies_and_covers_the_mime_headers_and_over_signs_from() {
    let raw = signed();
    let h = verify(&raw).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&raw)));
    for name in [
        "mime-version",
        "content-type",
        "subject",
        "to",
        "message-id",
    ] {
        assert!(h.contains(&name.to_owned()), "{name} in {h:?}");
    }
    assert_eq!(h.iter().filter(|n| *n == "from").count(), 2, "{h:?}");
}

#[test]
fn a_from_added_on_the_way_or_a_changed_content_type_breaks_it() {
    let raw = String::from_utf8(signed()).unwrap();
    let forged = format!("From: Support <help@attacker.example>\r\n{raw}");
    assert!(verify(forged.as_bytes()).is_err(), "over-signed From");
    let relabelled = raw.replacen("multipart/alternative", "multipart/mixed", 1);
    assert_ne!(relabelled, raw);
    assert!(
        verify(relabelled.as_bytes()).is_err(),
        "Content-Type is signed"
    );
}

#[test]
fn an_rsa_key_is_accepted_in_pkcs1_and_in_pkcs8_and_its_signature_verifies() {
    // 1024 bits keeps the test quick; the format, not the size, is what is tested.
    let private = RsaPrivateKey::new(&mut rand_core::OsRng, 1024).unwrap();
    let pkcs1 = private.to_pkcs1_pem(LineEnding::LF).unwrap();
    let pkcs8 = private.to_pkcs8_pem(LineEnding::LF).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
    let public = PublicKey::Rsa(RsaPublicKey::from(&private));
    let other = RsaPrivateKey::new(&mut rand_core::OsRng, 1024).unwrap();
    let other = PublicKey::Rsa(RsaPublicKey::from(&other));
    for key in [pkcs1.as_str(), pkcs8.as_str()] {
        let raw = signed_with(key);
        verify_with(&raw, &public)
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&raw)));
        // A receiver with another public key refuses it.
        assert!(verify_with(&raw, &other).is_err());
    }
}
