//! The setup page's two ways out besides onboarding (SPEC §10, §11): "Someone else in my
//! company will set this up" (the current contact hands the line to a colleague: a contact
//! change under R4, the ordering contact told by a notice; at most 3 an hour per line), and
//! "Send me a fresh link" from a link that no longer opens the form (a resend to the line's
//! *current* contact, at most 3 an hour per line apart from the partner's limit, audited as
//! asked from the setup page when it goes, answered the same whether or not it went). The
//! decisions are the domain's (`provisio_domain::decide::{hand_off, resend}`).

use std::sync::Arc;

use provisio_domain::decide::{self, Asker, LinkHeld, ResendAsk};
use provisio_domain::{ContactEmail, FieldPath, Locale, Organization, Recipient, Refusal};
use provisio_store::{Decide, SetupLink};

use super::App;
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
    /// The colleague's address was refused (`colleague_email`), or the line was handed off
    /// as often as an hour allows (SPEC §11: the page says to ask the ordering contact); the
    /// link is still live.
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
        let ordering_contact = Recipient {
            email: ordering_email,
            name: Some(ordering.name.clone()),
            locale: ordering_locale,
        };
        let held = LinkHeld {
            state: link.link,
            sent_to: link.sent_to.clone(),
        };
        let now = self.clock.now();
        let ids = self.mail_ids();
        let colleague = to.clone();
        // The contact is read again where the change is written: one changed since the link
        // was checked has revoked it, and the domain refuses.
        let decide: Decide = Arc::new(move |facts| {
            decide::hand_off(
                facts,
                &held,
                &colleague,
                &ordering_contact,
                now,
                &mut ids.clone(),
            )
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
            // The line's hand-offs of the hour are used up: ask the ordering contact.
            Err(AppError::Refused(Refusal::RateLimited { .. })) => {
                tracing::info!(line = %link.line.line.sub_ref, "hand-off refused: the hourly limit is reached");
                let ordering = &link.line.placed_by;
                Ok(invalid(AppError::invalid_value(
                    "colleague_email",
                    "value-hand-off-limit",
                    vec![
                        ("name", ordering.name.clone()),
                        ("email", ordering.email.clone()),
                    ],
                )))
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
        // Its own budget, and a refusal is written nowhere: the asker learns nothing of it,
        // so an old link posted in a loop adds no events (the log line below still tells).
        let decide = self.resend_decision(ResendAsk {
            by: Asker::SetupLink,
            keyed: false,
            limit: self.resend_limit(),
            now: self.clock.now(),
            for_case: None,
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
