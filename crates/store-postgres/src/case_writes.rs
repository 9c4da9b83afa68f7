//! Writing cases: opening one, the effects of a decision on one, notes on what its mail did.

use jiff::Timestamp;
use provisio_domain::UserId;
use provisio_domain::case::{CaseEffects, CaseFacts};
use provisio_store::StoreResult;
use sqlx::PgConnection;

/// Writes a decision's effects on a case: its state over the version read (a writer that
/// lost a race gets `Retryable`), the comment, the events, the notices.
#[allow(unused_variables)] // not yet written
pub(crate) async fn write_case_effects(
    tx: &mut PgConnection,
    effects: &CaseEffects,
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    Err(crate::not_yet())
}

/// The open cases of a line: what a decision on the line reads (onboarding resolves them).
#[allow(unused_variables)] // not yet written
pub(crate) async fn open_cases_of_line(
    tx: &mut PgConnection,
    line_id: &str,
) -> StoreResult<Vec<CaseFacts>> {
    Err(crate::not_yet())
}
