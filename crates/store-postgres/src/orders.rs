//! Placing orders (with idempotency keys) and reading orders and lines.

use super::*;

#[allow(unused_variables)] // not yet written
#[async_trait]
impl Orders for PgStore {
    async fn create_order(&self, new: NewOrderRecord) -> StoreResult<Created<Order>> {
        Err(crate::not_yet())
    }
    async fn order(&self, web_order_id: &WebOrderId) -> StoreResult<Option<Order>> {
        Err(crate::not_yet())
    }
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<OrderSummary>> {
        Err(crate::not_yet())
    }
    async fn line(&self, sub_ref: &SubRef) -> StoreResult<Option<LineContext>> {
        Err(crate::not_yet())
    }
    async fn list_lines(&self, query: &LineQuery) -> StoreResult<Page<LineContext>> {
        Err(crate::not_yet())
    }
    async fn line_events(&self, sub_ref: &SubRef) -> StoreResult<Vec<EventRecord>> {
        Err(crate::not_yet())
    }
}
