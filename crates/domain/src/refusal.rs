//! The domain's one error type: why a rule refused. The server maps each variant to a
//! problem code and HTTP status in one table (crates/server/src/error.rs).

use crate::state::Stage;

/// Whom to ask when you may not act on an order yourself (case 1.1 of the article).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrderingContact {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The thing does not exist, or the actor may not learn that it does.
    #[error("not found")]
    NotFound,
    #[error("{reason}")]
    PermissionDenied {
        reason: &'static str,
        ordering_contact: Option<OrderingContact>,
    },
    /// R3: the line is onboarded; setup is finished in the admin portal.
    #[error("the customer's organization is already onboarded (past the point of no return)")]
    PastPointOfNoReturn,
    #[error("the line is cancelled")]
    LineCancelled,
    /// R10: too many resends in the rolling hour.
    #[error("at most {limit} resends per line per hour; try again in {retry_after_secs} s")]
    RateLimited { limit: u32, retry_after_secs: u64 },
    #[error("cannot {action} a line that is {from}")]
    InvalidTransition { from: Stage, action: &'static str },
}
