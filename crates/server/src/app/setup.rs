//! The setup link as the provisioning contact meets it (R7, SPEC §8).

use provisio_domain::{LinkState, Stage};
use provisio_store::SetupLink;

use super::App;
use super::secrets::hash_setup_token;
use crate::error::AppResult;

/// What a setup link shows.
#[derive(Debug)]
pub enum LinkView {
    /// Open the form.
    Live(SetupLink),
    /// The organization is onboarded: continue in the admin portal.
    Spent(SetupLink),
    /// Re-addressed or cancelled: ask the partner.
    Revoked(SetupLink),
    Unknown,
}

impl App {
    pub async fn setup_link(&self, token: &str) -> AppResult<LinkView> {
        // Tokens are 43 base64url characters; anything else is not one of ours.
        if token.len() > 100
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(LinkView::Unknown);
        }
        let Some(link) = self.store.setup_link(&hash_setup_token(token)).await? else {
            return Ok(LinkView::Unknown);
        };
        let stage = link.line.line.state.stage;
        Ok(
            if stage.past_point_of_no_return() || link.link == LinkState::Spent {
                LinkView::Spent(link)
            } else if stage == Stage::Cancelled || link.link == LinkState::Revoked {
                LinkView::Revoked(link)
            } else {
                LinkView::Live(link)
            },
        )
    }

    /// The admin portal's address as configured, without a trailing slash on a bare host.
    pub fn admin_portal(&self) -> Option<String> {
        self.config
            .admin_portal_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
    }
}
