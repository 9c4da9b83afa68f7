//! Companies, users and API keys.

use jiff::Timestamp;
use provisio_domain::{CompanyId, CompanyKind, ContactEmail, Locale, Role, UserId, UserStatus};
use provisio_store::{
    Company, Entity, NewCompany, NewUser, Page, PageRequest, StoreError, StoreResult, User,
};
use rusqlite::{Connection, params};

use crate::writer::{Constraint, Tx, constraint};
use crate::{Named, db, rows, stored, ts, uuid};

pub(crate) use provisio_store::rows::company_from;

/// Maps a failed insert: a unique violation is `what` taken, a foreign key an unknown `parent`.
pub(crate) fn insert_error(what: Entity, parent: Entity) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| match constraint(&e) {
        Some(Constraint::Unique) => StoreError::AlreadyExists { what },
        Some(Constraint::ForeignKey) => StoreError::NotFound { what: parent },
        None => db(e),
    }
}

pub(crate) fn create_company(tx: &Tx, new: &NewCompany) -> StoreResult<Company> {
    let id = CompanyId::from_uuid(uuid::Uuid::now_v7());
    tx.prepare_cached("INSERT INTO companies (id, name, kind, created_at) VALUES (?, ?, ?, ?)")
        .and_then(|mut q| {
            q.execute(params![
                id.to_string(),
                new.name.as_str(),
                new.kind.as_str(),
                ts(new.now)
            ])
        })
        .map_err(insert_error(Entity::Company, Entity::Company))?;
    Ok(Company {
        id,
        name: new.name.as_str().to_owned(),
        kind: new.kind,
    })
}

pub(crate) fn company_by_id(conn: &Connection, id: &str) -> StoreResult<Option<Company>> {
    let sql = "SELECT id, name, kind FROM companies WHERE id = ?";
    Ok(rows(conn, sql, [id], |r| company_from(r, ""))?
        .into_iter()
        .next())
}

/// Names are compared case-insensitively.
pub(crate) fn company_by_name(conn: &Connection, name: &str) -> StoreResult<Option<Company>> {
    let sql = "SELECT id, name, kind FROM companies WHERE name = ? COLLATE NOCASE";
    Ok(rows(conn, sql, [name], |r| company_from(r, ""))?
        .into_iter()
        .next())
}

macro_rules! user_columns {
    () => {
        "u.id, u.email, u.name, u.role, u.can_resend, u.status, u.password_hash, u.locale,
            c.id AS c_id, c.name AS c_name, c.kind AS c_kind"
    };
}

pub(crate) use user_columns;

macro_rules! user_select {
    () => {
        concat!(
            "SELECT ",
            user_columns!(),
            " FROM users u JOIN companies c ON c.id = u.company_id"
        )
    };
}

pub(crate) fn user_from(row: &Named<'_, '_>) -> StoreResult<User> {
    Ok(User {
        id: UserId::from_uuid(uuid(&row.text("id")?)?),
        company: company_from(row, "c_")?,
        email: stored("user email", ContactEmail::from_stored(&row.text("email")?))?,
        name: row.text("name")?,
        role: stored("role", Role::parse(&row.text("role")?))?,
        can_resend: row.int("can_resend")? != 0,
        status: stored("user status", UserStatus::parse(&row.text("status")?))?,
        password_hash: row.opt_text("password_hash")?,
        locale: match row.opt_text("locale")? {
            Some(l) => Some(stored("user locale", Locale::parse(&l))?),
            None => None,
        },
    })
}

pub(crate) fn create_user(tx: &Tx, new: &NewUser) -> StoreResult<User> {
    let id = UserId::from_uuid(uuid::Uuid::now_v7());
    tx.prepare_cached(
        "INSERT INTO users (id, company_id, email, name, role, can_resend, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut q| {
        q.execute(params![
            id.to_string(),
            new.company_id.to_string(),
            new.email.as_str(),
            new.name.as_str(),
            new.role.as_str(),
            new.can_resend,
            new.password_hash,
            ts(new.now)
        ])
    })
    .map_err(insert_error(Entity::User, Entity::Company))?;
    user_by_email(tx, &new.email)?.ok_or(StoreError::NotFound { what: Entity::User })
}

pub(crate) fn user_by_email(conn: &Connection, email: &ContactEmail) -> StoreResult<Option<User>> {
    const SQL: &str = concat!(user_select!(), " WHERE u.email = ?");
    Ok(rows(conn, SQL, [email.as_str()], user_from)?
        .into_iter()
        .next())
}

pub(crate) fn user_by_id(conn: &Connection, id: UserId) -> StoreResult<Option<User>> {
    const SQL: &str = concat!(user_select!(), " WHERE u.id = ?");
    Ok(rows(conn, SQL, [id.to_string()], user_from)?
        .into_iter()
        .next())
}

pub(crate) fn set_locale(tx: &Tx, user: UserId, locale: Option<Locale>) -> StoreResult<()> {
    let changed = tx
        .prepare_cached("UPDATE users SET locale = ? WHERE id = ?")
        .and_then(|mut q| q.execute(params![locale.map(Locale::as_str), user.to_string()]))
        .map_err(db)?;
    if changed == 0 {
        return Err(StoreError::NotFound { what: Entity::User });
    }
    Ok(())
}

