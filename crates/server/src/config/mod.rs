//! Typed configuration: defaults, then `provisio.toml` in the data directory, then environment
//! variables, then command-line flags. Validated at start-up (fail fast) and redacted when
//! logged: URLs lose their passwords.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use jiff::tz::TimeZone;
use provisio_domain::values::mask_email;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use provisio_mail::Dkim;

mod mail;
pub use mail::Sender;
use mail::{default_helo_name, dkim, helo_name};

pub const CONFIG_FILE: &str = "provisio.toml";
pub const DEFAULT_DATA_DIR: &str = "data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Every key, as in `provisio.toml` (environment: `PROVISIO_` + upper case, except
/// `DATABASE_URL`). README's configuration table documents each with its default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: String,
    database_url: Option<String>,
    public_url: Option<String>,
    admin_portal_url: Option<String>,
    support_email: Option<String>,
    smtp_url: Option<String>,
    smtp_helo_name: Option<String>,
    mail_from: String,
    dkim_key_file: Option<String>,
    dkim_selector: Option<String>,
    dkim_domain: Option<String>,
    time_zone: String,
    lease_secs: u64,
    smtp_connections: usize,
    sends_in_flight: usize,
    resend_limit_per_hour: u32,
    body_limit_bytes: usize,
    header_read_timeout_secs: u64,
    request_body_timeout_secs: u64,
    max_connections: usize,
    db_pool_size: u32,
    log_format: LogFormat,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.into(),
            database_url: None,
            public_url: None,
            admin_portal_url: None,
            support_email: None,
            smtp_url: None,
            smtp_helo_name: None,
            mail_from: "provisio@localhost".into(),
            dkim_key_file: None,
            dkim_selector: None,
            dkim_domain: None,
            time_zone: "UTC".into(),
            lease_secs: 60,
            smtp_connections: 20,
            sends_in_flight: 64,
            resend_limit_per_hour: provisio_domain::rate_limit::DEFAULT_PER_HOUR,
            body_limit_bytes: 2 * 1024 * 1024,
            header_read_timeout_secs: 30,
            request_body_timeout_secs: 20,
            max_connections: 4096,
            db_pool_size: 16,
            log_format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<SecretString>,
    pub public_url: Url,
    pub admin_portal_url: Option<Url>,
    /// Where the support agents are told of each new case (SPEC §11); none: nobody is.
    pub support_email: Option<provisio_domain::ContactEmail>,
    pub smtp_url: Option<SecretString>,
    /// The name provisio gives itself in SMTP's EHLO (relays check it).
    pub smtp_helo_name: String,
    pub mail_from: Sender,
    /// Signs outgoing mail when a key is configured (loaded and checked at start).
    pub dkim: Option<Arc<Dkim>>,
    pub time_zone: TimeZone,
    pub time_zone_name: String,
    pub lease_secs: u64,
    /// SMTP connections at most (a relay may limit them per client).
    pub smtp_connections: usize,
    /// Emails being sent whose result is not yet committed, at most (those waiting for a
    /// connection, on one, or for their result's commit): what a crash may send twice.
    pub sends_in_flight: usize,
    pub resend_limit_per_hour: u32,
    pub body_limit_bytes: usize,
    /// A connection that has not sent a whole request head in this time is closed (also an
    /// idle keep-alive connection).
    pub header_read_timeout: Duration,
    /// A request whose body stalls for this long is answered `408`.
    pub request_body_timeout: Duration,
    /// Open HTTP connections at most (further ones are answered `503` and closed).
    pub max_connections: usize,
    /// PostgreSQL: connections this instance keeps at most (README "Operations").
    pub db_pool_size: u32,
    pub log_format: LogFormat,
}

/// Flags that override the file and environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

