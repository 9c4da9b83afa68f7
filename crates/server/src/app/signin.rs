//! The web workspace's sign-in (SPEC §5, §8): a password checked against its Argon2 hash,
//! failed attempts throttled per account on the service clock (10 per 15 minutes), the
//! signed-in user loaded afresh on every page (a change by the CLI takes effect at once), and
//! the sessions themselves kept in our store through tower-sessions' [`SessionStore`].

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use provisio_domain::{ContactEmail, Locale, UserId, UserStatus};
use provisio_store::{SessionRecord, User};
use sha2::{Digest, Sha256};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use super::App;
use super::secrets::{hex, verify_password};
use crate::error::{AppError, AppResult, AuthFailure};

/// Failed sign-ins of one account allowed per [`FAILURE_WINDOW`] (SPEC §8).
pub const FAILURES_ALLOWED: u32 = 10;
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// A hash in the same format as the real ones, verified when the account has none, so an
/// unknown address takes as long to refuse as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Cp8mYdiC0hLWfSvT5i4g51k0Dj5V2hq2RqmRHUgVdbE";

impl App {
    /// Checks an email address and password. Refuses without checking while the account has
    /// [`FAILURES_ALLOWED`] failures in the last [`FAILURE_WINDOW`]; every failure counts,
    /// for known and unknown addresses alike (the answer never tells which).
    pub async fn sign_in(&self, raw_email: &str, password: &str) -> AppResult<User> {
        let (account, address) = failure_key(raw_email);
        let now = self.clock.now();
        let recent = self
            .store
            .sign_in_failures(&account, now - FAILURE_WINDOW, FAILURES_ALLOWED)
            .await?;
        if let Some(minutes) = throttled_for(&recent, now) {
            return Err(AppError::Unauthenticated(AuthFailure::Throttled {
                minutes,
            }));
        }
        let user = match &address {
            Some(email) => self.store.user_by_email(email).await?,
            None => None,
        };
        let hash = user
            .as_ref()
            .and_then(|u| u.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let given = password.to_owned();
        // Argon2 takes tens of milliseconds of CPU: off the async workers.
        let matches = tokio::task::spawn_blocking(move || verify_password(&given, &hash))
            .await
            .map_err(|e| anyhow::anyhow!("verifying a password: {e}"))?;
        match user {
            // Only with the right password is a disabled account named as such, so the
            // answer tells a guesser nothing new.
            Some(user) if matches && user.password_hash.is_some() => {
                if user.status == UserStatus::Disabled {
                    tracing::info!(user = %user.id, email = %user.email.masked(), "sign-in of a disabled user refused");
                    return Err(AppError::Unauthenticated(AuthFailure::Disabled));
                }
                tracing::info!(user = %user.id, email = %user.email.masked(), "signed in");
                Ok(user)
            }
            _ => {
                self.store.record_sign_in_failure(&account, now).await?;
                let masked = address.as_ref().map(ContactEmail::masked);
                tracing::info!(
                    email = masked.as_deref().unwrap_or(NOT_AN_ADDRESS),
                    "sign-in failed"
                );
                Err(AppError::Unauthenticated(AuthFailure::WrongPassword))
            }
        }
    }

    /// The signed-in user as they stand now; `None` when they no longer exist or were
    /// disabled (their session then ends at this page).
    pub async fn web_user(&self, id: UserId) -> AppResult<Option<User>> {
        let user = self.store.user(id).await?;
        Ok(user.filter(|u| u.status == UserStatus::Active))
    }

    /// The language a user chose for the pages (`None`: the browser's).
    pub async fn set_user_locale(&self, user: UserId, locale: Option<Locale>) -> AppResult<()> {
        Ok(self.store.set_user_locale(user, locale).await?)
    }

    /// Forgets expired sessions and failures that no longer count.
    pub async fn purge_web_sessions(&self) -> AppResult<u64> {
        let failures_before = self.clock.now() - FAILURE_WINDOW;
        Ok(self
            .store
            .purge_web(self.clock.real_now(), failures_before)
            .await?)
    }

    /// The session store for tower-sessions, on this app's store.
    pub fn session_store(&self) -> StoreSessions {
        StoreSessions { app: self.clone() }
    }
}

/// Minutes until the oldest of the failures that throttle leaves the window; `None` when
/// the account may try.
fn throttled_for(recent: &[Timestamp], now: Timestamp) -> Option<u32> {
    if (recent.len() as u32) < FAILURES_ALLOWED {
        return None;
    }
    // Newest first: the last one given is the oldest that counts.
    let oldest = recent.last()?;
    let wait = (*oldest + FAILURE_WINDOW).duration_since(now);
    let minutes = (wait.as_secs() + 59) / 60;
    Some(u32::try_from(minutes.max(1)).unwrap_or(1))
}

/// The one key failed sign-ins with anything but an email address are recorded under, so
/// what is stored never grows with what was typed (SPEC §11). No account has it.
pub const NOT_AN_ADDRESS: &str = "(not an address)";

/// The key a failed sign-in is recorded (and throttled) under, with the address when it is
/// one: the normalized address (at most 254 characters, [`ContactEmail`]), or
/// [`NOT_AN_ADDRESS`]. Input longer than any address could be is not even parsed.
fn failure_key(raw: &str) -> (String, Option<ContactEmail>) {
    // 254 characters of at most 4 bytes each, and the spaces trimming would remove.
    const LONGEST: usize = 4 * 254 + 64;
    let address = if raw.len() <= LONGEST {
        ContactEmail::parse(raw).ok()
    } else {
        None
    };
    let key = address
        .as_ref()
        .map_or_else(|| NOT_AN_ADDRESS.to_owned(), |a| a.as_str().to_owned());
    (key, address)
}

/// tower-sessions' sessions in our store. Only the SHA-256 of a session id is stored, so a
/// copy of the database signs nobody in. Each names its signed-in user, so disabling the
/// user ends them all at once (SPEC §11). Expiry is tower-sessions' (real time); the
/// workspace's own idle limit runs on the service clock (`web/session.rs`).
#[derive(Clone)]
pub struct StoreSessions {
    app: App,
}

impl std::fmt::Debug for StoreSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreSessions")
    }
}

