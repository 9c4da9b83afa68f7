//! The shapes of user access (SPEC §10): a user's API keys (never the key) and the change of
//! a user's resend permission.

use provisio_store::ApiKeyRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time;

/// An API key as lists show it. `last_used_at` is accurate to a minute (a key's use is
/// recorded at most once a minute); null when it was never used.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyItemDto {
    pub id: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// Null while the key works; set once, when it is revoked.
    pub revoked_at: Option<String>,
}

impl From<&ApiKeyRecord> for ApiKeyItemDto {
    fn from(k: &ApiKeyRecord) -> Self {
        Self {
            id: k.id.to_string(),
            created_at: time(k.created_at),
            last_used_at: k.last_used_at.map(time),
            revoked_at: k.revoked_at.map(time),
        }
    }
}

/// A user's API keys, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKeyItemDto>,
}

/// The change of a user (admin): whether they may resend and change contacts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    pub can_resend: bool,
}

/// The administration events, newest first: `company.created`, `user.created`, access changes
/// (`user.disabled`, `user.enabled`, `user.changed`, `user.password_set`, `api_key.created`,
/// `api_key.revoked`) and `policy.changed`. An event made at the command line has no actor.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminEventList {
    pub items: Vec<super::EventDto>,
    pub next_cursor: Option<String>,
}
