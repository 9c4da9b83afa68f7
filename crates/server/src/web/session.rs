//! Who is looking at a page: the session (tower-sessions, stored in our store by
//! `app::signin`), the signed-in user loaded afresh, the page language, the form token, and
//! the messages a redirect carries to the next page.
//!
//! Signed-in sessions end after [`IDLE`] without a page view, measured on the service clock
//! (so the test clock can end them). Every form carries the session's CSRF token
//! (`csrf_token`), checked before anything is done; the cookie is `HttpOnly`, `SameSite=Lax`,
//! and `Secure` when the public URL is https (SPEC §8).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use provisio_domain::{Actor, Locale, UserId};
use provisio_store::User;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use super::error;
use super::form::{Fields, StrictForm};
use super::locale::preferred_locale;
use super::page::sign_in_first;
use crate::app::App;
use crate::app::signin::StoreSessions;
use crate::error::{AppError, AppResult};

/// A signed-in session ends after this long without a page view (service clock).
pub const IDLE: SignedDuration = SignedDuration::from_hours(8);
/// How stale the last-seen time may get before a page view writes it again.
const SEEN_EVERY: SignedDuration = SignedDuration::from_mins(1);

pub const COOKIE: &str = "provisio_session";
const CSRF: &str = "csrf";
const USER: &str = crate::app::signin::SESSION_USER;
const SEEN: &str = "seen";
const NOTES: &str = "notes";
const EXPIRED: &str = "expired";

/// The session layer of the pages.
pub fn layer(app: &App) -> SessionManagerLayer<StoreSessions> {
    let secure = app.config.public_url.scheme() == "https";
    SessionManagerLayer::new(app.session_store())
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnSessionEnd)
}

/// A message for the next page: a banner, or the result of one row's action.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Note {
    pub ok: bool,
    pub text: String,
    /// The subscription reference whose row shows it; `None`: the page's banner.
    pub line: Option<String>,
}

/// The visitor of a page. Read once per request (extractors that need it again find it in the
/// request's extensions).
#[derive(Clone)]
pub struct Visitor {
    pub session: Session,
    pub locale: Locale,
    pub user: Option<User>,
    pub csrf: String,
    /// Their session ended by the idle limit since the last page.
    pub expired: bool,
}

fn session_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("session: {e}"))
}

impl FromRequestParts<App> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        if let Some(known) = parts.extensions.get::<Visitor>() {
            return Ok(known.clone());
        }
        let found = visitor(parts, app)
            .await
            .map_err(|e| error::page(preferred_locale(&parts.headers), &e))?;
        parts.extensions.insert(found.clone());
        Ok(found)
    }
}

/// A posted form whose CSRF token is this session's (checked before the handler runs; a
/// form that cannot be read or lacks the token is an error page in the visitor's language).
pub struct CheckedForm(pub Fields);

impl FromRequest<App> for CheckedForm {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, app).await?;
        let refused = |e: AppError| error::page(visitor.locale, &e);
        let StrictForm(fields) = StrictForm::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(refused)?;
        visitor.check_csrf(&fields).map_err(refused)?;
        Ok(CheckedForm(fields))
    }
}

/// A visitor who is signed in; others are sent to sign in and brought back after.
pub struct SignedIn {
    pub visitor: Visitor,
    pub actor: Actor,
}

impl FromRequestParts<App> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, app).await?;
        let here = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        match visitor.user.clone() {
            Some(user) => Ok(SignedIn {
                actor: user.actor(),
                visitor,
            }),
            None => {
                if visitor.expired {
                    visitor
                        .mark_expired()
                        .await
                        .map_err(|e| error::page(visitor.locale, &e))?;
                }
                Err(sign_in_first(&here))
            }
        }
    }
}

