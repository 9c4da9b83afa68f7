//! The web workspace's sign-in sessions and failed sign-ins.

use super::*;

#[allow(unused_variables)] // not yet written
#[async_trait]
impl WebSessions for PgStore {
    async fn create_session(&self, id_hash: &str, session: &SessionRecord) -> StoreResult<bool> {
        Err(crate::not_yet())
    }
    async fn save_session(&self, id_hash: &str, session: &SessionRecord) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn load_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SessionRecord>> {
        Err(crate::not_yet())
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn record_sign_in_failure(&self, account: &str, at: Timestamp) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn sign_in_failures(
        &self,
        account: &str,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timestamp>> {
        Err(crate::not_yet())
    }
    async fn purge_web(
        &self,
        sessions_before: Timestamp,
        failures_before: Timestamp,
    ) -> StoreResult<u64> {
        Err(crate::not_yet())
    }
}
