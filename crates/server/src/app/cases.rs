//! Support cases (SPEC §7, §10, §11): opening one about an order or line the opener may see,
//! with checked attachments; reading, listing and working it (comments, claims, resolving,
//! the on-behalf resend); its attachments' bytes. The rules are the domain's
//! (`provisio_domain::case`, `provisio_domain::attachment`); the store reads and writes in
//! one transaction; here the caller's input is read and the case's visibility applied.

use provisio_domain::case::{self, Answered, CaseFacts, CaseText, Note, Opening};
use provisio_domain::decide::{Asker, ResendAsk};
use provisio_domain::{
    Actor, CaseId, CaseRequestType, CaseState, FieldPath, Recipient, SubRef, ValueError, attachment,
};
use provisio_store::{
    AttachmentFile, CaseOrder, CaseQuery, CaseRecord, CaseSummary, NewAttachment, NewCaseRecord,
    Page, PageRequest, retrying,
};

use super::App;
use super::resend::Resent;
use crate::error::{AppError, AppResult, Message, Thing};

/// A case as asked for (API JSON or multipart, or the page's form).
#[derive(Debug, Clone, Default)]
pub struct CaseInput {
    pub request_type: Option<String>,
    pub subscription_ref: Option<String>,
    pub order_id: Option<String>,
    pub description: String,
}

/// A file as it arrived: the name the client gave and its bytes (its type is never read).
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub states: Vec<CaseState>,
    pub request_type: Option<CaseRequestType>,
    pub line: Option<SubRef>,
    /// The agents' queue: `Some(true)` mine, `Some(false)` unclaimed.
    pub mine: Option<bool>,
    pub order: CaseOrder,
}

impl App {
    fn case_id(raw: &str) -> AppResult<CaseId> {
        raw.parse().map_err(|_| AppError::not_found(Thing::Case))
    }

    /// Checks every upload (the domain's limits; the bytes decide the type; metadata
    /// removed). Any refusal refuses the whole case: nothing of it is stored.
    fn checked(uploads: Vec<Upload>) -> AppResult<Vec<NewAttachment>> {
        attachment::check_count(uploads.len()).map_err(AppError::Attachment)?;
        uploads
            .into_iter()
            .map(|u| {
                let checked = provisio_attachments::check(&u.filename, &u.bytes)
                    .map_err(AppError::Attachment)?;
                Ok(NewAttachment {
                    filename: checked.filename,
                    content_type: checked.kind.mime().to_owned(),
                    bytes: checked.bytes,
                })
            })
            .collect()
    }