const ENV_KEYS: &[&str] = &[
    "LISTEN",
    "PUBLIC_URL",
    "ADMIN_PORTAL_URL",
    "SUPPORT_EMAIL",
    "SMTP_URL",
    "SMTP_HELO_NAME",
    "MAIL_FROM",
    "DKIM_KEY_FILE",
    "DKIM_SELECTOR",
    "DKIM_DOMAIN",
    "TIME_ZONE",
    "LEASE_SECS",
    "SMTP_CONNECTIONS",
    "SENDS_IN_FLIGHT",
    "RESEND_LIMIT_PER_HOUR",
    "BODY_LIMIT_BYTES",
    "HEADER_READ_TIMEOUT_SECS",
    "REQUEST_BODY_TIMEOUT_SECS",
    "MAX_CONNECTIONS",
    "LOG_FORMAT",
];

impl Config {
    /// Loads the configuration for a data directory (flag, else `PROVISIO_DATA_DIR`, else
    /// `./data`).
    pub fn load(overrides: &Overrides) -> anyhow::Result<Self> {
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| std::env::var_os("PROVISIO_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()))
            .merge(Toml::file(data_dir.join(CONFIG_FILE)))
            .merge(Env::prefixed("PROVISIO_").only(ENV_KEYS))
            .merge(Env::raw().only(&["DATABASE_URL"]));
        if let Some(listen) = &overrides.listen {
            figment = figment.merge(Serialized::default("listen", listen));
        }
        let raw: RawConfig = figment.extract().context("invalid configuration")?;
        Self::from_raw(raw, data_dir)
    }

    /// The built-in defaults for a data directory, ignoring file and environment (tests).
    pub fn defaults(data_dir: PathBuf) -> anyhow::Result<Self> {
        Self::from_raw(RawConfig::default(), data_dir)
    }

    fn from_raw(raw: RawConfig, data_dir: PathBuf) -> anyhow::Result<Self> {
        let listen: SocketAddr = raw.listen.parse().with_context(|| {
            format!(
                "listen: '{}' is not an address like 127.0.0.1:8080",
                raw.listen
            )
        })?;
        let public_url = match &raw.public_url {
            Some(u) => parse_http_url("public_url", u)?,
            None => parse_http_url("listen", &format!("http://{listen}"))?,
        };
        let admin_portal_url = raw
            .admin_portal_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .map(|u| parse_http_url("admin_portal_url", u))
            .transpose()?;
        let support_email = raw
            .support_email
            .as_deref()
            .filter(|e| !e.is_empty())
            .map(|e| {
                provisio_domain::ContactEmail::parse(e)
                    .map_err(|_| anyhow::anyhow!("support_email: '{e}' is not an email address"))
            })
            .transpose()?;
        if let Some(smtp) = raw.smtp_url.as_deref().filter(|u| !u.is_empty()) {
            let url = Url::parse(smtp).map_err(|e| anyhow::anyhow!("smtp_url: {e}"))?;
            if !matches!(url.scheme(), "smtp" | "smtps") {
                bail!(
                    "smtp_url: scheme must be smtp:// or smtps://, not {}://",
                    url.scheme()
                );
            }
        }
        let known_db = |db: &str| {
            ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| db.starts_with(p))
        };
        if let Some(db) = raw
            .database_url
            .as_deref()
            .filter(|u| !u.is_empty() && !known_db(u))
        {
            let scheme = db.split(':').next().unwrap_or("");
            bail!("DATABASE_URL: expected sqlite:… or postgres://…, not {scheme}:…");
        }
        let mail_from = Sender::parse(&raw.mail_from).context("mail_from")?;
        let smtp_helo_name = match raw.smtp_helo_name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) => helo_name(name).with_context(|| {
                format!("smtp_helo_name: '{name}' is not a domain name like mail.example.com")
            })?,
            None => default_helo_name(gethostname::gethostname().to_str(), &mail_from),
        };
        let dkim = dkim(&raw, &mail_from)?;
        let time_zone = TimeZone::get(&raw.time_zone)
            .with_context(|| format!("time_zone: '{}' is not an IANA time zone", raw.time_zone))?;
        if raw.lease_secs == 0 || raw.lease_secs > 600 {
            bail!("lease_secs: must be between 1 and 600");
        }
        if raw.smtp_connections == 0 || raw.smtp_connections > 100 {
            bail!("smtp_connections: must be between 1 and 100");
        }
        if raw.sends_in_flight == 0 || raw.sends_in_flight > 1000 {
            bail!("sends_in_flight: must be between 1 and 1000");
        }
        if raw.resend_limit_per_hour == 0 {
            bail!("resend_limit_per_hour: must be at least 1");
        }
        if raw.body_limit_bytes < 1024 {
            bail!("body_limit_bytes: must be at least 1024");
        }
        if raw.header_read_timeout_secs == 0 || raw.header_read_timeout_secs > 60 {
            bail!("header_read_timeout_secs: must be between 1 and 60");
        }
        if raw.request_body_timeout_secs == 0 || raw.request_body_timeout_secs > 300 {
            bail!("request_body_timeout_secs: must be between 1 and 300");
        }
        if raw.max_connections < 16 {
            bail!("max_connections: must be at least 16");
        }
        if raw.db_pool_size < 2 || raw.db_pool_size > 1000 {
            bail!("db_pool_size: must be between 2 and 1000");
        }
        Ok(Self {
            listen,
            data_dir,
            database_url: raw
                .database_url
                .filter(|u| !u.is_empty())
                .map(SecretString::from),
            public_url,
            admin_portal_url,
            support_email,
            smtp_url: raw
                .smtp_url
                .filter(|u| !u.is_empty())
                .map(SecretString::from),
            smtp_helo_name,
            mail_from,
            dkim,
            time_zone,
            time_zone_name: raw.time_zone,
            lease_secs: raw.lease_secs,
            smtp_connections: raw.smtp_connections,
            sends_in_flight: raw.sends_in_flight,
            resend_limit_per_hour: raw.resend_limit_per_hour,
            body_limit_bytes: raw.body_limit_bytes,
            header_read_timeout: Duration::from_secs(raw.header_read_timeout_secs),
            request_body_timeout: Duration::from_secs(raw.request_body_timeout_secs),
            max_connections: raw.max_connections,
            db_pool_size: raw.db_pool_size,
            log_format: raw.log_format,
        })
    }

    /// The SQLite file used when `DATABASE_URL` is not set.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("provisio.sqlite")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The database URL, exposed only to open the connection.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(|s| s.expose_secret())
    }

    /// The addresses customers' IT admins should allowlist.
    pub fn sender_addresses(&self) -> Vec<String> {
        vec![self.mail_from.address.clone()]
    }
}

