//! DKIM signatures (SPEC §4: "DKIM-signed when a key is configured"), made by lettre.

use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs1::LineEnding;
use rsa::pkcs8::DecodePrivateKey;

/// The DKIM key is unusable; the message says why and never shows the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid DKIM key: {0}")]
pub struct DkimError(String);

/// A signer for one selector and domain.
#[derive(Debug)]
pub struct Dkim {
    config: DkimConfig,
    selector: String,
    domain: String,
}

/// Headers the signature covers: what a receiver shows, what identifies the message, and
/// how its body is to be read (MIME-Version, Content-Type: else a relay could re-label the
/// parts). From is listed twice, "over-signed" (RFC 6376 §5.4.2): the second, unmatched
/// entry signs the *absence* of a second From, so nobody can add one above ours and have the
/// reader shown theirs while the signature still verifies.
///
/// lettre's signer takes the list as given and hashes each header found once (a name listed
/// again finds the same header and replaces it in its list, at its first place), which is
/// exactly what a verifier computes for an over-signed name: the header, then nothing. The
/// verification test in `tests/it/dkim.rs` checks it against an independent verifier.
const SIGNED: [&str; 9] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "From",
];

impl Dkim {
    /// `key` is an RSA private key in PEM, PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`, what
    /// `openssl genrsa -traditional` writes) or PKCS#8 (`-----BEGIN PRIVATE KEY-----`, what
    /// `openssl genpkey` writes), or the base64 of a 32-byte Ed25519 private key.
    pub fn from_key(selector: &str, domain: &str, key: &str) -> Result<Self, DkimError> {
        let selector = selector.trim();
        let domain = domain.trim().to_ascii_lowercase();
        let label_ok = |s: &str| {
            !s.is_empty()
                && s.split('.').all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        };
        if !label_ok(selector) {
            return Err(DkimError(format!("'{selector}' is not a DKIM selector")));
        }
        if !label_ok(&domain) {
            return Err(DkimError(format!("'{domain}' is not a domain")));
        }
        let key = key.trim();
        let signing_key = if key.starts_with("-----BEGIN PRIVATE KEY-----") {
            // lettre reads PKCS#1 only: the same key, re-encoded (kept in zeroized memory).
            let rsa = RsaPrivateKey::from_pkcs8_pem(key)
                .map_err(|e| DkimError(format!("not an RSA private key in PKCS#8 PEM ({e})")))?;
            let pkcs1 = rsa
                .to_pkcs1_pem(LineEnding::LF)
                .map_err(|e| DkimError(format!("cannot re-encode the RSA key ({e})")))?;
            rsa_key(&pkcs1)?
        } else if key.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            rsa_key(key)?
        } else if key.starts_with("-----BEGIN") {
            return Err(DkimError(
                "an RSA key must be PEM, PKCS#1 (BEGIN RSA PRIVATE KEY) or PKCS#8 \
                 (BEGIN PRIVATE KEY)"
                    .into(),
            ));
        } else {
            DkimSigningKey::new(key, DkimSigningAlgorithm::Ed25519)
                .map_err(|e| DkimError(format!("not an ed25519 private key ({e})")))?
        };
        let config = DkimConfig::new(
            selector.to_owned(),
            domain.clone(),
            signing_key,
            SIGNED
                .iter()
                .map(|h| HeaderName::new_from_ascii_str(h))
                .collect(),
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        );
        Ok(Self {
            config,
            selector: selector.to_owned(),
            domain,
        })
    }

    /// Adds the `DKIM-Signature` header.
    pub fn sign(&self, message: &mut Message) {
        message.sign(&self.config);
    }

    /// The DNS name receivers look the public key up at.
    pub fn dns_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }
}

fn rsa_key(pkcs1_pem: &str) -> Result<DkimSigningKey, DkimError> {
    DkimSigningKey::new(pkcs1_pem, DkimSigningAlgorithm::Rsa)
        .map_err(|e| DkimError(format!("not an RSA private key in PKCS#1 PEM ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message::builder()
            .from(
                "Provisioning <provisioning@sender.example>"
                    .parse()
                    .unwrap(),
            )
            .to("kim@kund.example".parse().unwrap())
            .subject("Provisioning information required")
            .message_id(Some("<abc@sender.example>".into()))
            .body(String::from("Hello\r\n"))
            .unwrap()
    }

    // Base64 of 32 bytes: an Ed25519 private key as `openssl`-free setups write it.
    const ED25519: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

    #[test]
    fn signs_with_an_ed25519_key() {
        let dkim = Dkim::from_key("mail2026", "Sender.Example", ED25519).unwrap();
        assert_eq!(dkim.dns_name(), "mail2026._domainkey.sender.example");
        let mut m = message();
        dkim.sign(&mut m);
        let raw = String::from_utf8(m.formatted()).unwrap();
        let header = raw
            .lines()
            .find(|l| l.starts_with("DKIM-Signature:"))
            .unwrap_or_else(|| panic!("no DKIM-Signature in {raw}"));
        let unfolded: String = raw[raw.find(header).unwrap()..]
            .split("\r\n")
            .take_while(|l| l.starts_with("DKIM-Signature:") || l.starts_with([' ', '\t']))
            .collect();
        for part in [
            "a=ed25519-sha256",
            "d=sender.example",
            "s=mail2026",
            "c=relaxed/relaxed",
        ] {
            assert!(unfolded.contains(part), "{part} in {unfolded}");
        }
        let h = unfolded
            .split("h=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        assert_eq!(
            h.split(':').map(str::trim).collect::<Vec<_>>(),
            [
                "from",
                "to",
                "subject",
                "date",
                "message-id",
                "reply-to",
                "mime-version",
                "content-type",
                "from"
            ],
            "{h}"
        );
    }

    #[test]
    fn bad_keys_selectors_and_domains_are_refused_without_echoing_the_key() {
        let e = Dkim::from_key("s", "x.example", "not base64 at all!").unwrap_err();
        assert!(e.to_string().contains("ed25519"), "{e}");
        assert!(!e.to_string().contains("not base64"), "{e}");
        // PKCS#8, but not RSA (a truncated Ed25519 key).
        let pkcs8 =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----";
        let e = Dkim::from_key("s", "x.example", pkcs8).unwrap_err();
        assert!(e.to_string().contains("RSA private key in PKCS#8"), "{e}");
        assert!(!e.to_string().contains("MC4CAQ"), "{e}");
        let ec = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----";
        let e = Dkim::from_key("s", "x.example", ec).unwrap_err();
        assert!(
            e.to_string().contains("PKCS#1") && e.to_string().contains("PKCS#8"),
            "{e}"
        );
        assert!(Dkim::from_key("bad selector", "x.example", ED25519).is_err());
        assert!(Dkim::from_key("s", "", ED25519).is_err());
    }
}
