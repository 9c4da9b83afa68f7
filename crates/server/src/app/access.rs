//! Who may get in (SPEC §10): users disabled and enabled, their resend permission, their API
//! keys listed and revoked, and when each key was last used.
//!
//! Last use is recorded at most once per [`USE_EVERY`] per key (service clock), so
//! `last_used_at` is accurate to a minute: writing on every request would put a write on the
//! path of every API call, whose latency is benchmarked. The write runs in a task of its own,
//! off the request's path; a failed one is logged and the next minute's use writes again.
//! Closing the app waits for the writes still running ([`KeyUses::settle`]), so a stopped
//! server has written everything it meant to (`provisio db copy` then finds a quiet source).

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use provisio_domain::event::Event;
use provisio_domain::{ContactEmail, UserStatus};
use provisio_store::{ApiKeyRecord, Audit, EventRecord, Page, PageRequest, User};

use super::{App, Caller};
use crate::error::{AppError, AppResult, Thing};

/// How often a key's use is written at most.
pub const USE_EVERY: SignedDuration = SignedDuration::from_mins(1);

/// When this process last recorded each key's use.
#[derive(Debug, Default)]
pub struct KeyUses {
    recorded: Mutex<HashMap<uuid::Uuid, Timestamp>>,
    /// The writes started and maybe still running.
    writing: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl KeyUses {
    /// Keeps a write's task, forgetting those that ended.
    fn track(&self, task: tokio::task::JoinHandle<()>) {
        let mut writing = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        writing.retain(|t| !t.is_finished());
        writing.push(task);
    }

    /// Waits (a second at most) for the writes still running.
    pub async fn settle(&self) {
        let writing: Vec<_> = {
            let mut w = self.writing.lock().unwrap_or_else(|p| p.into_inner());
            w.drain(..).collect()
        };
        let all = futures::future::join_all(writing);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), all).await;
    }

    /// Whether a use at `now` is to be written (and remembers it if so).
    fn due(&self, key: uuid::Uuid, now: Timestamp) -> bool {
        // A poisoned lock only means another request panicked while holding it; the map
        // itself is always whole (one insert), so go on with it.
        let mut recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        match recorded.get(&key) {
            Some(last) if now.duration_since(*last) < USE_EVERY => false,
            _ => {
                recorded.insert(key, now);
                true
            }
        }
    }
}

impl App {
    /// Notes that an API key was used now; writes it at most once a minute, in the background.
    pub(super) fn key_used(&self, key: uuid::Uuid) {
        let now = self.clock.now();
        if !self.key_uses.due(key, now) {
            return;
        }
        let store = self.store.clone();
        self.key_uses.track(tokio::spawn(async move {
            if let Err(e) = store.record_api_key_use(key, now).await {
                tracing::warn!(key_id = %key, "recording an API key's use: {e}");
            }
        }));
    }

    /// The audit of an administration change by `caller` now (the CLI's operator: no actor).
    pub(super) fn audit(&self, caller: &Caller, events: Vec<Event>) -> Audit {
        Audit {
            actor: match caller {
                Caller::User(actor) => Some(actor.user_id),
                Caller::Operator => None,
            },
            now: self.clock.now(),
            events,
        }
    }

