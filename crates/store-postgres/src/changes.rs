//! The read-decide-write of line actions, and the reads of a line's emails, setup links and organizations.

use super::*;

#[allow(unused_variables)] // not yet written
#[async_trait]
impl LineActions for PgStore {
    async fn update_line(
        &self,
        sub_ref: &SubRef,
        request: UpdateRequest,
        decide: Decide,
    ) -> StoreResult<Option<Decided>> {
        Err(crate::not_yet())
    }
    async fn line_emails(&self, sub_ref: &SubRef) -> StoreResult<Vec<EmailRecord>> {
        Err(crate::not_yet())
    }
    async fn recent_mail(
        &self,
        lines: &[SubRef],
        since: Timestamp,
    ) -> StoreResult<Vec<(SubRef, MailFact)>> {
        Err(crate::not_yet())
    }
    async fn setup_link(&self, token_hash: &str) -> StoreResult<Option<SetupLink>> {
        Err(crate::not_yet())
    }
    async fn organizations_of(
        &self,
        contact: &ContactEmail,
        partner: CompanyId,
    ) -> StoreResult<Vec<Organization>> {
        Err(crate::not_yet())
    }
}

/// The ids a change needs besides the domain values, and the version the line was read at.
pub(crate) struct LineIds {
    pub line_id: String,
    pub order_id: String,
    pub version: i64,
}

/// What an outbox row is about: its line, or its case (the row's subject, as the mail's kind
/// declares it).
#[derive(Clone)]
pub(crate) struct MailRow<'a> {
    pub line_id: Option<&'a str>,
    pub case_id: Option<String>,
}

/// Persists a decision's effects, as they are, over the line's version read with its facts
/// (a writer that lost a race gets `Retryable`); returns the ids of the mail it queued.
#[allow(unused_variables)] // not yet written
pub(crate) async fn write_effects(
    tx: &mut PgConnection,
    ids: &LineIds,
    before: &provisio_domain::LineState,
    effects: provisio_domain::Effects,
    actor: Option<UserId>,
    now: Timestamp,
) -> StoreResult<Vec<String>> {
    Err(crate::not_yet())
}

/// Puts one mail into the outbox: the one statement for every subject.
#[allow(unused_variables)] // not yet written
pub(crate) async fn insert_email(
    tx: &mut PgConnection,
    row: MailRow<'_>,
    mail: &provisio_domain::NewMail,
    now: Timestamp,
) -> StoreResult<String> {
    Err(crate::not_yet())
}
