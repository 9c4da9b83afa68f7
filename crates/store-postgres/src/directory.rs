//! Companies, users, distributors and the administration log (API keys: `api_keys.rs`).
//!
//! Each write is one transaction with its audit events (`audited`). None reads before it
//! writes, except `create_user`, which reads back the row it inserted: what several instances
//! could race on is kept by the schema (unique names, emails and key hashes, foreign keys),
//! whose violations map to `AlreadyExists` / `NotFound` as SQLite's do.
//!
//! Lists: newest first by `seq` (SQLite: the rowid), the cursor the last item's `seq`.

use super::*;
use provisio_domain::Role;
use provisio_store::Entity;
use sqlx::postgres::PgRow;

use crate::lines::{opt_text, text};

/// A company from the columns `{prefix}id`, `{prefix}name`, `{prefix}kind`.
pub(crate) fn company_from(row: &PgRow, prefix: &str) -> StoreResult<Company> {
    provisio_store::rows::company_from(&crate::Pg(row), prefix)
}

/// Maps a failed insert: a unique violation is `what` taken, a foreign key an unknown `parent`.
pub(crate) fn insert_error(what: Entity, parent: Entity) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        if unique_violation(&e).is_some() {
            StoreError::AlreadyExists { what }
        } else if foreign_key_violation(&e).is_some() {
            StoreError::NotFound { what: parent }
        } else {
            db(e)
        }
    }
}

/// The columns [`user_from`] reads: a user `u` and their company `c`.
macro_rules! user_columns {
    () => {
        "u.seq, u.id, u.email, u.name, u.role, u.can_resend, u.status, u.password_hash, u.locale,
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

pub(crate) fn user_from(row: &PgRow) -> StoreResult<User> {
    Ok(User {
        id: UserId::from_uuid(uuid(&text(row, "id")?)?),
        company: company_from(row, "c_")?,
        email: stored(
            "user email",
            ContactEmail::from_stored(&text(row, "email")?),
        )?,
        name: text(row, "name")?,
        role: stored("role", Role::parse(&text(row, "role")?))?,
        can_resend: col(row, "can_resend")?,
        status: stored("user status", UserStatus::parse(&text(row, "status")?))?,
        password_hash: opt_text(row, "password_hash")?,
        locale: opt_text(row, "locale")?
            .map(|l| stored("user locale", Locale::parse(&l)))
            .transpose()?,
    })
}

async fn create_company(tx: &mut PgConnection, new: &NewCompany) -> StoreResult<Company> {
    let id = CompanyId::from_uuid(uuid::Uuid::now_v7());
    sqlx::query("INSERT INTO companies (id, name, kind, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.to_string())
        .bind(new.name.as_str())
        .bind(new.kind.as_str())
        .bind(Ts(new.now))
        .execute(tx)
        .await
        .map_err(insert_error(Entity::Company, Entity::Company))?;
    Ok(Company {
        id,
        name: new.name.as_str().to_owned(),
        kind: new.kind,
    })
}

async fn create_user(tx: &mut PgConnection, new: &NewUser) -> StoreResult<User> {
    let id = UserId::from_uuid(uuid::Uuid::now_v7());
    sqlx::query(
        "INSERT INTO users (id, company_id, email, name, role, can_resend, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(new.company_id.to_string())
    .bind(new.email.as_str())
    .bind(new.name.as_str())
    .bind(new.role.as_str())
    .bind(new.can_resend)
    .bind(new.password_hash.as_deref())
    .bind(Ts(new.now))
    .execute(&mut *tx)
    .await
    .map_err(insert_error(Entity::User, Entity::Company))?;
    user_by(tx, USER_BY_ID, &id.to_string())
        .await?
        .ok_or(StoreError::NotFound { what: Entity::User })
}

const USER_BY_ID: &str = concat!(user_select!(), " WHERE u.id = $1");
const USER_BY_EMAIL: &str = concat!(user_select!(), " WHERE u.email = $1");

/// The user [`USER_BY_ID`] or [`USER_BY_EMAIL`] finds.
async fn user_by(
    conn: &mut PgConnection,
    sql: &'static str,
    value: &str,
) -> StoreResult<Option<User>> {
    let row = sqlx::query(sql)
        .bind(value)
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.as_ref().map(user_from).transpose()
}

/// Sets one column of one user (`sql` binds the value as $1, the user as $2); `NotFound`
/// when there is no such user. A single statement: it reads nothing it decides on.
async fn set_user_column<'q, T>(
    conn: &mut PgConnection,
    sql: &'static str,
    user: UserId,
    value: T,
) -> StoreResult<()>
where
    T: 'q + sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send,
{
    let done = sqlx::query(sql)
        .bind(value)
        .bind(user.to_string())
        .execute(conn)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: Entity::User });
    }
    Ok(())
}