    /// The administration events (access and policy changes, about no order), newest first
    /// (admins only).
    pub async fn admin_events(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> AppResult<Page<EventRecord>> {
        caller.ensure_admin()?;
        Ok(self.store.admin_events(page).await?)
    }

    /// A user by email, for the admin (CLI: the operator); an unknown or malformed address is
    /// `not_found`.
    pub async fn user_named(&self, caller: &Caller, email: &str) -> AppResult<User> {
        caller.ensure_admin()?;
        match ContactEmail::parse(email) {
            Ok(email) => self.store.user_by_email(&email).await?,
            Err(_) => None,
        }
        .ok_or(AppError::not_found(Thing::User))
    }

    /// A user by id, for the admin's pages; an unknown or malformed id is `not_found`.
    pub async fn user_by_id(&self, caller: &Caller, raw_id: &str) -> AppResult<User> {
        caller.ensure_admin()?;
        let id = raw_id
            .parse()
            .map_err(|_| AppError::not_found(Thing::User))?;
        self.store
            .user(id)
            .await?
            .ok_or(AppError::not_found(Thing::User))
    }

    /// Disables a user: they cannot sign in, their open web sessions end at their next page
    /// and their API keys answer 401. An admin cannot disable themselves (someone must be left
    /// who can enable them again).
    pub async fn disable_user(&self, caller: &Caller, email: &str) -> AppResult<User> {
        let user = self.user_named(caller, email).await?;
        if let Caller::User(actor) = caller
            && actor.user_id == user.id
        {
            return Err(AppError::invalid_value(
                "email",
                "value-disable-self",
                vec![],
            ));
        }
        self.set_status(caller, user, UserStatus::Disabled).await
    }

    /// Enables a disabled user again: their keys that were not revoked work again.
    pub async fn enable_user(&self, caller: &Caller, email: &str) -> AppResult<User> {
        let user = self.user_named(caller, email).await?;
        self.set_status(caller, user, UserStatus::Active).await
    }

    async fn set_status(&self, caller: &Caller, user: User, status: UserStatus) -> AppResult<User> {
        let event = match status {
            UserStatus::Disabled => Event::UserDisabled {
                user: user.email.clone(),
            },
            UserStatus::Active => Event::UserEnabled {
                user: user.email.clone(),
            },
        };
        self.store
            .set_user_status(user.id, status, self.audit(caller, vec![event]))
            .await?;
        tracing::info!(user = %user.id, email = %user.email.masked(), status = %status, "user status set");
        Ok(User { status, ..user })
    }

    /// Whether the user may resend and change contacts; takes effect at their next request.
    pub async fn set_can_resend(
        &self,
        caller: &Caller,
        email: &str,
        can_resend: bool,
    ) -> AppResult<User> {
        let user = self.user_named(caller, email).await?;
        let event = Event::UserChanged {
            user: user.email.clone(),
            can_resend,
        };
        self.store
            .set_can_resend(user.id, can_resend, self.audit(caller, vec![event]))
            .await?;
        tracing::info!(user = %user.id, email = %user.email.masked(), can_resend, "resend permission set");
        Ok(User { can_resend, ..user })
    }

    /// A user's API keys, newest first (never the keys themselves).
    pub async fn api_keys(
        &self,
        caller: &Caller,
        email: &str,
    ) -> AppResult<(User, Vec<ApiKeyRecord>)> {
        let user = self.user_named(caller, email).await?;
        let keys = self.store.api_keys(user.id).await?;
        Ok((user, keys))
    }

    /// Revokes a key for good (revoking it again changes nothing); an unknown or malformed id
    /// is `not_found`.
    pub async fn revoke_api_key(&self, caller: &Caller, raw_id: &str) -> AppResult<ApiKeyRecord> {
        caller.ensure_admin()?;
        let not_found = || AppError::not_found(Thing::ApiKey);
        let id = uuid::Uuid::parse_str(raw_id.trim()).map_err(|_| not_found())?;
        let key = self.store.api_key(id).await?.ok_or_else(not_found)?;
        let owner = self.store.user(key.user_id).await?.ok_or_else(not_found)?;
        let event = Event::ApiKeyRevoked {
            user: owner.email,
            key_id: id,
        };
        let key = self
            .store
            .revoke_api_key(id, self.audit(caller, vec![event]))
            .await?
            .ok_or_else(not_found)?;
        tracing::info!(key_id = %key.id, user = %key.user_id, "API key revoked");
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_recorded_at_most_once_a_minute() {
        let uses = KeyUses::default();
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let t0: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
        assert!(uses.due(a, t0));
        assert!(!uses.due(a, t0 + SignedDuration::from_secs(59)));
        assert!(uses.due(b, t0), "each key on its own");
        assert!(uses.due(a, t0 + SignedDuration::from_secs(60)));
    }
}
