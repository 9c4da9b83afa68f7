//! The SMTP URL (SPEC §9): `smtp://host[:port]` plain (25), `smtp://host[:port]?tls=required`
//! STARTTLS (587), `smtps://host[:port]` implicit TLS (465); credentials in the user info,
//! percent-encoded. Errors never repeat the URL: it may hold a password.

use lettre::transport::smtp::authentication::Credentials;
use secrecy::{ExposeSecret, SecretString};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    Plain,
    StartTls,
    Implicit,
}

/// A parsed SMTP URL.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// A DNS name or an IP address (IPv6 without brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) security: Security,
    pub(crate) credentials: Option<Credentials>,
}

impl Endpoint {
    /// The URL without credentials, for logs and the admin page.
    pub(crate) fn describe(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let (scheme, query) = match self.security {
            Security::Plain => ("smtp", ""),
            Security::StartTls => ("smtp", "?tls=required"),
            Security::Implicit => ("smtps", ""),
        };
        let auth = if self.credentials.is_some() {
            " (with AUTH)"
        } else {
            ""
        };
        format!("{scheme}://{host}:{}{query}{auth}", self.port)
    }
}

/// The SMTP URL is unusable; the message says why without repeating it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SMTP URL: {0}")]
pub struct ConfigError(pub(crate) String);

fn invalid(why: impl Into<String>) -> ConfigError {
    ConfigError(why.into())
}

pub(crate) fn parse(url: &SecretString) -> Result<Endpoint, ConfigError> {
    let url = url::Url::parse(url.expose_secret().trim()).map_err(|e| invalid(e.to_string()))?;
    let implicit = match url.scheme() {
        "smtp" => false,
        "smtps" => true,
        other => {
            return Err(invalid(format!(
                "the scheme must be smtp or smtps, not '{other}'"
            )));
        }
    };
    let host = match url.host() {
        Some(url::Host::Domain(name)) if !name.is_empty() => name.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(invalid("it names no host")),
    };
    if !matches!(url.path(), "" | "/") {
        return Err(invalid("it must not have a path"));
    }
    if url.fragment().is_some() {
        return Err(invalid("it must not have a fragment (#...)"));
    }
    let mut starttls = false;
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("tls", "required") if !implicit && !starttls => starttls = true,
            ("tls", _) if implicit => {
                return Err(invalid(
                    "smtps:// always uses TLS; tls=required is only for smtp://",
                ));
            }
            _ => {
                return Err(invalid(format!(
                    "unsupported query parameter '{key}' (only tls=required, with smtp://)"
                )));
            }
        }
    }
    let security = match (implicit, starttls) {
        (true, _) => Security::Implicit,
        (false, true) => Security::StartTls,
        (false, false) => Security::Plain,
    };
    let port = url.port().unwrap_or(match security {
        Security::Plain => 25,
        Security::StartTls => 587,
        Security::Implicit => 465,
    });
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        ("", Some(_)) => return Err(invalid("it has a password but no user name")),
        (_, None) => return Err(invalid("it has a user name but no password")),
        (user, Some(password)) => Some(Credentials::new(
            percent_decode(user)
                .ok_or_else(|| invalid("the user name is badly percent-encoded"))?,
            percent_decode(password)
                .ok_or_else(|| invalid("the password is badly percent-encoded"))?,
        )),
    };
    Ok(Endpoint {
        host,
        port,
        security,
        credentials,
    })
}

/// `%40` → `@`; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Result<Endpoint, ConfigError> {
        parse(&SecretString::from(url.to_owned()))
    }

    #[test]
    fn forms_and_default_ports() {
        let plain = endpoint("smtp://mail.example").unwrap();
        assert_eq!((plain.port, plain.security), (25, Security::Plain));
        assert!(plain.credentials.is_none());
        assert_eq!(plain.describe(), "smtp://mail.example:25");

        let starttls = endpoint("smtp://mail.example?tls=required").unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (587, Security::StartTls)
        );
        assert_eq!(starttls.describe(), "smtp://mail.example:587?tls=required");

        let implicit = endpoint("smtps://mail.example").unwrap();
        assert_eq!(
            (implicit.port, implicit.security),
            (465, Security::Implicit)
        );

        let custom = endpoint("smtp://127.0.0.1:2525/").unwrap();
        assert_eq!((custom.host.as_str(), custom.port), ("127.0.0.1", 2525));

        let v6 = endpoint("smtps://[::1]:4650").unwrap();
        assert_eq!(v6.host, "::1");
        assert_eq!(v6.describe(), "smtps://[::1]:4650");
    }

    #[test]
    fn credentials_are_percent_decoded_and_never_described() {
        let e = endpoint("smtps://relay%40example.com:p%40ss%3Aw%C3%B6rd@mail.example").unwrap();
        assert_eq!(
            e.credentials,
            Some(Credentials::new(
                "relay@example.com".into(),
                "p@ss:wörd".into()
            ))
        );
        let described = e.describe();
        assert_eq!(described, "smtps://mail.example:465 (with AUTH)");
        assert!(!described.contains("relay") && !described.contains("ss"));
    }

    #[test]
    fn everything_else_is_refused_without_echoing_the_password() {
        let cases = [
            (
                "http://u:hunter2@mail.example",
                "scheme must be smtp or smtps",
            ),
            ("smtp://u:hunter2@", "empty host"),
            ("smtp:hunter2", "no host"),
            (
                "smtp://u:hunter2@mail.example/inbox",
                "must not have a path",
            ),
            ("smtp://u:hunter2@mail.example#x", "fragment"),
            (
                "smtp://u:hunter2@mail.example?tls=maybe",
                "unsupported query parameter 'tls'",
            ),
            (
                "smtp://u:hunter2@mail.example?timeout=5",
                "unsupported query parameter 'timeout'",
            ),
            (
                "smtps://u:hunter2@mail.example?tls=required",
                "only for smtp://",
            ),
            ("smtp://:hunter2@mail.example", "password but no user name"),
            ("smtp://u@mail.example", "user name but no password"),
            ("smtp://u:hunter2%ZZ@mail.example", "badly percent-encoded"),
            ("smtp://u:hunter2@mail.example:99999", "invalid port"),
            ("not a url hunter2", "relative URL"),
        ];
        for (url, expected) in cases {
            let message = endpoint(url).unwrap_err().to_string();
            assert!(message.contains(expected), "{url}: {message}");
            assert!(message.starts_with("invalid SMTP URL: "), "{message}");
            assert!(!message.contains("hunter2"), "{url}: {message}");
        }
    }
}