async fn visitor(parts: &mut Parts, app: &App) -> Result<Visitor, AppError> {
    let session = Session::from_request_parts(parts, app)
        .await
        .map_err(|(_, e)| session_error(e))?;
    let csrf = match session.get::<String>(CSRF).await.map_err(session_error)? {
        Some(token) => token,
        None => {
            // A new visitor's session lives an hour unless they sign in, so visits that
            // never sign in do not pile up in the store.
            session.set_expiry(Some(Expiry::OnInactivity(Duration::hours(1))));
            let bytes: [u8; 32] = rand::rng().random();
            let token = URL_SAFE_NO_PAD.encode(bytes);
            session.insert(CSRF, &token).await.map_err(session_error)?;
            token
        }
    };
    let now = app.clock.now();
    let mut expired = take::<bool>(&session, EXPIRED).await?.unwrap_or(false);
    let mut user = None;
    if let Some(id) = session.get::<UserId>(USER).await.map_err(session_error)? {
        let seen = session
            .get::<Timestamp>(SEEN)
            .await
            .map_err(session_error)?
            .unwrap_or(Timestamp::UNIX_EPOCH);
        if now.duration_since(seen) > IDLE {
            forget_user(&session).await?;
            expired = true;
        } else {
            user = app.web_user(id).await?;
            if user.is_none() {
                forget_user(&session).await?;
            } else if now.duration_since(seen) > SEEN_EVERY {
                session.insert(SEEN, now).await.map_err(session_error)?;
            }
        }
    }
    let locale = user
        .as_ref()
        .and_then(|u| u.locale)
        .unwrap_or_else(|| preferred_locale(&parts.headers));
    Ok(Visitor {
        session,
        locale,
        user,
        csrf,
        expired,
    })
}

/// Removes a value if it is there. (Removing marks the session changed even when nothing was
/// there, which would write it to the store on every page view.)
async fn take<T: serde::de::DeserializeOwned>(
    session: &Session,
    key: &str,
) -> AppResult<Option<T>> {
    let found = session.get::<T>(key).await.map_err(session_error)?;
    if found.is_some() {
        session.remove::<T>(key).await.map_err(session_error)?;
    }
    Ok(found)
}

async fn forget_user(session: &Session) -> AppResult<()> {
    session
        .remove::<UserId>(USER)
        .await
        .map_err(session_error)?;
    session
        .remove::<Timestamp>(SEEN)
        .await
        .map_err(session_error)?;
    Ok(())
}

impl Visitor {
    /// Refuses a form without this session's token (another site's form, or a page left open
    /// across a sign-out).
    fn check_csrf(&self, fields: &Fields) -> AppResult<()> {
        self.check_token(fields.text("csrf_token"))
    }

    /// Refuses a form token that is not this session's (for forms read otherwise than as
    /// [`CheckedForm`]: a case's multipart form).
    pub fn check_token(&self, given: &str) -> AppResult<()> {
        if !given.is_empty() && constant_time_eq(given.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::StaleForm)
        }
    }

    /// Signs `user` in: a new session id (so one fixed before sign-in is worthless).
    pub async fn sign_in(&self, user: &User, now: Timestamp) -> AppResult<()> {
        self.session.cycle_id().await.map_err(session_error)?;
        // The store forgets it a while after the idle end (real time; the idle end itself
        // runs on the service clock).
        self.session
            .set_expiry(Some(Expiry::OnInactivity(Duration::hours(
                IDLE.as_hours() + 1,
            ))));
        self.session
            .insert(USER, user.id)
            .await
            .map_err(session_error)?;
        self.session.insert(SEEN, now).await.map_err(session_error)
    }

    /// Signs out: the session is deleted from the store and its cookie cleared.
    pub async fn sign_out(&self) -> AppResult<()> {
        self.session.flush().await.map_err(session_error)
    }

    /// Remembers that the idle limit ended the session, for the sign-in page to say.
    pub async fn mark_expired(&self) -> AppResult<()> {
        self.session
            .insert(EXPIRED, true)
            .await
            .map_err(session_error)
    }

    /// Adds messages for the next page.
    pub async fn notify(&self, notes: Vec<Note>) -> AppResult<()> {
        let mut all = self
            .session
            .get::<Vec<Note>>(NOTES)
            .await
            .map_err(session_error)?
            .unwrap_or_default();
        all.extend(notes);
        self.session.insert(NOTES, all).await.map_err(session_error)
    }

    /// The messages left for this page (each shown once).
    pub async fn take_notes(&self) -> AppResult<Vec<Note>> {
        Ok(take::<Vec<Note>>(&self.session, NOTES)
            .await?
            .unwrap_or_default())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
