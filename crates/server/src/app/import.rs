//! Importing many orders at once (`provisio order import`): each checked and authorized as
//! an order placed through the API is, many written to one commit, each whole or not at all.

use provisio_domain::Actor;
use provisio_store::{ImportedOrder, Wake, retrying};

use super::App;
use super::orders::OrderInput;
use crate::error::{AppError, AppResult};

impl App {
    /// Places each of `inputs` as `actor`, whole or not at all, in one write; what each
    /// became, in the order given: imported, or why not (its fields, its parties, its web
    /// order id taken). `Err`: the write itself failed and none of them was written.
    pub async fn import_orders(
        &self,
        actor: &Actor,
        inputs: &[OrderInput],
    ) -> AppResult<Vec<AppResult<ImportedOrder>>> {
        let now = self.clock.now();
        let mut records = Vec::with_capacity(inputs.len());
        // Each input: why it is not written, or `None` when its record is among `records`.
        let mut refused = Vec::with_capacity(inputs.len());
        for input in inputs {
            match self.order_record(actor, input, None, now).await {
                Ok(record) => {
                    records.push(record);
                    refused.push(None);
                }
                Err(e) => refused.push(Some(e)),
            }
        }
        // Nothing is written when the store was busy: writing them again is safe.
        let written = match records.is_empty() {
            true => Vec::new(),
            false => retrying(|| self.store.import_orders(&records)).await?,
        };
        let (orders, lines) = written
            .iter()
            .flatten()
            .fold((0, 0), |(o, l), w| (o + 1, l + w.lines));
        if orders > 0 {
            tracing::info!(orders, lines, "orders imported");
            // Lines with an RSD today or earlier are emailed at once (R1).
            self.wake(Wake::Planner);
        }
        let mut written = written.into_iter();
        Ok(refused
            .into_iter()
            .map(|r| match r {
                // The store answers each record once, in order.
                None => match written.next() {
                    Some(w) => w.map_err(Into::into),
                    None => Err(AppError::Internal(anyhow::anyhow!(
                        "the store answered fewer orders than it was given"
                    ))),
                },
                Some(e) => Err(e),
            })
            .collect())
    }
}
