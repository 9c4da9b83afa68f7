//! Offer policies and the test clock's offset.

use super::*;

#[allow(unused_variables)] // not yet written
#[async_trait]
impl Settings for PgStore {
    async fn offer_policies(&self) -> StoreResult<Vec<(OfferSku, u32)>> {
        Err(crate::not_yet())
    }
    async fn set_offer_policy(&self, change: PolicyChange) -> StoreResult<()> {
        Err(crate::not_yet())
    }
    async fn running_lines(&self, offer: &OfferSku) -> StoreResult<Vec<RunningLine>> {
        Err(crate::not_yet())
    }
    async fn clock_offset(&self) -> StoreResult<i64> {
        Err(crate::not_yet())
    }
    async fn advance_clock_offset(&self, micros: i64) -> StoreResult<i64> {
        Err(crate::not_yet())
    }
}
