//! Support cases' rows, the same for every backend (see [`crate::rows`]): a case with its
//! opener, company, claimer and line; a comment with its note; an attachment's description;
//! and a note's stored form.

use provisio_domain::case::{Answered, CaseFacts, CaseText, Note, Opener};
use provisio_domain::{
    CaseId, CaseRequestType, CaseState, CompanyId, CompanyKind, ContactEmail, Locale, Recipient,
    SubRef, UserId, WebOrderId,
};
use serde_json::json;

use crate::rows::{Columns, opt_user, stored, uuid};
use crate::{AttachmentMeta, CaseSummary, CommentRecord, Company, Person, StoreError, StoreResult};

/// A case row as read: its facts and what lists and pages show.
pub struct CaseRow {
    pub seq: i64,
    pub facts: CaseFacts,
    pub summary: CaseSummary,
    pub resolved_at: Option<jiff::Timestamp>,
}

impl CaseRow {
    /// The whole case, with its conversation and its attachments' descriptions.
    pub fn into_record(
        self,
        comments: Vec<CommentRecord>,
        attachments: Vec<AttachmentMeta>,
    ) -> crate::CaseRecord {
        let s = self.summary;
        crate::CaseRecord {
            facts: self.facts,
            order: s.order,
            description: s.description,
            opened_at: s.opened_at,
            resolved_at: self.resolved_at,
            opener: s.opener,
            company: s.company,
            claimed_by: s.claimed_by,
            comments,
            attachments,
        }
    }
}

/// A case from the columns of the backends' case select (`c.*`, the opener `ou_`, the
/// company `co_`, the claimer `cu_`, the order's web id and the line's reference).
pub fn case_from(r: &impl Columns) -> StoreResult<CaseRow> {
    let id = CaseId::from_uuid(uuid(&r.text("id")?)?);
    let request_type = stored(
        "request type",
        CaseRequestType::parse(&r.text("request_type")?),
    )?;
    let state = stored("case state", CaseState::parse(&r.text("state")?))?;
    let opener = Person {
        id: UserId::from_uuid(uuid(&r.text("opened_by")?)?),
        name: r.text("ou_name")?,
        email: r.text("ou_email")?,
    };
    let company = Company {
        id: CompanyId::from_uuid(uuid(&r.text("company_id")?)?),
        name: r.text("co_name")?,
        kind: stored("company kind", CompanyKind::parse(&r.text("co_kind")?))?,
    };
    let claimed_by = match opt_user(r, "claimed_by")? {
        Some(id) => Some(Person {
            id,
            name: r.text("cu_name")?,
            email: r.text("cu_email")?,
        }),
        None => None,
    };
    let line = match r.opt_text("sub_ref")? {
        Some(s) => Some(stored("sub_ref", SubRef::parse(&s))?),
        None => None,
    };
    let locale = match r.opt_text("ou_locale")? {
        Some(l) => stored("locale", Locale::parse(&l))?,
        None => Locale::En,
    };
    let first_answer_at = r.opt_instant("first_answer_at")?;
    let facts = CaseFacts {
        id,
        state,
        request_type,
        opener: Opener {
            user: opener.id,
            company: company.id,
            to: Recipient {
                email: stored("opener", ContactEmail::from_stored(&opener.email))?,
                name: Some(opener.name.clone()),
                locale,
            },
        },
        claimed_by: claimed_by.as_ref().map(|p| p.id),
        first_answer_at,
        line: line.clone(),
        version: u32::try_from(r.int("version")?).unwrap_or(u32::MAX),
        open_beside: None,
    };
    let seq = r.int("seq")?;
    let summary = CaseSummary {
        id,
        request_type,
        state,
        order: stored("web order id", WebOrderId::parse(&r.text("web_order_id")?))?,
        line,
        description: r.text("description")?,
        opened_at: r.instant("opened_at")?,
        first_answer_at,
        opener,
        company,
        claimed_by,
        position: seq,
    };
    Ok(CaseRow {
        seq,
        facts,
        summary,
        resolved_at: r.opt_instant("resolved_at")?,
    })
}

/// An attachment's description (not its bytes).
pub fn meta_from(r: &impl Columns) -> StoreResult<AttachmentMeta> {
    Ok(AttachmentMeta {
        n: u32::try_from(r.int("n")?).unwrap_or(0),
        filename: r.text("filename")?,
        content_type: r.text("content_type")?,
        size: u64::try_from(r.int("size")?).unwrap_or(0),
    })
}

/// A comment with its author (`u_`) and its note, from the columns `kind`, `body`, `data`.
pub fn comment_from(r: &impl Columns) -> StoreResult<CommentRecord> {
    let author = match opt_user(r, "author_id")? {
        Some(id) => Some(Person {
            id,
            name: r.text("u_name")?,
            email: r.text("u_email")?,
        }),
        None => None,
    };
    let data: serde_json::Value = match r.opt_text("data")? {
        Some(d) => serde_json::from_str(&d).map_err(StoreError::backend)?,
        None => serde_json::Value::Null,
    };
    let field = |k: &str| data[k].as_str().unwrap_or_default().to_owned();
    let email_id = || uuid(data["email_id"].as_str().unwrap_or_default());
    let note = match r.text("kind")?.as_str() {
        "text" => Note::Text(CaseText::stored(r.text("body")?)),
        "resend_queued" => Note::ResendQueued {
            email_id: email_id()?,
            to: field("to"),
        },
        "resend_answered" => Note::ResendAnswered {
            email_id: email_id()?,
            to: field("to"),
            result: match data["result"].as_str() {
                Some("accepted") => Answered::Accepted,
                Some("deferred") => Answered::Deferred,
                _ => Answered::Refused,
            },
            reply: data["reply"].as_str().map(str::to_owned),
        },
        "onboarded" => Note::Onboarded {
            organization: field("organization"),
        },
        other => return Err(StoreError::corrupt(format!("a comment of kind {other}"))),
    };
    Ok(CommentRecord {
        id: uuid(&r.text("id")?)?,
        author,
        internal: r.flag("internal")?,
        note,
        at: r.instant("at")?,
    })
}

/// A note's stored form: the person's text (`body`), or the service's facts (`data`, JSON).
pub fn note_row(note: &Note) -> (Option<&str>, Option<String>) {
    match note {
        Note::Text(t) => (Some(t.as_str()), None),
        Note::ResendQueued { email_id, to } => (
            None,
            Some(json!({"email_id": email_id.to_string(), "to": to}).to_string()),
        ),
        Note::ResendAnswered {
            email_id,
            to,
            result,
            reply,
        } => {
            let result = match result {
                Answered::Accepted => "accepted",
                Answered::Refused => "refused",
                Answered::Deferred => "deferred",
            };
            let data = json!({"email_id": email_id.to_string(), "to": to, "result": result,
                              "reply": reply});
            (None, Some(data.to_string()))
        }
        Note::Onboarded { organization } => (
            None,
            Some(json!({"organization": organization}).to_string()),
        ),
    }
}
