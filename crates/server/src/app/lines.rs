//! The actions on a line (SPEC §3 R4–R9; resends are in `resend.rs`): each parses its input,
//! and hands the store the domain's decision (`provisio_domain::decide`), which the store asks
//! on the line's facts inside its writing transaction and whose effects (state, events, mail
//! queued and cancelled, links) it commits together. Nothing here assembles an effect.

use std::sync::Arc;

use provisio_domain::decide::{self, NewContact, Reporter};
use provisio_domain::rate_limit::WINDOW;
use provisio_domain::{
    Actor, ContactEmail, FieldPath, Locale, MailId, MintMail, Organization, PersonName, Refusal,
    SubRef,
};
use provisio_store::{
    Decide, Decided, EmailRecord, IdempotencyKey, LineContext, UpdateRequest, Wake, retrying,
};

use super::App;
use super::deadlines::current;
use super::orders::{IDEMPOTENCY_TTL, Idempotency};
use crate::error::{AppError, AppResult, PonrAction, Thing};

/// R4's input, fields still raw.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub email: String,
    pub name: Option<String>,
    pub locale: Option<String>,
}

/// R7's input by API.
#[derive(Debug, Clone, Default)]
pub struct OnboardingInput {
    pub organization_id: Option<String>,
    pub organization_name: String,
}

impl App {
    pub(super) fn sub_ref(raw: &str) -> AppResult<SubRef> {
        SubRef::parse(raw).map_err(|_| AppError::not_found(Thing::Line))
    }

    /// A refusal as the edges see it; PONR names the configured admin portal.
    pub fn refused(&self, refusal: Refusal) -> AppError {
        match refusal {
            Refusal::PastPointOfNoReturn => AppError::PastPointOfNoReturn {
                admin_portal_url: self.admin_portal(),
                action: PonrAction::Mail,
            },
            Refusal::NotFound => AppError::not_found(Thing::Line),
            other => other.into(),
        }
    }

    /// Mints the identity of each mail a decision queues: a UUIDv7 and a `Message-ID` in the
    /// sender's domain. A decision may run more than once: each run takes a clone.
    pub(super) fn mail_ids(&self) -> impl MintMail + Clone + Send + Sync + use<> {
        let domain = self
            .config
            .mail_from
            .address
            .rsplit_once('@')
            .map_or("provisio.invalid", |(_, d)| d)
            .to_owned();
        move || {
            let id = uuid::Uuid::now_v7();
            MailId {
                id,
                message_id: format!("{}@{domain}", id.simple()),
            }
        }
    }

    /// Runs one decision on a line: the store reads its facts where it writes, the domain
    /// decides, the store persists the effects. A transaction that lost a race runs again
    /// (the decision with it). Wakes delivery when mail was queued.
    pub(super) async fn decide(
        &self,
        sub_ref: &SubRef,
        actor: Option<&Actor>,
        idempotency: Option<Idempotency>,
        decide: Decide,
    ) -> AppResult<(LineContext, Option<EmailRecord>)> {
        self.decide_line(sub_ref, actor, idempotency, decide, false)
            .await
    }

    /// [`App::decide`] for onboarding (R7), whose decision also resolves the line's open
    /// support cases: the facts carry them.
    pub(super) async fn decide_onboarding(
        &self,
        sub_ref: &SubRef,
        actor: Option<&Actor>,
        decide: Decide,
    ) -> AppResult<LineContext> {
        let decided = self.decide_line(sub_ref, actor, None, decide, true);
        Ok(decided.await?.0)
    }

    async fn decide_line(
        &self,
        sub_ref: &SubRef,
        actor: Option<&Actor>,
        idempotency: Option<Idempotency>,
        decide: Decide,
        open_cases: bool,
    ) -> AppResult<(LineContext, Option<EmailRecord>)> {
        let now = self.clock.now();
        let request = UpdateRequest {
            actor: actor.map(|a| a.user_id),
            now,
            mail_since: now - WINDOW,
            idempotency: match (idempotency, actor) {
                (Some(i), Some(a)) => Some(IdempotencyKey {
                    user_id: a.user_id,
                    key: i.key,
                    request_hash: i.request_hash,
                    not_before: now - IDEMPOTENCY_TTL,
                }),
                _ => None,
            },
            open_cases,
        };
        let update = retrying(|| {
            self.store
                .update_line(sub_ref, request.clone(), Arc::clone(&decide))
        });
        // The line comes back as its offer's policy says now, as every read shows it (the
        // policies read beside the decision; a decision made is answered even if they fail).
        let (decided, policies) = tokio::join!(update, self.policies());
        let mut decided = decided?.ok_or(AppError::not_found(Thing::Line))?;
        if let Decided::Applied { line, .. } | Decided::Replayed { line, .. } = &mut decided {
            match policies {
                Ok(policies) => current(&policies, [&mut line.line]),
                Err(e) => tracing::warn!("reading the offer policies after a decision: {e}"),
            }
        }
        match decided {
            Decided::Applied { line, queued } => {
                for e in &queued {
                    metrics::counter!("provisio_emails_queued_total", "kind" => e.kind.as_str())
                        .increment(1);
                }
                if !queued.is_empty() {
                    self.wake(Wake::Delivery);
                }
                Ok((line, queued.into_iter().next()))
            }
            Decided::Replayed { line, email } => Ok((line, Some(email))),
            Decided::Refused(r) => Err(self.refused(r)),
        }
    }