    /// Opens a case about a line or an order the actor may see (others: `not_found`).
    pub async fn open_case(
        &self,
        actor: &Actor,
        input: CaseInput,
        uploads: Vec<Upload>,
    ) -> AppResult<CaseRecord> {
        let mut errors = vec![];
        let request_type = match input.request_type.as_deref() {
            Some(raw) => CaseRequestType::parse(raw)
                .map_err(|e| errors.push((FieldPath::name("request_type"), e.into())))
                .ok(),
            None => {
                errors.push((
                    FieldPath::name("request_type"),
                    ValueError::invalid(
                        "case-request-type-required",
                        vec![("allowed", allowed_request_types())],
                    ),
                ));
                None
            }
        };
        let description = CaseText::parse(&input.description)
            .map_err(|e| errors.push((FieldPath::name("description"), e)))
            .ok();
        let (sub_ref, order_id) = (named(&input.subscription_ref), named(&input.order_id));
        if sub_ref.is_none() && order_id.is_none() {
            errors.push((
                FieldPath::name("subscription_ref"),
                ValueError::invalid("case-about-required", vec![]),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(
                errors
                    .into_iter()
                    .map(|(p, e)| provisio_domain::FieldError::new(p, e))
                    .collect(),
            ));
        }
        let (Some(request_type), Some(description)) = (request_type, description) else {
            return Err(AppError::Invalid(vec![]));
        };
        // The line or order, as the actor may see it (another tenant's: not found).
        let (order, line) = match sub_ref {
            Some(raw) => {
                let line = self.line(actor, raw).await?;
                if let Some(o) = order_id
                    && o != line.web_order_id.as_str()
                {
                    return Err(AppError::invalid_value(
                        "order_id",
                        "case-order-mismatch",
                        vec![("sub", line.line.sub_ref.to_string())],
                    ));
                }
                (line.web_order_id.clone(), Some(line.line.sub_ref.clone()))
            }
            None => {
                let raw = order_id.unwrap_or_default();
                (self.order(actor, raw).await?.web_order_id, None)
            }
        };
        let attachments = Self::checked(uploads)?;
        let now = self.clock.now();
        let opening = Opening {
            id: CaseId::from_uuid(uuid::Uuid::now_v7()),
            request_type,
            order: order.clone(),
            line: line.clone(),
            description: description.clone(),
            by_support: case::is_support(actor),
        };
        let agents = self.config.support_email.clone().map(|email| Recipient {
            email,
            name: None,
            locale: provisio_domain::Locale::En,
        });
        let ids = self.mail_ids();
        let rule = |facts: &case::OpeningFacts, opener: case::Opener| {
            case::open(
                &opening,
                opener,
                facts,
                agents.as_ref(),
                now,
                &mut ids.clone(),
            )
        };
        let new = NewCaseRecord {
            opener: actor.user_id,
            order,
            line,
            request_type,
            description: description.as_str().to_owned(),
            attachments,
            now,
        };
        let opened = retrying(|| self.store.open_case(new.clone(), &rule)).await?;
        let case = opened.map_err(|r| self.refused(r))?;
        self.wake(provisio_store::Wake::Delivery);
        tracing::info!(case = %case.id(), "case opened");
        Ok(self.shown_to(actor, case))
    }

    /// A case the actor may see, as they may see it (internal notes only for support).
    pub async fn case(&self, actor: &Actor, raw_id: &str) -> AppResult<CaseRecord> {
        let id = Self::case_id(raw_id)?;
        let case = self.visible_case(actor, id).await?;
        Ok(self.shown_to(actor, case))
    }

    async fn visible_case(&self, actor: &Actor, id: CaseId) -> AppResult<CaseRecord> {
        match self.store.case(id).await? {
            Some(c) if case::may_see(actor, c.company.id) => Ok(c),
            _ => Err(AppError::not_found(Thing::Case)),
        }
    }

    fn shown_to(&self, actor: &Actor, mut case: CaseRecord) -> CaseRecord {
        case.comments.retain(|c| case::may_read(actor, c.internal));
        case
    }

    /// Cases the actor may see (support: every company's), newest first unless asked.
    pub async fn list_cases(
        &self,
        actor: &Actor,
        filter: &CaseFilter,
        page: PageRequest,
    ) -> AppResult<Page<CaseSummary>> {
        let support = case::is_support(actor);
        let query = CaseQuery {
            company: (!support).then_some(actor.company_id),
            states: filter.states.clone(),
            request_type: filter.request_type,
            line: filter.line.clone(),
            claimed_by: (filter.mine == Some(true)).then_some(actor.user_id),
            unclaimed: filter.mine == Some(false),
            order: filter.order,
            page,
        };
        let mut found = self.store.list_cases(&query).await?;
        found.items.retain(|c| case::may_see(actor, c.company.id));
        Ok(found)
    }

    /// Runs a decision on a visible case, over the version it reads.
    async fn change_case(
        &self,
        actor: &Actor,
        raw_id: &str,
        decide: &(dyn Fn(&CaseFacts) -> Result<case::CaseEffects, provisio_domain::Refusal> + Sync),
    ) -> AppResult<CaseRecord> {
        let id = Self::case_id(raw_id)?;
        let now = self.clock.now();
        // Who may see it is decided on the facts read where the change is written (another
        // company's case answers like an unknown one).
        let visible = |c: &CaseFacts| {
            if case::may_see(actor, c.opener.company) {
                decide(c)
            } else {
                Err(provisio_domain::Refusal::NotFound)
            }
        };
        let done = retrying(|| {
            self.store
                .update_case(id, Some(actor.user_id), now, &visible)
        })
        .await?
        .ok_or(AppError::not_found(Thing::Case))?;
        let case = done.map_err(|r| match r {
            provisio_domain::Refusal::NotFound => AppError::not_found(Thing::Case),
            other => self.refused(other),
        })?;
        self.wake(provisio_store::Wake::Delivery);
        Ok(self.shown_to(actor, case))
    }

    /// A comment: support's public answer or internal note, or the opener's side's word.
    pub async fn comment_case(
        &self,
        actor: &Actor,
        raw_id: &str,
        body: &str,
        internal: bool,
    ) -> AppResult<CaseRecord> {
        let text =
            CaseText::parse(body).map_err(|e| AppError::invalid(FieldPath::name("body"), e))?;
        let (ids, now) = (self.mail_ids(), self.clock.now());
        let decide =
            |c: &CaseFacts| case::comment(c, actor, text.clone(), internal, now, &mut ids.clone());
        self.change_case(actor, raw_id, &decide).await
    }

    /// Support takes the case.
    pub async fn claim_case(&self, actor: &Actor, raw_id: &str) -> AppResult<CaseRecord> {
        self.change_case(actor, raw_id, &|c| case::claim(c, actor))
            .await
    }

    /// Support or the opener's side resolves the case.
    pub async fn resolve_case(&self, actor: &Actor, raw_id: &str) -> AppResult<CaseRecord> {
        let (ids, now) = (self.mail_ids(), self.clock.now());
        let decide = |c: &CaseFacts| Ok(case::resolve(c, actor, now, &mut ids.clone()));
        self.change_case(actor, raw_id, &decide).await
    }

    /// SPEC §10: support resends the provisioning email of the case's line on the opener's
    /// behalf, under R2/R10; the case gets a note now and another when the SMTP server has
    /// answered.
    pub async fn resend_for_case(&self, actor: &Actor, raw_id: &str) -> AppResult<Resent> {
        let id = Self::case_id(raw_id)?;
        let case = self.visible_case(actor, id).await?;
        let sub_ref =
            case::ensure_may_resend_for(&case.facts, actor).map_err(|r| self.refused(r))?;
        let ask = ResendAsk {
            by: Asker::User(actor.clone()),
            keyed: false,
            limit: self.resend_limit(),
            now: self.clock.now(),
            for_case: Some(case.facts.clone()),
        };
        let decide = self.resend_decision(ask);
        let (line, email) = self.decide(&sub_ref, Some(actor), None, decide).await?;
        let email = email.ok_or_else(|| anyhow::anyhow!("a resend queued no email"))?;
        Ok(Resent { email, line })
    }

    /// The case's notices with their delivery state, for support (the case mail's
    /// evidence); none for anyone else.
    pub async fn case_emails(
        &self,
        actor: &Actor,
        case: &CaseRecord,
    ) -> AppResult<Option<Vec<provisio_store::EmailRecord>>> {
        if !case::is_support(actor) {
            return Ok(None);
        }
        Ok(Some(self.store.case_emails(case.id()).await?))
    }

    /// What happened to the case, oldest first, as the actor may see it (an internal note's
    /// event only for support).
    pub async fn case_events(
        &self,
        actor: &Actor,
        case: &CaseRecord,
    ) -> AppResult<Vec<provisio_store::EventRecord>> {
        let mut events = self.store.case_events(case.id()).await?;
        events.retain(|e| {
            let internal = e.data.get("internal").and_then(|v| v.as_bool());
            case::may_read(actor, internal.unwrap_or(false))
        });
        Ok(events)
    }

    /// One attachment's bytes, to those who may see the case (others: `not_found`).
    pub async fn case_attachment(
        &self,
        actor: &Actor,
        raw_id: &str,
        raw_n: &str,
    ) -> AppResult<AttachmentFile> {
        let id = Self::case_id(raw_id)?;
        let n: u32 = raw_n
            .parse()
            .map_err(|_| AppError::not_found(Thing::Resource))?;
        match self.store.case_attachment(id, n).await? {
            Some(f) if case::may_see(actor, f.company) => Ok(f),
            _ => Err(AppError::not_found(Thing::Resource)),
        }
    }
}

/// A field that names something: trimmed, and absent when empty.
fn named(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A comment's words: a person's text as written, the service's notes in the reader's
/// language (the pages, the API and the notices say them the same way).
pub fn note_message(note: &Note) -> Message {
    match note {
        Note::Text(t) => Message::new("case-note-text").with("text", t.as_str()),
        Note::ResendQueued { to, .. } => Message::new("case-note-resend-queued").with("to", to),
        Note::ResendAnswered {
            to, result, reply, ..
        } => Message::new(match result {
            Answered::Accepted => "case-note-resend-accepted",
            Answered::Refused => "case-note-resend-refused",
            Answered::Deferred => "case-note-resend-deferred",
        })
        .with("to", to)
        .with("reply", reply.clone().unwrap_or_default()),
        Note::Onboarded { organization } => {
            Message::new("case-note-onboarded").with("organization", organization)
        }
    }
}

/// The request types, as a message lists them.
fn allowed_request_types() -> String {
    CaseRequestType::ALL
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
