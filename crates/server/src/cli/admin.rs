//! The operator's administration commands: companies and users listed, users disabled,
//! enabled and changed, API keys listed and revoked. Each prints what it found or did.

use jiff::Timestamp;

use crate::app::{App, Caller};
use crate::cli::Failure;
use crate::error::AppError;

/// An instant as the tables show it: to the second, in UTC.
fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

pub async fn list_companies(app: &App) -> Result<(), Failure> {
    let companies = app.all_companies(&Caller::Operator).await?;
    if companies.is_empty() {
        println!("no companies yet");
        return Ok(());
    }
    let width = companies
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    println!("{:<width$}  {:<11}  ID", "NAME", "KIND");
    for c in &companies {
        println!("{:<width$}  {:<11}  {}", c.name, c.kind, c.id);
    }
    Ok(())
}

pub async fn list_users(app: &App, company: Option<&str>) -> Result<(), Failure> {
    let company = match company {
        Some(name) => Some(app.find_company(name, true).await?.ok_or_else(|| {
            AppError::invalid_value(
                "company_id",
                "value-no-company",
                vec![("value", name.to_owned())],
            )
        })?),
        None => None,
    };
    let users = app
        .all_users(&Caller::Operator, company.as_ref().map(|c| c.id))
        .await?;
    if users.is_empty() {
        match company {
            Some(c) => println!("no users in {}", c.name),
            None => println!("no users yet"),
        }
        return Ok(());
    }
    let email_w = users
        .iter()
        .map(|u| u.email.as_str().len())
        .max()
        .unwrap_or(0)
        .max(5);
    let name_w = users
        .iter()
        .map(|u| u.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let company_w = users
        .iter()
        .map(|u| u.company.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    println!(
        "{:<email_w$}  {:<name_w$}  {:<company_w$}  {:<13}  {:<10}  STATUS",
        "EMAIL", "NAME", "COMPANY", "ROLE", "CAN RESEND"
    );
    for u in &users {
        println!(
            "{:<email_w$}  {:<name_w$}  {:<company_w$}  {:<13}  {:<10}  {}",
            u.email.as_str(),
            u.name,
            u.company.name,
            u.role,
            if u.can_resend { "yes" } else { "no" },
            u.status
        );
    }
    Ok(())
}

pub async fn disable_user(app: &App, email: &str) -> Result<(), Failure> {
    let u = app.disable_user(&Caller::Operator, email).await?;
    println!(
        "disabled user {} <{}>: they cannot sign in and their API keys are refused",
        u.name, u.email
    );
    Ok(())
}

pub async fn enable_user(app: &App, email: &str) -> Result<(), Failure> {
    let u = app.enable_user(&Caller::Operator, email).await?;
    println!(
        "enabled user {} <{}>: they can sign in and their API keys that were not revoked work",
        u.name, u.email
    );
    Ok(())
}

pub async fn update_user(app: &App, email: &str, can_resend: bool) -> Result<(), Failure> {
    let u = app
        .set_can_resend(&Caller::Operator, email, can_resend)
        .await?;
    let may = if u.can_resend { "may" } else { "may no longer" };
    println!(
        "updated user {} <{}>: {may} resend provisioning emails and change provisioning contacts",
        u.name, u.email
    );
    Ok(())
}

pub async fn list_keys(app: &App, email: &str) -> Result<(), Failure> {
    let (user, keys) = app.api_keys(&Caller::Operator, email).await?;
    if keys.is_empty() {
        println!("{} has no API keys", user.email);
        return Ok(());
    }
    println!(
        "API keys of {} <{}>, newest first (last use is accurate to a minute):",
        user.name, user.email
    );
    println!(
        "{:<36}  {:<20}  {:<20}  REVOKED",
        "ID", "CREATED", "LAST USED"
    );
    for k in &keys {
        println!(
            "{:<36}  {:<20}  {:<20}  {}",
            k.id,
            when(k.created_at),
            k.last_used_at.map_or_else(|| "never".to_owned(), when),
            k.revoked_at.map_or_else(|| "-".to_owned(), when)
        );
    }
    Ok(())
}

pub async fn revoke_key(app: &App, id: &str) -> Result<(), Failure> {
    let k = app.revoke_api_key(&Caller::Operator, id).await?;
    let at = k
        .revoked_at
        .map_or_else(String::new, |t| format!(" at {}", when(t)));
    println!("revoked API key {}{at}: it no longer works", k.id);
    Ok(())
}