    /// R4: change the provisioning contact; earlier links stop working; the new contact is
    /// emailed at once when the line was sent or its RSD has passed.
    pub async fn change_contact(
        &self,
        actor: &Actor,
        raw_ref: &str,
        input: ContactInput,
    ) -> AppResult<LineContext> {
        let sub_ref = Self::sub_ref(raw_ref)?;
        // Visibility first: a stranger learns nothing, not even that the address was bad.
        self.line(actor, raw_ref).await?;
        let email = ContactEmail::parse(&input.email)
            .map_err(|e| AppError::invalid(FieldPath::name("email"), e))?;
        let name = input
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(PersonName::parse)
            .transpose()
            .map_err(|e| AppError::invalid(FieldPath::name("name"), e))?;
        let locale = input
            .locale
            .as_deref()
            .map(Locale::parse)
            .transpose()
            .map_err(|e| AppError::invalid(FieldPath::name("locale"), e))?;
        let new = NewContact {
            email,
            name: name.map(|n| n.as_str().to_owned()),
            locale,
        };
        let now = self.clock.now();
        let (ids, who) = (self.mail_ids(), actor.clone());
        let decide: Decide =
            Arc::new(move |facts| decide::change_contact(facts, &who, &new, now, &mut ids.clone()));
        Ok(self.decide(&sub_ref, Some(actor), None, decide).await?.0)
    }

    /// R7 by API: an integration, support agent or admin reports the organization.
    pub async fn onboard(
        &self,
        actor: &Actor,
        raw_ref: &str,
        input: OnboardingInput,
    ) -> AppResult<LineContext> {
        let sub_ref = Self::sub_ref(raw_ref)?;
        self.line(actor, raw_ref).await?;
        // (Another tenant's organization id is refused by the store, inside the write.)
        let organization =
            reported_organization(input.organization_id.as_deref(), &input.organization_name)?;
        let who = actor.clone();
        let (ids, now) = (self.mail_ids(), self.clock.now());
        // The line's open cases resolve themselves in the same write.
        let decide: Decide = Arc::new(move |facts| {
            let by = Reporter::User(&who);
            decide::onboard(facts, by, &organization, now, &mut ids.clone())
        });
        self.decide_onboarding(&sub_ref, Some(actor), decide).await
    }

    /// R8: service configuration is complete. (Strangers are refused `not_found` by the
    /// domain's permission check inside the write.)
    pub async fn mark_provisioned(&self, actor: &Actor, raw_ref: &str) -> AppResult<LineContext> {
        let sub_ref = Self::sub_ref(raw_ref)?;
        let now = self.clock.now();
        let who = actor.clone();
        let decide: Decide = Arc::new(move |facts| decide::mark_provisioned(facts, &who, now));
        Ok(self.decide(&sub_ref, Some(actor), None, decide).await?.0)
    }

    /// R9: cancel before PONR; links die and nothing more is sent.
    pub async fn cancel(&self, actor: &Actor, raw_ref: &str) -> AppResult<LineContext> {
        let sub_ref = Self::sub_ref(raw_ref)?;
        let now = self.clock.now();
        let who = actor.clone();
        let decide: Decide = Arc::new(move |facts| decide::cancel(facts, &who, now));
        match self.decide(&sub_ref, Some(actor), None, decide).await {
            Ok((line, _)) => Ok(line),
            Err(AppError::PastPointOfNoReturn {
                admin_portal_url, ..
            }) => Err(AppError::PastPointOfNoReturn {
                admin_portal_url,
                action: PonrAction::Cancel,
            }),
            Err(e) => Err(e),
        }
    }

    /// The line's emails, newest first.
    pub async fn line_emails(&self, actor: &Actor, raw_ref: &str) -> AppResult<Vec<EmailRecord>> {
        let line = self.line(actor, raw_ref).await?;
        Ok(self.store.line_emails(&line.line.sub_ref).await?)
    }
}

/// A new organization id (none was reported).
pub(super) fn new_organization_id() -> String {
    format!("org_{}", uuid::Uuid::now_v7().simple())
}

/// The organization an onboarding report names, as the domain accepts it.
fn reported_organization(id: Option<&str>, name: &str) -> AppResult<Organization> {
    use provisio_domain::organization::OrganizationError;
    Organization::reported(id, name, new_organization_id).map_err(|e| match e {
        OrganizationError::Name(e) => AppError::invalid(FieldPath::name("organization_name"), e),
        OrganizationError::Id | OrganizationError::NotYours => {
            AppError::invalid_value("organization_id", "value-organization-id", vec![])
        }
    })
}
