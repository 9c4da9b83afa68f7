//! A support case on the wire (SPEC §7, §8, §11): the case with its conversation (the
//! service's notes in words) and attachments, and its summary in lists.

use provisio_domain::Locale;
use provisio_store::{CaseRecord, CaseSummary, CommentRecord, Person};
use serde::Serialize;
use utoipa::ToSchema;

use super::{EmailDto, EventDto, PersonDto, time};
use crate::app::cases::note_message;
use crate::i18n;

fn person(p: &Person) -> PersonDto {
    PersonDto {
        name: p.name.clone(),
        email: p.email.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseCompanyDto {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentDto {
    pub id: String,
    /// Who wrote it; the service's notes are by "provisio" with its sender address.
    pub author: PersonDto,
    /// A person's text, or the service's note in words.
    pub body: String,
    /// `text` (a person wrote it), `resend_queued`, `resend_answered`, `onboarded`.
    pub kind: &'static str,
    /// For support only; never shown or mailed to the opener.
    pub internal: bool,
    pub at: String,
}

impl CommentDto {
    fn new(c: &CommentRecord, locale: Locale, service: &str) -> Self {
        Self {
            id: c.id.to_string(),
            author: c.author.as_ref().map_or_else(
                || PersonDto {
                    name: "provisio".into(),
                    email: service.to_owned(),
                },
                person,
            ),
            body: i18n::render(locale, &note_message(&c.note)),
            kind: c.note.kind(),
            internal: c.internal,
            at: time(c.at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    /// 1-based; `GET /api/v1/cases/{id}/attachments/{n}` serves it.
    pub n: u32,
    pub filename: String,
    /// Decided from the bytes.
    pub content_type: String,
    pub size: u64,
}

/// A case with its conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDto {
    pub id: String,
    /// `resend_provisioning_email`, `change_provisioning_contact` or `other`.
    pub request_type: &'static str,
    pub subscription_ref: Option<String>,
    pub order_id: String,
    pub description: String,
    /// `open`, `waiting` (support answered; the opener is to act) or `resolved`.
    pub state: &'static str,
    pub opened_by: PersonDto,
    pub company: CaseCompanyDto,
    pub claimed_by: Option<PersonDto>,
    pub opened_at: String,
    pub first_answer_at: Option<String>,
    pub resolved_at: Option<String>,
    pub comments: Vec<CommentDto>,
    pub attachments: Vec<AttachmentDto>,
    /// For support, in `GET /api/v1/cases/{id}`: the case's notices with their delivery
    /// state and the SMTP server's last reply, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<EmailDto>>,
    /// In `GET /api/v1/cases/{id}`: what happened to the case (`case.opened`,
    /// `case.commented`, `case.claimed`, `case.resolved`, `case.reopened`), oldest first; an
    /// internal note's only for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventDto>>,
}

impl CaseDto {
    /// With the case's notices (support only).
    pub fn with_emails(mut self, emails: Option<Vec<provisio_store::EmailRecord>>) -> Self {
        self.emails = emails.map(|list| list.iter().map(Into::into).collect());
        self
    }

    /// With what happened to the case.
    pub fn with_events(mut self, events: &[provisio_store::EventRecord]) -> Self {
        self.events = Some(events.iter().map(Into::into).collect());
        self
    }

    /// `service`: the address the service's own notes are signed with (the sender's).
    pub fn new(c: &CaseRecord, locale: Locale, service: &str) -> Self {
        Self {
            id: c.id().to_string(),
            request_type: c.facts.request_type.as_str(),
            subscription_ref: c.facts.line.as_ref().map(ToString::to_string),
            order_id: c.order.to_string(),
            description: c.description.clone(),
            state: c.state().as_str(),
            opened_by: person(&c.opener),
            company: CaseCompanyDto {
                id: c.company.id.to_string(),
                name: c.company.name.clone(),
            },
            claimed_by: c.claimed_by.as_ref().map(person),
            opened_at: time(c.opened_at),
            first_answer_at: c.facts.first_answer_at.map(time),
            resolved_at: c.resolved_at.map(time),
            comments: c
                .comments
                .iter()
                .map(|k| CommentDto::new(k, locale, service))
                .collect(),
            attachments: c
                .attachments
                .iter()
                .map(|a| AttachmentDto {
                    n: a.n,
                    filename: a.filename.clone(),
                    content_type: a.content_type.clone(),
                    size: a.size,
                })
                .collect(),
            emails: None,
            events: None,
        }
    }
}

/// A case in a list (without its conversation).
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummaryDto {
    pub id: String,
    pub request_type: &'static str,
    pub subscription_ref: Option<String>,
    pub order_id: String,
    pub description: String,
    pub state: &'static str,
    pub opened_by: PersonDto,
    pub company: CaseCompanyDto,
    pub claimed_by: Option<PersonDto>,
    pub opened_at: String,
    pub first_answer_at: Option<String>,
}

impl From<&CaseSummary> for CaseSummaryDto {
    fn from(c: &CaseSummary) -> Self {
        Self {
            id: c.id.to_string(),
            request_type: c.request_type.as_str(),
            subscription_ref: c.line.as_ref().map(ToString::to_string),
            order_id: c.order.to_string(),
            description: c.description.clone(),
            state: c.state.as_str(),
            opened_by: person(&c.opener),
            company: CaseCompanyDto {
                id: c.company.id.to_string(),
                name: c.company.name.clone(),
            },
            claimed_by: c.claimed_by.as_ref().map(person),
            opened_at: time(c.opened_at),
            first_answer_at: c.first_answer_at.map(time),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseSummaryDto>,
    pub next_cursor: Option<String>,
}
