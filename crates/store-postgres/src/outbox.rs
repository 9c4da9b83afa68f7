//! The scheduler's side: due first sends, closure by policy, claims, results, leases.

use super::*;

#[allow(unused_variables)] // not yet written
#[async_trait]
impl Outbox for PgStore {
    async fn queue_first_sends(
        &self,
        now: Timestamp,
        limit: u32,
        due: FirstSendRule<'_>,
    ) -> StoreResult<usize> {
        Err(crate::not_yet())
    }
    async fn close_lapsed(
        &self,
        now: Timestamp,
        limit: u32,
        close: CloseRule<'_>,
    ) -> StoreResult<usize> {
        Err(crate::not_yet())
    }
    async fn claim_emails(&self, claim: ClaimRequest) -> StoreResult<Vec<ClaimedEmail>> {
        Err(crate::not_yet())
    }
    /// Grouped: delivery records each attempt as it ends, so concurrent sends' results share a
    /// commit.
    async fn finish_emails(&self, finished: Vec<Finished>) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn release_leases(&self, owner: &str) -> StoreResult<u64> {
        Err(crate::not_yet())
    }
    /// A SQLite file admits one server (its lock), so at a start every lease is a previous
    /// run's: all of them are taken over, whatever their time.
    async fn take_over_leases(&self, _real_now: Timestamp) -> StoreResult<u64> {
        Err(crate::not_yet())
    }
}
