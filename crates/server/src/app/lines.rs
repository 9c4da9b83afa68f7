//! The actions on a line (SPEC §3 R4–R9; resends are in `resend.rs`): each reads the line
//! inside the store's writing transaction, lets the domain decide, and commits state, events
//! and outbox row together.

use std::sync::Arc;

use provisio_domain::event::{Event, RefusedAction};
use provisio_domain::lifecycle::Transition;
use provisio_domain::permission::{authorize_cancel, authorize_line_action, authorize_report};
use provisio_domain::rate_limit::WINDOW;
use provisio_domain::{
    Actor, ContactEmail, EmailKind, FieldPath, LinkState, Locale, Organization, PersonName,
    Refusal, SubRef,
};
use provisio_store::{
    ContactUpdate, Decide, Decided, Decision, EmailRecord, IdempotencyKey, LineChange, LineContext,
    LineSnapshot, NewEmail, UpdateRequest, Wake, retrying,
};

use super::App;
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

    /// An outbox row addressed to `contact`.
    pub fn new_email(
        &self,
        kind: EmailKind,
        contact: &ContactUpdate,
        requested_by: Option<&Actor>,
    ) -> NewEmail {
        let id = uuid::Uuid::now_v7();
        let domain = self
            .config
            .mail_from
            .address
            .rsplit_once('@')
            .map_or("provisio.invalid", |(_, d)| d);
        NewEmail {
            id,
            kind,
            to: contact.email.clone(),
            to_name: contact.name.clone(),
            locale: contact.locale,
            requested_by: requested_by.map(|a| a.user_id),
            message_id: format!("{}@{domain}", id.simple()),
            hand_off: None,
        }
    }

    /// Runs one decision on a line and maps the result; wakes delivery when mail was queued.
    /// A transaction the store could not complete now is run again (the decision with it).
    pub(super) async fn decide(
        &self,
        sub_ref: &SubRef,
        actor: Option<&Actor>,
        idempotency: Option<Idempotency>,
        decide: Decide,
    ) -> AppResult<(LineContext, Option<EmailRecord>)> {
        let now = self.clock.now();
        let request = UpdateRequest {
            actor: actor.map(|a| a.user_id),
            now,
            resends_since: now - WINDOW,
            idempotency: match (idempotency, actor) {
                (Some(i), Some(a)) => Some(IdempotencyKey {
                    user_id: a.user_id,
                    key: i.key,
                    request_hash: i.request_hash,
                    not_before: now - IDEMPOTENCY_TTL,
                }),
                _ => None,
            },
        };
        let decided = retrying(|| {
            self.store
                .update_line(sub_ref, request.clone(), Arc::clone(&decide))
        })
        .await?
        .ok_or(AppError::not_found(Thing::Line))?;
        match decided {
            Decided::Applied { line, email } => {
                if let Some(e) = &email {
                    metrics::counter!("provisio_emails_queued_total", "kind" => e.kind.as_str())
                        .increment(1);
                    self.wake(Wake::Delivery);
                }
                Ok((line, email))
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
        let now = self.clock.now();
        let this = self.clone();
        let who = actor.clone();
        let decide: Decide = Arc::new(move |snap: &LineSnapshot| {
            let line = &snap.line;
            let permit = match authorize_line_action(&who, &line.parties()) {
                Ok(p) => p,
                Err(r) => return refuse(RefusedAction::ChangeContact, r),
            };
            let old = &line.line.contact_email;
            match line
                .line
                .state
                .decide_contact_change(&permit, old, &email, now)
            {
                Err(r) => refuse(RefusedAction::ChangeContact, r),
                // The line's own address again: a no-op (no email, links stay valid); only a
                // name or language given with it is taken.
                Ok(plan) if plan.same_address => {
                    let mut change = LineChange::new(line.line.state.clone());
                    change.contact = Some(ContactUpdate {
                        email: old.clone(),
                        name: name
                            .as_ref()
                            .map(|n| n.as_str().to_owned())
                            .or_else(|| line.line.contact_name.clone()),
                        locale: locale.unwrap_or(line.line.locale),
                    });
                    Decision::Apply(Box::new(change))
                }
                Ok(plan) => {
                    let contact = ContactUpdate {
                        email: email.clone(),
                        name: name.as_ref().map(|n| n.as_str().to_owned()),
                        locale: locale.unwrap_or(line.line.locale),
                    };
                    let mut change = LineChange::new(line.line.state.clone());
                    change.links = Some(LinkState::Revoked);
                    change.cancel_pending = true;
                    change.events.push(plan.event);
                    if plan.send_now {
                        let email = this.new_email(EmailKind::ContactChanged, &contact, Some(&who));
                        change.events.push(queued_event(&email));
                        change.email = Some(email);
                    }
                    change.contact = Some(contact);
                    Decision::Apply(Box::new(change))
                }
            }
        });
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
        let decide: Decide = Arc::new(move |snap: &LineSnapshot| {
            let line = &snap.line;
            let result = authorize_report(&who, &line.parties())
                .and_then(|permit| line.line.state.onboard(&permit, &organization));
            onboarded(result, &organization)
        });
        Ok(self.decide(&sub_ref, Some(actor), None, decide).await?.0)
    }

    /// R8: service configuration is complete. (Strangers are refused `not_found` by the
    /// domain's permission check inside the write.)
    pub async fn mark_provisioned(&self, actor: &Actor, raw_ref: &str) -> AppResult<LineContext> {
        let sub_ref = Self::sub_ref(raw_ref)?;
        let now = self.clock.now();
        let who = actor.clone();
        let decide: Decide = Arc::new(move |snap: &LineSnapshot| {
            let state = &snap.line.line.state;
            let result = authorize_report(&who, &snap.line.parties())
                .and_then(|permit| state.mark_provisioned(&permit, now));
            apply_or_refuse(result.map(transition))
        });
        Ok(self.decide(&sub_ref, Some(actor), None, decide).await?.0)
    }

    /// R9: cancel before PONR; links die and nothing more is sent.
    pub async fn cancel(&self, actor: &Actor, raw_ref: &str) -> AppResult<LineContext> {
        let sub_ref = Self::sub_ref(raw_ref)?;
        let now = self.clock.now();
        let who = actor.clone();
        let decide: Decide = Arc::new(move |snap: &LineSnapshot| {
            let state = &snap.line.line.state;
            let result = authorize_cancel(&who, &snap.line.parties())
                .and_then(|permit| state.cancel(&permit, now));
            apply_or_refuse(result.map(|t| {
                let mut change = transition(t);
                change.links = Some(LinkState::Revoked);
                change.cancel_pending = true;
                change
            }))
        });
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

/// The `email.queued` event of a new outbox row.
pub fn queued_event(email: &NewEmail) -> Event {
    Event::EmailQueued {
        email_id: email.id,
        kind: email.kind,
        to: email.to.clone(),
    }
}

/// A refusal, audited as the domain says (SPEC §9: those the actor may learn about).
pub(super) fn refuse(action: RefusedAction, refusal: Refusal) -> Decision {
    let events = refusal.audit(action).into_iter().collect();
    Decision::Refuse { refusal, events }
}

/// A domain result as a decision; these refusals are not audited (only resend and contact
/// change refusals are, see [`refuse`]).
pub(super) fn apply_or_refuse(result: Result<LineChange, Refusal>) -> Decision {
    match result {
        Ok(change) => Decision::Apply(Box::new(change)),
        Err(refusal) => Decision::Refuse {
            refusal,
            events: vec![],
        },
    }
}

fn transition(t: Transition) -> LineChange {
    let mut change = LineChange::new(t.line);
    change.events = t.events;
    change
}

/// R7: the organization is recorded, every link of the line is spent, waiting mail cancelled.
pub(super) fn onboarded(
    result: Result<Transition, Refusal>,
    organization: &Organization,
) -> Decision {
    apply_or_refuse(result.map(|t| {
        let mut change = transition(t);
        change.organization = Some(organization.clone());
        change.links = Some(LinkState::Spent);
        change.cancel_pending = true;
        change
    }))
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
