//! The setup page's two ways out besides onboarding (SPEC §10): "Someone else in my company
//! will set this up" (the current contact hands the line to a colleague: a contact change
//! under R4, the ordering contact told by a notice), and "Send me a fresh link" from a link
//! that no longer opens the form (a resend to the line's *current* contact, rate-limited,
//! audited as asked from the setup page when it goes, answered the same whether or not it
//! went).

use std::sync::Arc;

use provisio_domain::event::RefusedAction;
use provisio_domain::permission::{authorize_fresh_link, authorize_hand_off};
use provisio_domain::{ContactEmail, EmailKind, FieldPath, LinkState, Locale, Organization};
use provisio_store::{
    ContactUpdate, Decide, Decision, HandOff, LineChange, LineSnapshot, SetupLink,
};

use super::App;
use super::lines::{queued_event, refuse};
use super::secrets::hash_setup_token;
use super::setup::{LinkView, refused_by_the_line, token_shape};
use crate::error::{AppError, AppResult};

/// How a hand-off through a link ended.
#[derive(Debug)]
pub enum HandOffOutcome {
    /// The colleague is the line's contact now and has been emailed; the page is in the
    /// line's language and names the ordering contact who was told.
    HandedOff {
        to: ContactEmail,
        locale: Locale,
        ordering_contact: String,
    },
    /// The link was no longer live: what it shows now.
    NotLive(Box<LinkView>),
    /// The colleague's address was refused (`colleague_email`); the link is still live.
    Invalid {
        link: Box<SetupLink>,
        organizations: Vec<Organization>,
        error: AppError,
    },
}

/// What asking for a fresh link answers: the same for every link we know, so the page tells
/// nobody whether a mail went or to whom.
#[derive(Debug, PartialEq, Eq)]
pub enum FreshLink {
    /// Answered in the line's language.
    Asked {
        locale: Locale,
    },
    Unknown,
}

impl App {
    /// "Someone else in my company will set this up": re-addresses the line to `colleague`
    /// as a contact change by the current contact (R4: every earlier link dies, the colleague
    /// is emailed now), and queues a notice to the ordering contact saying who handed it off
    /// to whom, in the ordering contact's language.
    pub async fn hand_off_by_link(
        &self,
        token: &str,
        colleague: &str,
    ) -> AppResult<HandOffOutcome> {
        let (link, organizations) = match self.setup_link(token).await? {
            LinkView::Live {
                link,
                organizations,
            } => (link, organizations),
            other => return Ok(HandOffOutcome::NotLive(Box::new(other))),
        };
        let invalid = |error| HandOffOutcome::Invalid {
            link: Box::new(link.clone()),
            organizations: organizations.clone(),
            error,
        };
        let to = match ContactEmail::parse(colleague) {
            Ok(to) => to,
            Err(e) => {
                return Ok(invalid(AppError::invalid(
                    FieldPath::name("colleague_email"),
                    e,
                )));
            }
        };
        if to == link.line.line.contact_email {
            return Ok(invalid(AppError::invalid_value(
                "colleague_email",
                "value-hand-off-self",
                vec![],
            )));
        }
        let ordering = &link.line.placed_by;
        let ordering_email = ContactEmail::parse(&ordering.email)
            .map_err(|_| anyhow::anyhow!("a stored ordering contact address does not parse"))?;
        // The notice is in the ordering contact's language: their choice, else the line's.
        let ordering_locale = self
            .store
            .user(ordering.id)
            .await?
            .and_then(|u| u.locale)
            .unwrap_or(link.line.line.locale);
        let ordering_contact = ContactUpdate {
            email: ordering_email,
            name: Some(ordering.name.clone()),
            locale: ordering_locale,
        };
        let (state, sent_to) = (link.link, link.sent_to.clone());
        let now = self.clock.now();
        let this = self.clone();
        let colleague = to.clone();
        // The contact is read again where the change is written: one changed since the link
        // was checked has revoked it, and the domain refuses.
        let decide: Decide = Arc::new(move |snap: &LineSnapshot| {
            let line = &snap.line.line;
            let old = &line.contact_email;
            let plan = authorize_hand_off(state, &sent_to, old).and_then(|permit| {
                line.state
                    .decide_contact_change(&permit, old, &colleague, now)
            });
            let plan = match plan {
                Ok(plan) => plan,
                Err(r) => return refuse(RefusedAction::ChangeContact, r),
            };
            let contact = ContactUpdate {
                email: colleague.clone(),
                name: None,
                locale: line.locale,
            };
            let mut change = LineChange::new(line.state.clone());
            change.links = Some(LinkState::Revoked);
            change.cancel_pending = true;
            change.events.push(plan.event);
            if plan.send_now {
                let email = this.new_email(EmailKind::ContactChanged, &contact, None);
                change.events.push(queued_event(&email));
                change.email = Some(email);
            }
            let mut notice = this.new_email(EmailKind::HandedOff, &ordering_contact, None);
            notice.hand_off = Some(HandOff {
                from: old.clone(),
                to: colleague.clone(),
            });
            change.events.push(queued_event(&notice));
            change.notice = Some(notice);
            change.contact = Some(contact);
            Decision::Apply(Box::new(change))
        });
        match self
            .decide(&link.line.line.sub_ref, None, None, decide)
            .await
        {
            Ok(_) => {
                tracing::info!(line = %link.line.line.sub_ref, to = %to.masked(), "setup handed off to a colleague");
                Ok(HandOffOutcome::HandedOff {
                    to,
                    locale: link.line.line.locale,
                    ordering_contact: link.line.placed_by.name.clone(),
                })
            }
            Err(e) if refused_by_the_line(&e) => Ok(HandOffOutcome::NotLive(Box::new(
                self.setup_link(token).await?,
            ))),
            Err(other) => Err(other),
        }
    }

    /// "Send me a fresh link" from any link of ours: a resend (R2, R10) to the line's current
    /// contact, audited as asked from the setup page (`resend.requested` with `via`).
    /// Refusals (onboarded, cancelled, the hourly limit) are answered like a success and
    /// logged, not written as events.
    pub async fn fresh_link(&self, token: &str) -> AppResult<FreshLink> {
        if !token_shape(token) {
            return Ok(FreshLink::Unknown);
        }
        let Some(link) = self.store.setup_link(&hash_setup_token(token)).await? else {
            return Ok(FreshLink::Unknown);
        };
        let sub_ref = link.line.line.sub_ref.clone();
        let now = self.clock.now();
        let limit = self.resend_limit();
        let this = self.clone();
        let decide: Decide = Arc::new(move |snap: &LineSnapshot| {
            match this.resend_decision(snap, &authorize_fresh_link(), false, None, &limit, now) {
                // The asker learns nothing of a refusal (the answer is the same), so, as with
                // every refusal nobody learns about (SPEC §9), none is written: an old link
                // posted in a loop adds no events (the log line below still tells).
                Decision::Refuse { refusal, .. } => Decision::Refuse {
                    refusal,
                    events: vec![],
                },
                decision => decision,
            }
        });
        match self.decide(&sub_ref, None, None, decide).await {
            Ok(_) => tracing::info!(line = %sub_ref, "fresh link asked for from the setup page"),
            Err(e) if refused_by_the_line(&e) => {
                tracing::info!(line = %sub_ref, refused = %e, "fresh link asked for; none sent");
            }
            Err(other) => return Err(other),
        }
        Ok(FreshLink::Asked {
            locale: link.line.line.locale,
        })
    }
}