fn parse_http_url(key: &str, raw: &str) -> anyhow::Result<Url> {
    let url = Url::parse(raw).map_err(|e| anyhow::anyhow!("{key}: '{raw}' is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("{key}: '{raw}' must be an http:// or https:// URL");
    }
    Ok(url)
}

/// A URL with its password replaced, for logs.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<unparseable>".into(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url().map(redact_url))
            .field("public_url", &self.public_url.as_str())
            .field(
                "admin_portal_url",
                &self.admin_portal_url.as_ref().map(Url::as_str),
            )
            .field(
                "support_email",
                &self.support_email.as_ref().map(|e| mask_email(e.as_str())),
            )
            .field(
                "smtp_url",
                &self
                    .smtp_url
                    .as_ref()
                    .map(|s| redact_url(s.expose_secret())),
            )
            .field("smtp_helo_name", &self.smtp_helo_name)
            .field("mail_from", &mask_email(&self.mail_from.address))
            .field("dkim", &self.dkim.as_ref().map(|d| d.dns_name()))
            .field("time_zone", &self.time_zone_name)
            .field("lease_secs", &self.lease_secs)
            .field("smtp_connections", &self.smtp_connections)
            .field("sends_in_flight", &self.sends_in_flight)
            .field("resend_limit_per_hour", &self.resend_limit_per_hour)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("request_body_timeout", &self.request_body_timeout)
            .field("max_connections", &self.max_connections)
            .field("db_pool_size", &self.db_pool_size)
            .finish()
    }
}

#[cfg(test)]
mod tests;
