//! Support cases in the store (SPEC §11): the records a case is read as, and the
//! [`Cases`] capability. Like a line's actions, every change is read-decide-write in one
//! transaction: the backend reads the case's facts, the domain's decision
//! (`provisio_domain::case`) returns every effect, the backend writes them over the version
//! it read.

use async_trait::async_trait;
use jiff::Timestamp;
use provisio_domain::case::{CaseEffects, CaseFacts, Note, Opened, OpeningFacts};
use provisio_domain::{
    CaseId, CaseRequestType, CaseState, CompanyId, Refusal, SubRef, UserId, WebOrderId,
};

use crate::StoreResult;
use crate::records::{Company, Page, PageRequest, Person};

/// An attachment as checked and stored: its bytes have no metadata left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A case to open: who, about what, with which checked attachments.
#[derive(Debug, Clone)]
pub struct NewCaseRecord {
    pub opener: UserId,
    pub order: WebOrderId,
    pub line: Option<SubRef>,
    pub request_type: CaseRequestType,
    pub description: String,
    pub attachments: Vec<NewAttachment>,
    pub now: Timestamp,
}

/// An attachment's description (its bytes are fetched one at a time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// 1-based, in the order they were sent.
    pub n: u32,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
}

/// One comment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRecord {
    pub id: uuid::Uuid,
    /// None: the service.
    pub author: Option<Person>,
    pub internal: bool,
    pub note: Note,
    pub at: Timestamp,
}

/// A case with its conversation, as a page or the API shows it.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    /// What the rules read (the opener's address and language included).
    pub facts: CaseFacts,
    pub order: WebOrderId,
    pub description: String,
    pub opened_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub opener: Person,
    pub company: Company,
    pub claimed_by: Option<Person>,
    pub comments: Vec<CommentRecord>,
    pub attachments: Vec<AttachmentMeta>,
}

impl CaseRecord {
    pub fn id(&self) -> CaseId {
        self.facts.id
    }

    pub fn state(&self) -> CaseState {
        self.facts.state
    }
}

/// A case in a list (no conversation).
#[derive(Debug, Clone)]
pub struct CaseSummary {
    pub id: CaseId,
    pub request_type: CaseRequestType,
    pub state: CaseState,
    pub order: WebOrderId,
    pub line: Option<SubRef>,
    pub description: String,
    pub opened_at: Timestamp,
    pub first_answer_at: Option<Timestamp>,
    pub opener: Person,
    pub company: Company,
    pub claimed_by: Option<Person>,
    /// The list's cursor position.
    pub position: i64,
}

/// The order of a case list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseOrder {
    /// Newest first (every list of the API).
    #[default]
    Newest,
    /// Oldest first (the agents' queue).
    Oldest,
}

/// Which cases to list.
#[derive(Debug, Clone)]
pub struct CaseQuery {
    /// None: every company's (support); else the cases opened by this company's users.
    pub company: Option<CompanyId>,
    pub states: Vec<CaseState>,
    pub request_type: Option<CaseRequestType>,
    pub line: Option<SubRef>,
    /// Claimed by this user; `unclaimed` only those claimed by nobody.
    pub claimed_by: Option<UserId>,
    pub unclaimed: bool,
    pub order: CaseOrder,
    pub page: PageRequest,
}

/// The bytes of one attachment with the case's owner (for who may see it).
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    pub company: CompanyId,
    pub meta: AttachmentMeta,
    pub bytes: Vec<u8>,
}

/// The opening decision, on what the backend read inside its writing transaction.
pub type OpenRule<'a> =
    &'a (dyn Fn(&OpeningFacts, provisio_domain::case::Opener) -> Result<Opened, Refusal> + Sync);

/// A decision on a case's facts (a comment, claim, resolve).
pub type CaseRule<'a> = &'a (dyn Fn(&CaseFacts) -> Result<CaseEffects, Refusal> + Sync);

/// Support cases: opened, read, listed and changed, each in one transaction.
#[async_trait]
pub trait Cases {
    /// Opens a case: reads the opener, their openings of the last hour and the open case of
    /// the same line and request type, lets `decide` choose, and writes the case, its
    /// attachments, events and mail together (a refusal writes nothing). `NotFound` when the
    /// order or line is unknown.
    async fn open_case(
        &self,
        new: NewCaseRecord,
        decide: OpenRule<'_>,
    ) -> StoreResult<Result<CaseRecord, Refusal>>;
    /// Reads the case's facts, lets `decide` choose, writes its effects over the version
    /// read; the case as it stands after. `Ok(None)`: no such case.
    async fn update_case(
        &self,
        id: CaseId,
        actor: Option<UserId>,
        now: Timestamp,
        decide: CaseRule<'_>,
    ) -> StoreResult<Option<Result<CaseRecord, Refusal>>>;
    async fn case(&self, id: CaseId) -> StoreResult<Option<CaseRecord>>;
    async fn list_cases(&self, query: &CaseQuery) -> StoreResult<Page<CaseSummary>>;
    /// One attachment's bytes.
    async fn case_attachment(&self, id: CaseId, n: u32) -> StoreResult<Option<AttachmentFile>>;
    /// The case's notices, newest first, with their delivery state and the SMTP server's
    /// last reply (the case mail's evidence, as a line's emails are the line's).
    async fn case_emails(&self, id: CaseId) -> StoreResult<Vec<crate::EmailRecord>>;
    /// The case's events (case.opened, .commented, .claimed, .resolved, .reopened), oldest
    /// first, with their actors as they are now.
    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<crate::EventRecord>>;
}

/// The note an attempt's result leaves on the case an on-behalf resend was asked from (the
/// domain's `resend_answered`: the acceptance, the refusal, the first deferral), for either
/// backend to insert with the result.
pub fn resend_answer_note(f: &crate::Finished) -> Option<provisio_domain::case::NewComment> {
    let mut ids = || provisio_domain::MailId {
        id: uuid::Uuid::now_v7(),
        message_id: String::new(),
    };
    let reply = Some(f.outcome.reply()).filter(|r| !r.is_empty());
    provisio_domain::case::resend_answered(
        f.email_id,
        f.to.as_str(),
        provisio_domain::case::Answered::of(&f.outcome),
        f.attempt,
        reply,
        &mut ids,
    )
}
