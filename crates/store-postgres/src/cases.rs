//! Support cases: opening, changing and reading them, their attachments and mail.

use super::*;

#[allow(unused_variables)] // not yet written
#[async_trait]
impl Cases for PgStore {
    async fn open_case(
        &self,
        new: NewCaseRecord,
        decide: OpenRule<'_>,
    ) -> StoreResult<Result<CaseRecord, provisio_domain::Refusal>> {
        Err(crate::not_yet())
    }
    async fn update_case(
        &self,
        id: CaseId,
        actor: Option<UserId>,
        now: Timestamp,
        decide: CaseRule<'_>,
    ) -> StoreResult<Option<Result<CaseRecord, provisio_domain::Refusal>>> {
        Err(crate::not_yet())
    }
    async fn case(&self, id: CaseId) -> StoreResult<Option<CaseRecord>> {
        Err(crate::not_yet())
    }
    async fn list_cases(&self, query: &CaseQuery) -> StoreResult<Page<CaseSummary>> {
        Err(crate::not_yet())
    }
    async fn case_attachment(&self, id: CaseId, n: u32) -> StoreResult<Option<AttachmentFile>> {
        Err(crate::not_yet())
    }
    async fn case_emails(&self, id: CaseId) -> StoreResult<Vec<EmailRecord>> {
        Err(crate::not_yet())
    }
    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<EventRecord>> {
        Err(crate::not_yet())
    }
}
