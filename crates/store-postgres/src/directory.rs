//! Companies, users, API keys, distributors and the administration log.

use super::*;
use sqlx::postgres::PgRow;

/// A company from the columns `{prefix}id`, `{prefix}name`, `{prefix}kind`.
pub(crate) fn company_from(row: &PgRow, prefix: &str) -> StoreResult<Company> {
    let get = |c: &str| col::<String>(row, &format!("{prefix}{c}"));
    Ok(Company {
        id: CompanyId::from_uuid(uuid(&get("id")?)?),
        name: get("name")?,
        kind: stored("company kind", CompanyKind::parse(&get("kind")?))?,
    })
}

#[allow(unused_variables)] // not yet written
#[async_trait]
impl Directory for PgStore {
    async fn create_company(&self, new: NewCompany, audit: Audit) -> StoreResult<Company> {
        Err(crate::not_yet())
    }
    async fn company(&self, id: CompanyId) -> StoreResult<Option<Company>> {
        Err(crate::not_yet())
    }
    async fn company_by_name(&self, name: &str) -> StoreResult<Option<Company>> {
        Err(crate::not_yet())
    }
    async fn create_user(&self, new: NewUser, audit: Audit) -> StoreResult<User> {
        Err(crate::not_yet())
    }
    async fn user_by_email(&self, email: &ContactEmail) -> StoreResult<Option<User>> {
        Err(crate::not_yet())
    }
    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        Err(crate::not_yet())
    }
    async fn set_user_locale(&self, user: UserId, locale: Option<Locale>) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn set_password_hash(
        &self,
        user: UserId,
        hash: Option<&str>,
        audit: Audit,
    ) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn create_api_key(
        &self,
        user: UserId,
        key_hash: &str,
        audit: Audit,
    ) -> StoreResult<uuid::Uuid> {
        Err(crate::not_yet())
    }
    async fn actor_by_api_key(&self, key_hash: &str) -> StoreResult<Option<KeyActor>> {
        Err(crate::not_yet())
    }
    async fn api_keys(&self, user: UserId) -> StoreResult<Vec<ApiKeyRecord>> {
        Err(crate::not_yet())
    }
    async fn api_key(&self, id: uuid::Uuid) -> StoreResult<Option<ApiKeyRecord>> {
        Err(crate::not_yet())
    }
    async fn revoke_api_key(
        &self,
        id: uuid::Uuid,
        audit: Audit,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        Err(crate::not_yet())
    }
    async fn record_api_key_use(&self, id: uuid::Uuid, at: Timestamp) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn set_user_status(
        &self,
        user: UserId,
        status: UserStatus,
        audit: Audit,
    ) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn set_can_resend(
        &self,
        user: UserId,
        can_resend: bool,
        audit: Audit,
    ) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn admin_events(&self, page: PageRequest) -> StoreResult<Page<EventRecord>> {
        Err(crate::not_yet())
    }
    async fn list_companies(
        &self,
        only: Option<CompanyId>,
        kind: Option<CompanyKind>,
        page: PageRequest,
    ) -> StoreResult<Page<Company>> {
        Err(crate::not_yet())
    }
    async fn list_users(
        &self,
        company: Option<CompanyId>,
        page: PageRequest,
    ) -> StoreResult<Page<User>> {
        Err(crate::not_yet())
    }
    async fn set_distributor_link(
        &self,
        distributor: CompanyId,
        partner: CompanyId,
        linked: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn serves(&self, distributor: CompanyId, partner: CompanyId) -> StoreResult<bool> {
        Err(crate::not_yet())
    }
    async fn partners_of(&self, distributor: CompanyId) -> StoreResult<Vec<Company>> {
        Err(crate::not_yet())
    }
}