fn id_hash(id: &Id) -> String {
    hex(&Sha256::digest(id.to_string().as_bytes()))
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn to_timestamp(t: OffsetDateTime) -> Timestamp {
    Timestamp::from_second(t.unix_timestamp()).unwrap_or(Timestamp::MAX)
}

fn to_offset(t: Timestamp) -> Result<OffsetDateTime, session_store::Error> {
    OffsetDateTime::from_unix_timestamp(t.as_second()).map_err(backend)
}

/// The key under which a session keeps its signed-in user's id (`web/session.rs` signs in).
pub const SESSION_USER: &str = "user";

fn stored(record: &Record) -> Result<SessionRecord, session_store::Error> {
    let user_id = match record.data.get(SESSION_USER) {
        Some(id) => Some(serde_json::from_value::<UserId>(id.clone()).map_err(backend)?),
        None => None,
    };
    Ok(SessionRecord {
        data: serde_json::to_string(&record.data).map_err(backend)?,
        expires_at: to_timestamp(record.expiry_date),
        user_id,
    })
}

#[async_trait]
impl session_store::SessionStore for StoreSessions {
    /// A new session never takes over an existing one: on the (astronomically unlikely)
    /// collision of 128 random bits, another id is drawn.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let session = stored(record)?;
        while !self
            .app
            .store
            .create_session(&id_hash(&record.id), &session)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.app
            .store
            .save_session(&id_hash(&record.id), &stored(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.app.clock.real_now();
        let Some(found) = self
            .app
            .store
            .load_session(&id_hash(id), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&found.data).map_err(backend)?,
            expiry_date: to_offset(found.expires_at)?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.app
            .store
            .delete_session(&id_hash(id))
            .await
            .map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_in_fifteen_minutes_throttle_until_the_oldest_leaves() {
        let now: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
        let at = |mins: i64| now - SignedDuration::from_mins(mins);
        let nine: Vec<Timestamp> = (0..9).map(at).collect();
        assert_eq!(throttled_for(&nine, now), None);
        let ten: Vec<Timestamp> = (0..10).map(at).collect();
        // The oldest is 9 minutes old: it leaves the window in 6 minutes.
        assert_eq!(throttled_for(&ten, now), Some(6));
        let just: Vec<Timestamp> = (0..10).map(|_| now).collect();
        assert_eq!(throttled_for(&just, now), Some(15));
    }

    #[test]
    fn failures_are_recorded_under_the_address_or_one_fixed_key() {
        let (key, address) = failure_key("  Kim@Kund.Test ");
        assert_eq!(key, "kim@kund.test");
        assert_eq!(
            address.map(|a| a.to_string()).as_deref(),
            Some("kim@kund.test")
        );
        let label = "a".repeat(63);
        let longest = format!("kim@{label}.{label}.{label}.{}.test", "d".repeat(53));
        assert_eq!(longest.len(), 254);
        assert_eq!(failure_key(&longest).0, longest);
        let too_long = format!("k{longest}");
        for raw in [
            too_long.as_str(),
            &"x".repeat(2 * 1024 * 1024),
            "not an address",
            "",
        ] {
            assert_eq!(
                failure_key(raw),
                (NOT_AN_ADDRESS.to_owned(), None),
                "{:.40}",
                raw
            );
        }
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2_hash_that_matches_nothing_given() {
        assert!(!verify_password("", DUMMY_HASH));
        assert!(!verify_password("correct horse battery", DUMMY_HASH));
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
