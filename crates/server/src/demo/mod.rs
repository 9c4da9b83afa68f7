//! `provisio serve --demo` (SPEC §9): on the first start, demo companies, users and orders
//! whose lines are in every stage, with back-dated history ([`data`], replayed through the
//! real code paths by [`replay`]); on every start, new sign-in passwords for the demo users
//! and a new API key for the demo admin (revoking the earlier ones), printed before the server starts serving. Demo mail
//! always goes to `.eml` files, never over SMTP.

mod cases;
mod data;
mod replay;

use std::fmt::Write as _;

use anyhow::{Context, bail};

use crate::app::{App, Caller, secrets};
use crate::config::Config;

pub use data::{ADMIN, LAST_ORDER, OPERATOR, USERS};

/// The admin portal the demo's "finish at the admin portal" links point to, unless one is
/// configured.
pub const ADMIN_PORTAL: &str = "https://admin-portal.example/";

/// Where the demo's support agents are told of new cases, unless one is configured.
pub const SUPPORT_INBOX: &str = "support@operator.example";

/// Demo mail goes to files: a configured SMTP server is ignored (with a warning), so trying
/// the demo never emails the `.example` contacts' (or anyone's) servers. The admin portal is
/// the demo's own unless one is configured, so the pages after PONR link it.
pub fn mail_to_files(config: &mut Config) {
    if config.smtp_url.take().is_some() {
        tracing::warn!(
            "--demo: PROVISIO_SMTP_URL is ignored; demo mail goes to .eml files in {}",
            config.data_dir().join("mail").display()
        );
    }
    if config.admin_portal_url.is_none() {
        config.admin_portal_url = url::Url::parse(ADMIN_PORTAL).ok();
    }
    // Support hears of new cases (their notices go to files too).
    if config.support_email.is_none() {
        config.support_email = provisio_domain::ContactEmail::parse(SUPPORT_INBOX).ok();
    }
}

/// A demo user's new sign-in password.
pub struct SignIn {
    pub email: &'static str,
    pub password: String,
}

/// What a start prints.
pub struct Started {
    /// True when this start created the demo data.
    pub created: bool,
    pub sign_ins: Vec<SignIn>,
    /// A new API key of the demo admin.
    pub api_key: String,
}

/// Creates the demo data on the first start and prints the demo's credentials (stdout).
pub async fn start(app: &App) -> anyhow::Result<()> {
    let started = prepare(app).await?;
    let hint = hint_line(app).await?;
    print!("{}", banner(app, &started, hint.as_deref()));
    Ok(())
}

/// Creates the demo data unless it exists, then resets the demo users' passwords and makes
/// a new API key for the demo admin.
pub async fn prepare(app: &App) -> anyhow::Result<Started> {
    let created = match (has_operator(app).await?, has_last_order(app).await?) {
        (false, _) => {
            tracing::info!("creating the demo data");
            data::create(app).await.context("creating the demo data")?;
            true
        }
        (true, true) => false,
        (true, false) => bail!(
            "the demo data in {} is incomplete (an earlier first start with --demo stopped part \
             way); start the demo with an empty data directory",
            app.config.data_dir().display()
        ),
    };
    let mut sign_ins = Vec::with_capacity(USERS.len());
    for u in USERS {
        let password = secrets::new_password();
        app.set_password(&Caller::Operator, u.email, &password)
            .await
            .with_context(|| format!("setting the password of {}", u.name))?;
        sign_ins.push(SignIn {
            email: u.email,
            password,
        });
    }
    // The earlier starts' keys are revoked, so keys do not pile up: only the printed one works.
    let (_, earlier) = app
        .api_keys(&Caller::Operator, ADMIN)
        .await
        .context("listing the demo admin's API keys")?;
    for old in earlier.iter().filter(|k| k.revoked_at.is_none()) {
        app.revoke_api_key(&Caller::Operator, &old.id.to_string())
            .await
            .context("revoking an earlier demo API key")?;
    }
    let key = app
        .create_api_key(&Caller::Operator, ADMIN)
        .await
        .context("creating the demo admin's API key")?;
    Ok(Started {
        created,
        sign_ins,
        api_key: key.key,
    })
}

async fn has_operator(app: &App) -> anyhow::Result<bool> {
    Ok(app.find_company(OPERATOR, true).await?.is_some())
}

async fn has_last_order(app: &App) -> anyhow::Result<bool> {
    Ok(app.find_order(LAST_ORDER).await?.is_some())
}

/// The first line of the hint order: closed by policy, still resendable.
async fn hint_line(app: &App) -> anyhow::Result<Option<String>> {
    let order = app.find_order(data::HINT_ORDER).await?;
    Ok(order.and_then(|o| o.lines.first().map(|l| l.sub_ref.to_string())))
}

/// The text printed on every start: who can sign in with what, the key, what to try.
pub fn banner(app: &App, started: &Started, hint_line: Option<&str>) -> String {
    let url = app.config.public_url.as_str().trim_end_matches('/');
    let dir = app.config.data_dir().display();
    // The commands run as printed: the binary that is running, by its path.
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "provisio".into());
    let key = &started.api_key;
    let mut out = String::new();
    let what = if started.created {
        "created the demo data: 3 companies, 7 users, 5 orders with lines in every stage and \
         in every reason to need attention, history going back 45 days"
    } else {
        "the demo data is already in place (nothing added)"
    };
    // Writing to a String cannot fail.
    let _ = writeln!(out, "\nprovisio demo: {what}.");
    let _ = writeln!(
        out,
        "\nDemo users: sign in at {url}/ with an email and its password (new at every start; only \
         their hashes are stored):"
    );
    for (u, s) in USERS.iter().zip(&started.sign_ins) {
        let _ = writeln!(
            out,
            "  {:<26} {}  {} ({})",
            s.email, s.password, u.name, u.note
        );
    }
    let _ = writeln!(
        out,
        "\nAPI key of the demo admin {ADMIN} (new at every start; the earlier ones are revoked):\n  {key}"
    );
    let _ = writeln!(out, "\nTry:");
    let _ = writeln!(
        out,
        "  curl -H 'Authorization: Bearer {key}' '{url}/api/v1/orders'"
    );
    let _ = writeln!(
        out,
        "  curl -H 'Authorization: Bearer {key}' '{url}/api/v1/subscriptions?provisioning=incomplete'"
    );
    let _ = writeln!(
        out,
        "  curl -H 'Authorization: Bearer {key}' '{url}/api/v1/attention'   # what needs a person"
    );
    if let Some(sub) = hint_line {
        let _ = writeln!(
            out,
            "  {exe} --data-dir {dir} resend {sub} --as bo@partner.example   # closed by policy, still resendable"
        );
        let _ = writeln!(
            out,
            "  {exe} --data-dir {dir} resend {sub} --as cy@partner.example   # refused: ask the ordering contact"
        );
    }
    let _ = writeln!(
        out,
        "\nMail is written to {} as .eml files (never sent over SMTP in the demo).\n",
        app.config.data_dir().join("mail").display()
    );
    out
}
