//! Companies, users, API keys and offer policies.

use jiff::Timestamp;
use provisio_domain::policy::window_of;
use provisio_domain::{Actor, CompanyId, CompanyKind, ContactEmail, OfferSku, Role, UserId};
use provisio_store::{Company, NewCompany, NewUser, PolicyChange, StoreError, StoreResult, User};
use serde_json::json;
use sqlx::SqlitePool;

use crate::lines::{line_columns, line_from, lines_from};
use crate::{SqliteStore, db, opt_ts, rows, stored, ts, unique_as, uuid};

pub(crate) fn company_from(row: &impl crate::Cols, prefix: &str) -> StoreResult<Company> {
    let get = |c: &str| row.text(&format!("{prefix}{c}"));
    Ok(Company {
        id: CompanyId::from_uuid(uuid(&get("id")?)?),
        name: get("name")?,
        kind: stored("company kind", CompanyKind::parse(&get("kind")?))?,
    })
}

pub(crate) async fn create_company(s: &SqliteStore, new: NewCompany) -> StoreResult<Company> {
    let id = CompanyId::from_uuid(uuid::Uuid::now_v7());
    sqlx::query("INSERT INTO companies (id, name, kind, created_at) VALUES (?, ?, ?, ?)")
        .bind(id.to_string())
        .bind(new.name.as_str())
        .bind(new.kind.as_str())
        .bind(ts(new.now))
        .execute(&s.writer)
        .await
        .map_err(unique_as("a company with this name"))?;
    Ok(Company {
        id,
        name: new.name.as_str().to_owned(),
        kind: new.kind,
    })
}

pub(crate) async fn company(
    pool: &SqlitePool,
    by: &str,
    value: &str,
) -> StoreResult<Option<Company>> {
    let sql = if by == "id" {
        "SELECT id, name, kind FROM companies WHERE id = ?"
    } else {
        "SELECT id, name, kind FROM companies WHERE name = ? COLLATE NOCASE"
    };
    let row = sqlx::query(sql)
        .bind(value)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| company_from(&r, "")).transpose()
}

macro_rules! user_select {
    () => {
        "SELECT u.id, u.email, u.name, u.role, u.can_resend, u.password_hash,
            c.id AS c_id, c.name AS c_name, c.kind AS c_kind
        FROM users u JOIN companies c ON c.id = u.company_id"
    };
}
const USER_SELECT: &str = user_select!();

fn user_from(row: &impl crate::Cols) -> StoreResult<User> {
    Ok(User {
        id: UserId::from_uuid(uuid(&row.text("id")?)?),
        company: company_from(row, "c_")?,
        email: stored("user email", ContactEmail::parse(&row.text("email")?))?,
        name: row.text("name")?,
        role: stored("role", Role::parse(&row.text("role")?))?,
        can_resend: row.int("can_resend")? != 0,
        password_hash: row.opt_text("password_hash")?,
    })
}

pub(crate) async fn create_user(s: &SqliteStore, new: NewUser) -> StoreResult<User> {
    let id = UserId::from_uuid(uuid::Uuid::now_v7());
    sqlx::query(
        "INSERT INTO users (id, company_id, email, name, role, can_resend, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id.to_string())
    .bind(new.company_id.to_string())
    .bind(new.email.as_str())
    .bind(new.name.as_str())
    .bind(new.role.as_str())
    .bind(new.can_resend)
    .bind(&new.password_hash)
    .bind(ts(new.now))
    .execute(&s.writer)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound { what: "company" },
        _ => unique_as("a user with this email")(e),
    })?;
    user_by_email(&s.writer, &new.email)
        .await?
        .ok_or(StoreError::NotFound { what: "user" })
}

pub(crate) async fn user_by_email(
    pool: &SqlitePool,
    email: &ContactEmail,
) -> StoreResult<Option<User>> {
    let sql = sqlx::AssertSqlSafe(format!("{USER_SELECT} WHERE u.email = ?"));
    let row = sqlx::query(sql)
        .bind(email.as_str())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| user_from(&r)).transpose()
}