pub(crate) fn set_password_hash(tx: &Tx, user: UserId, hash: Option<&str>) -> StoreResult<()> {
    let changed = tx
        .prepare_cached("UPDATE users SET password_hash = ? WHERE id = ?")
        .and_then(|mut q| q.execute(params![hash, user.to_string()]))
        .map_err(db)?;
    if changed == 0 {
        return Err(StoreError::NotFound { what: Entity::User });
    }
    Ok(())
}

pub(crate) fn set_status(tx: &Tx, user: UserId, status: UserStatus) -> StoreResult<()> {
    let changed = tx
        .prepare_cached("UPDATE users SET status = ? WHERE id = ?")
        .and_then(|mut q| q.execute(params![status.as_str(), user.to_string()]))
        .map_err(db)?;
    if changed == 0 {
        return Err(StoreError::NotFound { what: Entity::User });
    }
    Ok(())
}

pub(crate) fn set_can_resend(tx: &Tx, user: UserId, can_resend: bool) -> StoreResult<()> {
    let changed = tx
        .prepare_cached("UPDATE users SET can_resend = ? WHERE id = ?")
        .and_then(|mut q| q.execute(params![can_resend, user.to_string()]))
        .map_err(db)?;
    if changed == 0 {
        return Err(StoreError::NotFound { what: Entity::User });
    }
    Ok(())
}

/// Companies newest first, all or only `only`.
pub(crate) fn list_companies(
    conn: &Connection,
    only: Option<CompanyId>,
    kind: Option<CompanyKind>,
    page: &PageRequest,
) -> StoreResult<Page<Company>> {
    let sql = "SELECT rowid AS seq, id, name, kind FROM companies
               WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR rowid < ?2)
                 AND (?4 IS NULL OR kind = ?4)
               ORDER BY rowid DESC LIMIT ?3";
    let found = rows(
        conn,
        sql,
        params![
            only.map(|c| c.to_string()),
            page.after,
            i64::from(page.limit) + 1,
            kind.map(CompanyKind::as_str)
        ],
        |r| Ok((r.int("seq")?, company_from(r, "")?)),
    )?;
    Ok(crate::lines::page(found, page.limit))
}

/// Users newest first, all or of one company.
pub(crate) fn list_users(
    conn: &Connection,
    company: Option<CompanyId>,
    page: &PageRequest,
) -> StoreResult<Page<User>> {
    const SQL: &str = concat!(
        "SELECT u.rowid AS seq, ",
        user_columns!(),
        " FROM users u JOIN companies c ON c.id = u.company_id
          WHERE (?1 IS NULL OR u.company_id = ?1) AND (?2 IS NULL OR u.rowid < ?2)
          ORDER BY u.rowid DESC LIMIT ?3"
    );
    let found = rows(
        conn,
        SQL,
        params![
            company.map(|c| c.to_string()),
            page.after,
            i64::from(page.limit) + 1
        ],
        |r| Ok((r.int("seq")?, user_from(r)?)),
    )?;
    Ok(crate::lines::page(found, page.limit))
}

/// Links (or unlinks) a distributor and a partner it serves; linking twice is fine.
pub(crate) fn set_distributor_link(
    tx: &Tx,
    distributor: CompanyId,
    partner: CompanyId,
    linked: bool,
    now: Timestamp,
) -> StoreResult<()> {
    let (d, p) = (distributor.to_string(), partner.to_string());
    if linked {
        tx.prepare_cached(
            "INSERT INTO distributor_partners (distributor_id, partner_id, created_at)
             VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut q| q.execute(params![d, p, ts(now)]))
        .map_err(insert_error(Entity::OrderParty, Entity::Company))?;
    } else {
        tx.prepare_cached(
            "DELETE FROM distributor_partners WHERE distributor_id = ? AND partner_id = ?",
        )
        .and_then(|mut q| q.execute(params![d, p]))
        .map_err(db)?;
    }
    Ok(())
}

pub(crate) fn serves(
    conn: &Connection,
    distributor: CompanyId,
    partner: CompanyId,
) -> StoreResult<bool> {
    let sql =
        "SELECT 1 AS one FROM distributor_partners WHERE distributor_id = ? AND partner_id = ?";
    let found = rows(
        conn,
        sql,
        params![distributor.to_string(), partner.to_string()],
        |r| r.int("one"),
    )?;
    Ok(!found.is_empty())
}

/// The partners a distributor serves, by name.
pub(crate) fn partners_of(conn: &Connection, distributor: CompanyId) -> StoreResult<Vec<Company>> {
    let sql = "SELECT c.id, c.name, c.kind FROM distributor_partners d
               JOIN companies c ON c.id = d.partner_id
               WHERE d.distributor_id = ? ORDER BY c.name";
    rows(conn, sql, [distributor.to_string()], |r| {
        company_from(r, "")
    })
}
