//! What a read shows of a line's deadline (R6): the deadline under its offer's policy as it is
//! now. A policy change stores the new window and nothing else; the stored deadlines (the
//! closure sweep's selector) follow in batches (`App::move_deadlines`), while every read of
//! lines for people and clients (pages, lists, exports, API answers, the setup page, the CLI)
//! goes through [`App::read_current`] and shows the new deadline at once.

use std::future::Future;

use provisio_domain::OfferPolicies;
use provisio_store::{Line, StoreResult};

use super::App;
use crate::error::AppResult;

impl App {
    /// `read` (a store read) beside the offers' policies, its lines as the policies say now
    /// ([`current`]): every read of lines for people and clients goes through here. The two
    /// reads run together (on PostgreSQL, two round trips at once).
    pub(super) async fn read_current<T>(
        &self,
        read: impl Future<Output = StoreResult<T>>,
        lines: impl FnOnce(&mut T) -> Vec<&mut Line>,
    ) -> AppResult<T> {
        let (mut found, policies) = tokio::try_join!(async { Ok(read.await?) }, self.policies())?;
        current(&policies, lines(&mut found));
        Ok(found)
    }
}

/// Each line with its deadline under its offer's policy as it is now (R6): a running line's
/// stored deadline may still be the one before a policy change (`LineState::as_window_says`).
pub(super) fn current<'a>(policies: &OfferPolicies, lines: impl IntoIterator<Item = &'a mut Line>) {
    for line in lines {
        let window = policies.window(&line.offer);
        line.state = line.state.clone().as_window_says(window);
    }
}