/// A page of rows keyed by their `seq` column.
fn by_seq<T>(
    rows: &[PgRow],
    page: &PageRequest,
    item: impl Fn(&PgRow) -> StoreResult<T>,
) -> StoreResult<Page<T>> {
    let found = rows
        .iter()
        .map(|r| Ok((col::<i64>(r, "seq")?, item(r)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(crate::lines::page(found, page.limit))
}

#[async_trait]
impl Directory for PgStore {
    async fn create_company(&self, new: NewCompany, audit: Audit) -> StoreResult<Company> {
        let mut tx = self.begin().await?;
        let company = create_company(&mut tx, &new).await?;
        audited(&mut tx, &audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(company)
    }
    async fn company(&self, id: CompanyId) -> StoreResult<Option<Company>> {
        let row = sqlx::query("SELECT id, name, kind FROM companies WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(|r| company_from(r, "")).transpose()
    }
    /// Names are compared case-insensitively, by the expression of the unique index.
    async fn company_by_name(&self, name: &str) -> StoreResult<Option<Company>> {
        let row = sqlx::query("SELECT id, name, kind FROM companies WHERE lower(name) = lower($1)")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(|r| company_from(r, "")).transpose()
    }
    async fn create_user(&self, new: NewUser, audit: Audit) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let user = create_user(&mut tx, &new).await?;
        audited(&mut tx, &audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(user)
    }
    async fn user_by_email(&self, email: &ContactEmail) -> StoreResult<Option<User>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        user_by(&mut conn, USER_BY_EMAIL, email.as_str()).await
    }
    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        user_by(&mut conn, USER_BY_ID, &id.to_string()).await
    }
    async fn set_user_locale(&self, user: UserId, locale: Option<Locale>) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let sql = "UPDATE users SET locale = $1 WHERE id = $2";
        set_user_column(&mut conn, sql, user, locale.map(Locale::as_str)).await
    }
    async fn set_password_hash(
        &self,
        user: UserId,
        hash: Option<&str>,
        audit: Audit,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let sql = "UPDATE users SET password_hash = $1 WHERE id = $2";
        set_user_column(&mut tx, sql, user, hash).await?;
        audited(&mut tx, &audit).await?;
        tx.commit().await.map_err(db)
    }
    async fn create_api_key(
        &self,
        user: UserId,
        key_hash: &str,
        audit: Audit,
    ) -> StoreResult<uuid::Uuid> {
        let mut tx = self.begin().await?;
        let id = crate::api_keys::create(&mut tx, user, key_hash, audit.now).await?;
        audited(&mut tx, &audit).await?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }
    async fn actor_by_api_key(&self, key_hash: &str) -> StoreResult<Option<KeyActor>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        crate::api_keys::actor(&mut conn, key_hash).await
    }
    async fn api_keys(&self, user: UserId) -> StoreResult<Vec<ApiKeyRecord>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        crate::api_keys::of_user(&mut conn, user).await
    }
    async fn api_key(&self, id: uuid::Uuid) -> StoreResult<Option<ApiKeyRecord>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        crate::api_keys::by_id(&mut conn, id).await
    }
    async fn revoke_api_key(
        &self,
        id: uuid::Uuid,
        audit: Audit,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        let mut tx = self.begin().await?;
        let (key, revoked_now) = crate::api_keys::revoke(&mut tx, id, audit.now).await?;
        if revoked_now {
            audited(&mut tx, &audit).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(key)
    }
    async fn record_api_key_use(&self, id: uuid::Uuid, at: Timestamp) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        crate::api_keys::record_use(&mut conn, id, at).await
    }
    /// Disabling ends the user's sessions in the same transaction. The UPDATE locks the
    /// user's row until the commit, and a session is saved only under a share lock of it
    /// (`sessions.rs`), so no session saved meanwhile by another instance survives.
    async fn set_user_status(
        &self,
        user: UserId,
        status: UserStatus,
        audit: Audit,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let sql = "UPDATE users SET status = $1 WHERE id = $2";
        set_user_column(&mut tx, sql, user, status.as_str()).await?;
        if status == UserStatus::Disabled {
            crate::sessions::end_all_of(&mut tx, user).await?;
        }
        audited(&mut tx, &audit).await?;
        tx.commit().await.map_err(db)
    }
    async fn set_can_resend(
        &self,
        user: UserId,
        can_resend: bool,
        audit: Audit,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let sql = "UPDATE users SET can_resend = $1 WHERE id = $2";
        set_user_column(&mut tx, sql, user, can_resend).await?;
        audited(&mut tx, &audit).await?;
        tx.commit().await.map_err(db)
    }
    async fn admin_events(&self, page: PageRequest) -> StoreResult<Page<EventRecord>> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        crate::lines::admin_events(&mut conn, &page).await
    }
    /// Newest first (see the module doc for the cursor).
    async fn list_companies(
        &self,
        only: Option<CompanyId>,
        kind: Option<CompanyKind>,
        page: PageRequest,
    ) -> StoreResult<Page<Company>> {
        let rows = sqlx::query(
            "SELECT seq, id, name, kind FROM companies
             WHERE ($1::text IS NULL OR id = $1) AND ($2::text IS NULL OR kind = $2)
               AND ($4::bigint IS NULL OR seq < $4)
             ORDER BY seq DESC LIMIT $3",
        )
        .bind(only.map(|c| c.to_string()))
        .bind(kind.map(CompanyKind::as_str))
        .bind(i64::from(page.limit) + 1)
        .bind(page.after)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        by_seq(&rows, &page, |r| company_from(r, ""))
    }
    /// Newest first (see the module doc for the cursor).
    async fn list_users(
        &self,
        company: Option<CompanyId>,
        page: PageRequest,
    ) -> StoreResult<Page<User>> {
        const SQL: &str = concat!(
            user_select!(),
            " WHERE ($1::text IS NULL OR u.company_id = $1) AND ($3::bigint IS NULL OR u.seq < $3)
              ORDER BY u.seq DESC LIMIT $2"
        );
        let rows = sqlx::query(SQL)
            .bind(company.map(|c| c.to_string()))
            .bind(i64::from(page.limit) + 1)
            .bind(page.after)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        by_seq(&rows, &page, user_from)
    }
    /// Linking twice or unlinking twice is fine: single statements, nothing read first.
    async fn set_distributor_link(
        &self,
        distributor: CompanyId,
        partner: CompanyId,
        linked: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (d, p) = (distributor.to_string(), partner.to_string());
        if linked {
            sqlx::query(
                "INSERT INTO distributor_partners (distributor_id, partner_id, created_at)
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(d)
            .bind(p)
            .bind(Ts(now))
            .execute(&self.pool)
            .await
            .map_err(insert_error(Entity::OrderParty, Entity::Company))?;
        } else {
            sqlx::query(
                "DELETE FROM distributor_partners WHERE distributor_id = $1 AND partner_id = $2",
            )
            .bind(d)
            .bind(p)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        }
        Ok(())
    }
    async fn serves(&self, distributor: CompanyId, partner: CompanyId) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM distributor_partners
                            WHERE distributor_id = $1 AND partner_id = $2)",
        )
        .bind(distributor.to_string())
        .bind(partner.to_string())
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }
    /// By name, in the byte order of SQLite's `ORDER BY name` (whatever the database's
    /// collation).
    async fn partners_of(&self, distributor: CompanyId) -> StoreResult<Vec<Company>> {
        let rows = sqlx::query(
            "SELECT c.id, c.name, c.kind FROM distributor_partners d
             JOIN companies c ON c.id = d.partner_id
             WHERE d.distributor_id = $1 ORDER BY c.name COLLATE \"C\"",
        )
        .bind(distributor.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(|r| company_from(r, "")).collect()
    }
}