pub(crate) async fn create_api_key(
    s: &SqliteStore,
    user: UserId,
    key_hash: &str,
    now: Timestamp,
) -> StoreResult<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    sqlx::query("INSERT INTO api_keys (id, user_id, key_hash, created_at) VALUES (?, ?, ?, ?)")
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(key_hash)
        .bind(ts(now))
        .execute(&s.writer)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::NotFound { what: "user" }
            }
            _ => unique_as("an API key with this hash")(e),
        })?;
    Ok(id)
}

/// On the request path of every API call: read on a direct connection (see `reader.rs`).
pub(crate) fn actor_by_api_key(
    conn: &rusqlite::Connection,
    key_hash: &str,
) -> StoreResult<Option<Actor>> {
    const SQL: &str = concat!(
        user_select!(),
        " JOIN api_keys k ON k.user_id = u.id WHERE k.key_hash = ? AND k.revoked_at IS NULL"
    );
    let Some(u) = rows(conn, SQL, [key_hash], |r| user_from(r))?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    Ok(Some(Actor {
        user_id: u.id,
        name: u.name,
        email: u.email.as_str().to_owned(),
        role: u.role,
        company_id: u.company.id,
        company_kind: u.company.kind,
        can_resend: u.can_resend,
    }))
}

pub(crate) async fn offer_policies<'e>(
    ex: impl sqlx::SqliteExecutor<'e>,
) -> StoreResult<Vec<(OfferSku, u32)>> {
    let rows = sqlx::query("SELECT offer, window_days FROM offer_policies ORDER BY offer")
        .fetch_all(ex)
        .await
        .map_err(db)?;
    rows.iter().map(policy_entry).collect()
}

/// One stored offer policy: columns `offer` and `window_days`.
pub(crate) fn policy_entry(row: &impl crate::Cols) -> StoreResult<(OfferSku, u32)> {
    Ok((
        stored("offer", OfferSku::parse(&row.text("offer")?))?,
        stored("window", u32::try_from(row.int("window_days")?))?,
    ))
}

/// Sets the window and moves the deadline of every line of that offer whose window runs.
pub(crate) async fn set_offer_policy(s: &SqliteStore, change: PolicyChange) -> StoreResult<()> {
    let mut tx = s.begin().await?;
    sqlx::query(
        "INSERT INTO offer_policies (offer, window_days, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (offer) DO UPDATE SET window_days = excluded.window_days, updated_at = excluded.updated_at",
    )
    .bind(change.offer.as_str())
    .bind(i64::from(change.window_days))
    .bind(ts(change.now))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // Lines whose window is running; the domain decides each one's new deadline.
    let running = sqlx::query(concat!(
        "SELECT ",
        line_columns!(),
        lines_from!(),
        "WHERE l.offer = ? AND l.status = 'open' AND l.first_sent_at IS NOT NULL"
    ))
    .bind(change.offer.as_str())
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let window = window_of(change.window_days);
    for row in &running {
        let line = line_from(row)?;
        sqlx::query("UPDATE lines SET closes_at = ? WHERE sub_ref = ?")
            .bind(opt_ts(line.state.deadline_under(window)))
            .bind(line.sub_ref.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    sqlx::query("INSERT INTO events (type, at, actor_id, data) VALUES ('policy.changed', ?, ?, ?)")
        .bind(ts(change.now))
        .bind(change.actor.to_string())
        .bind(
            json!({ "offer": change.offer.as_str(), "window_days": change.window_days })
                .to_string(),
        )
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn set_password_hash(
    s: &SqliteStore,
    user: UserId,
    hash: Option<&str>,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(hash)
        .bind(user.to_string())
        .execute(&s.writer)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: "user" });
    }
    Ok(())
}
