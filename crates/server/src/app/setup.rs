//! The setup link as the provisioning contact meets it (R7, SPEC §8): what a link shows, and
//! onboarding through it with the contact's choice of organization. The link is the
//! credential: the domain mints the permit from a live link sent to the line's contact.

use std::sync::Arc;

use provisio_domain::decide::{self, LinkHeld, Reporter};
use provisio_domain::organization::{OrganizationError, SetupChoice};
use provisio_domain::permission::link_standing;
use provisio_domain::{FieldPath, LinkState, Organization};
use provisio_store::{Decide, LineContext, SetupLink};

use super::App;
use super::lines::new_organization_id;
use super::secrets::hash_setup_token;
use crate::error::{AppError, AppResult};

/// What a setup link shows.
#[derive(Debug)]
pub enum LinkView {
    /// Open the form, with the organizations the contact may pick.
    Live {
        link: SetupLink,
        organizations: Vec<Organization>,
    },
    /// The organization is onboarded: continue in the admin portal.
    Spent(SetupLink),
    /// Re-addressed or cancelled: ask the partner.
    Revoked(SetupLink),
    Unknown,
}

/// How onboarding through a link ended.
#[derive(Debug)]
pub enum SetupOutcome {
    Onboarded {
        line: Box<LineContext>,
        organization: Organization,
    },
    /// The link was no longer live (used, revoked, or re-addressed meanwhile): what it shows
    /// now.
    NotLive(Box<LinkView>),
    /// The choice was refused (`organization_name` or `organization_id` field errors); the
    /// link is still live.
    Invalid {
        link: Box<SetupLink>,
        organizations: Vec<Organization>,
        error: AppError,
    },
}

impl App {
    pub async fn setup_link(&self, token: &str) -> AppResult<LinkView> {
        if !token_shape(token) {
            return Ok(LinkView::Unknown);
        }
        let hash = hash_setup_token(token);
        let read = self.store.setup_link(&hash);
        let found = self.read_current(read, |found| {
            found.iter_mut().map(|l| &mut l.line.line).collect()
        });
        let Some(link) = found.await? else {
            return Ok(LinkView::Unknown);
        };
        let line = &link.line.line;
        let standing = link_standing(
            link.link,
            &link.sent_to,
            &line.contact_email,
            line.state.stage,
        );
        Ok(match standing {
            LinkState::Spent => LinkView::Spent(link),
            LinkState::Revoked => LinkView::Revoked(link),
            LinkState::Live => {
                let organizations = self
                    .store
                    .organizations_of(&line.contact_email, link.line.partner.id)
                    .await?;
                LinkView::Live {
                    link,
                    organizations,
                }
            }
        })
    }

    /// R7 from the setup page: the provisioning contact onboards (no user account) with the
    /// organization they chose: a new one by name, or one onboarded earlier with their
    /// address. Input problems come back as [`SetupOutcome::Invalid`] with the live link.
    pub async fn onboard_by_link(
        &self,
        token: &str,
        choice: SetupChoice,
    ) -> AppResult<SetupOutcome> {
        let (link, organizations) = match self.setup_link(token).await? {
            LinkView::Live {
                link,
                organizations,
            } => (link, organizations),
            other => return Ok(SetupOutcome::NotLive(Box::new(other))),
        };
        let organization = match choice.resolve(&organizations, new_organization_id) {
            Ok(organization) => organization,
            Err(e) => {
                let error = match e {
                    OrganizationError::Name(e) => {
                        AppError::invalid(FieldPath::name("organization_name"), e)
                    }
                    OrganizationError::Id | OrganizationError::NotYours => AppError::invalid_value(
                        "organization_id",
                        "value-organization-not-yours",
                        vec![],
                    ),
                };
                return Ok(SetupOutcome::Invalid {
                    link: Box::new(link),
                    organizations,
                    error,
                });
            }
        };
        let held = LinkHeld {
            state: link.link,
            sent_to: link.sent_to.clone(),
        };
        let org = organization.clone();
        // The contact is read again where the change is written: a contact change committed
        // since the link was checked has revoked it, and the domain refuses.
        let (ids, now) = (self.mail_ids(), self.clock.now());
        let decide: Decide = Arc::new(move |facts| {
            decide::onboard(facts, Reporter::Link(&held), &org, now, &mut ids.clone())
        });
        match self
            .decide_onboarding(&link.line.line.sub_ref, None, decide)
            .await
        {
            Ok(line) => Ok(SetupOutcome::Onboarded {
                line: Box::new(line),
                organization,
            }),
            // Onboarded, cancelled or re-addressed meanwhile: show what the link is now.
            Err(e) if refused_by_the_line(&e) => Ok(SetupOutcome::NotLive(Box::new(
                self.setup_link(token).await?,
            ))),
            Err(other) => Err(other),
        }
    }

    /// The admin portal's address as configured, without a trailing slash on a bare host.
    pub fn admin_portal(&self) -> Option<String> {
        self.config
            .admin_portal_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
    }
}

/// Whether a decision through a link was refused by what became of its line meanwhile
/// (onboarded, cancelled, re-addressed, or the hourly limit), not by a fault.
pub(super) fn refused_by_the_line(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Refused(_) | AppError::PastPointOfNoReturn { .. } | AppError::NotFound(_)
    )
}

/// Tokens are 43 base64url characters; anything else is not one of ours (and is not looked
/// up).
pub(super) fn token_shape(token: &str) -> bool {
    token.len() <= 100
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
