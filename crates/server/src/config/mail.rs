//! The mail identity in the configuration: the sender (`mail_from`), the EHLO name and the
//! DKIM signer.

use std::sync::Arc;

use anyhow::{Context, bail};
use provisio_mail::Dkim;

use super::RawConfig;

/// The sender of provisioning email: `Name <address>` or a bare address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: Option<String>,
    /// A bare address; hosts without a dot (`provisio@localhost`) are fine for a sender.
    pub address: String,
}

impl Sender {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        let (name, address) = match (raw.find('<'), raw.strip_suffix('>')) {
            (Some(open), Some(rest)) => {
                let name = rest[..open].trim().trim_matches('"').trim();
                (
                    Some(name.to_owned()).filter(|n| !n.is_empty()),
                    &rest[open + 1..],
                )
            }
            _ => (None, raw),
        };
        let address = address.trim();
        let valid = match address.split_once('@') {
            Some((local, host)) => {
                !local.is_empty()
                    && !host.is_empty()
                    && !host.contains('@')
                    && !address.chars().any(|c| {
                        c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',')
                    })
            }
            None => false,
        };
        if !valid {
            bail!(
                "'{raw}' is not an address like provisio@example.com or Name <provisio@example.com>"
            );
        }
        Ok(Self {
            name,
            address: address.to_owned(),
        })
    }
}

/// The EHLO name when none is configured: the machine's name when it is fully qualified
/// (has a dot), else the domain of `mail_from` (the name relays expect of a sender of it).
pub(super) fn default_helo_name(host: Option<&str>, from: &Sender) -> String {
    host.filter(|h| h.contains('.'))
        .and_then(helo_name)
        .or_else(|| {
            from.address
                .rsplit_once('@')
                .and_then(|(_, d)| helo_name(d))
        })
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A domain name for EHLO in ASCII (an internationalized one as A-labels), or `None`.
pub(super) fn helo_name(name: &str) -> Option<String> {
    let ascii = idna::domain_to_ascii(name.trim().trim_end_matches('.')).ok()?;
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (ascii.len() <= 253 && ascii.split('.').all(label_ok)).then_some(ascii)
}

/// The DKIM signer: a key file needs a selector; the domain defaults to the sender's.
pub(super) fn dkim(raw: &RawConfig, from: &Sender) -> anyhow::Result<Option<Arc<Dkim>>> {
    let Some(path) = raw.dkim_key_file.as_deref().filter(|p| !p.is_empty()) else {
        if raw.dkim_selector.as_deref().is_some_and(|s| !s.is_empty()) {
            bail!("dkim_selector is set but dkim_key_file is not");
        }
        return Ok(None);
    };
    let selector = raw
        .dkim_selector
        .as_deref()
        .filter(|s| !s.is_empty())
        .context("dkim_key_file is set: dkim_selector is needed too")?;
    let domain = match raw.dkim_domain.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => d.to_owned(),
        None => from
            .address
            .rsplit_once('@')
            .map(|(_, d)| d.to_owned())
            .context("dkim_domain: the sender address has no domain to default to")?,
    };
    let key = std::fs::read_to_string(path)
        .with_context(|| format!("dkim_key_file: cannot read {path}"))?;
    let dkim = Dkim::from_key(selector, &domain, &key).context("dkim_key_file")?;
    Ok(Some(Arc::new(dkim)))
}
