//! One error type for the whole service. An [`AppError`] carries the typed cause (a domain
//! refusal, value errors with their field and arguments, what was not found) and never prose:
//! its words come from a translation key ([`AppError::message`], `locales/*/errors.ftl`), and
//! each edge renders it its own way: problem+json in `http/problem.rs` (English), a page in the
//! user's language in `web/`, plain text (or the problem as JSON) in the CLI. The one status
//! table is [`Code::describe`]; 5xx causes are logged once by the edge and never shown.

mod code;
mod message;

use provisio_domain::field;
use provisio_domain::refusal::Refusal;
use provisio_domain::{FieldError, FieldPath, OrderError, ValueError};
use provisio_store::{Entity, StoreError};

pub use code::Code;
pub use message::{Arg, Message, field_message};

/// What could not be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thing {
    Line,
    Order,
    User,
    Company,
    Email,
    ApiKey,
    Case,
    /// An organization id (of another tenant, or none at all).
    Organization,
    /// No such route (API) or page.
    Route,
    /// Anything else an id in a path names.
    Resource,
}

impl Thing {
    fn key(self) -> &'static str {
        match self {
            Thing::Line => "not-found-line",
            Thing::Order => "not-found-order",
            Thing::User => "not-found-user",
            Thing::Company => "not-found-company",
            Thing::Email => "not-found-email",
            Thing::ApiKey => "not-found-api-key",
            Thing::Case => "not-found-case",
            Thing::Organization => "not-found-organization",
            Thing::Route => "not-found-route",
            Thing::Resource => "not-found-resource",
        }
    }
}

/// What the point of no return refused: the email (a resend or a contact change), or a
/// cancellation. Each is explained in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PonrAction {
    Mail,
    Cancel,
}

/// Why the caller is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Malformed,
    UnknownKey,
    /// The web sign-in: the address or the password is wrong (never saying which).
    WrongPassword,
    /// The web sign-in: the right password of a disabled account (a wrong one is
    /// [`AuthFailure::WrongPassword`], so a guesser learns nothing).
    Disabled,
    /// The web sign-in: too many failures; try again in `minutes`.
    Throttled {
        minutes: u32,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A rule refused (R2–R10); `not_found` refusals become [`AppError::NotFound`].
    #[error("refused: {0}")]
    Refused(Refusal),
    /// R3, with where setup is finished (the configured admin portal, if any), for the
    /// action that was refused.
    #[error("past the point of no return")]
    PastPointOfNoReturn {
        admin_portal_url: Option<String>,
        action: PonrAction,
    },
    /// Well-formed input that breaks a rule, each problem with its field (422).
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// Input that could not be read at all (400), said by the edge that read it.
    #[error("unreadable input: {0:?}")]
    Unreadable(Message),
    #[error("{0:?} not found")]
    NotFound(Thing),
    #[error("this {} already exists", .0.as_str())]
    AlreadyExists(Entity),
    #[error("not authenticated: {0:?}")]
    Unauthenticated(AuthFailure),
    #[error("the Idempotency-Key was already used for a different request")]
    IdempotencyConflict,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The body stalled (no data for `secs` seconds).
    #[error("the request body stalled")]
    BodyTimeout { secs: u64 },
    #[error("unsupported media type {content_type}")]
    UnsupportedMediaType { content_type: String },
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A dependency (the database) is not answering; said by `/readyz`.
    #[error("unavailable")]
    Unavailable,
    /// An attachment of a case was refused (SPEC §11): too large or too many (413), or not
    /// one of the kinds taken, empty or damaged (422).
    #[error("attachment refused: {0:?}")]
    Attachment(provisio_domain::attachment::AttachmentRefusal),
    /// A page's form without this session's CSRF token.
    #[error("the form's token does not match the session")]
    StaleForm,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn not_found(thing: Thing) -> Self {
        AppError::NotFound(thing)
    }

    /// 422 for one field.
    pub fn invalid(path: FieldPath, e: ValueError) -> Self {
        AppError::Invalid(vec![FieldError::new(path, e)])
    }

    /// 422 for one field, with the words of `key`.
    pub fn invalid_value(
        field: &'static str,
        key: &'static str,
        args: Vec<(&'static str, String)>,
    ) -> Self {
        Self::invalid(FieldPath::name(field), ValueError::invalid(key, args))
    }

    /// 400: the body or a parameter could not be read at all.
    pub fn unreadable(message: Message) -> Self {
        AppError::Unreadable(message)
    }

    /// The error of a body that could not be read (other than too large): stalled, or broken.
    pub fn body_unreadable(
        e: &(dyn std::error::Error + 'static),
        config: &crate::config::Config,
    ) -> Self {
        let mut cause = Some(e);
        while let Some(c) = cause {
            if c.is::<tower_http::timeout::TimeoutError>() {
                return AppError::BodyTimeout {
                    secs: config.request_body_timeout.as_secs(),
                };
            }
            cause = c.source();
        }
        AppError::unreadable(Message::new("request-body-unreadable").with("reason", e.to_string()))
    }

    pub fn code(&self) -> Code {
        match self {
            AppError::Refused(r) => match r {
                Refusal::NotFound => Code::NotFound,
                Refusal::PermissionDenied { .. } => Code::PermissionDenied,
                Refusal::PastPointOfNoReturn => Code::PastPointOfNoReturn,
                Refusal::LineCancelled => Code::LineCancelled,
                Refusal::RateLimited { .. } => Code::ResendRateLimited,
                Refusal::InvalidTransition { .. } | Refusal::CaseWithoutLine => {
                    Code::InvalidTransition
                }
                Refusal::CaseExists { .. } => Code::AlreadyExists,
                Refusal::CaseRateLimited { .. } => Code::RateLimited,
            },
            AppError::PastPointOfNoReturn { .. } => Code::PastPointOfNoReturn,
            AppError::Invalid(errors) => match field::code_of(errors) {
                "invalid_email" => Code::InvalidEmail,
                _ => Code::Unprocessable,
            },
            AppError::Unreadable(_) => Code::InvalidRequest,
            AppError::NotFound(_) => Code::NotFound,
            AppError::AlreadyExists(_) => Code::AlreadyExists,
            AppError::Unauthenticated(_) => Code::Unauthenticated,
            AppError::IdempotencyConflict => Code::IdempotencyConflict,
            AppError::PayloadTooLarge { .. } => Code::PayloadTooLarge,
            AppError::BodyTimeout { .. } => Code::RequestTimeout,
            AppError::UnsupportedMediaType { .. } => Code::UnsupportedMediaType,
            AppError::MethodNotAllowed => Code::MethodNotAllowed,
            AppError::Unavailable => Code::Unavailable,
            AppError::StaleForm => Code::PermissionDenied,
            AppError::Attachment(r) if r.too_large() => Code::PayloadTooLarge,
            AppError::Attachment(_) => Code::Unprocessable,
            AppError::Internal(_) => Code::Internal,
        }
    }

    /// The field errors of a 422, each with its path.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Invalid(errors) => errors,
            _ => &[],
        }
    }

    /// The words of the error: one message per field problem, each field named as `name`
    /// says (the API by its JSON path, the CLI by its flags), or the error's own message.
    pub fn messages(&self, name: impl Fn(&FieldPath) -> String) -> Vec<Message> {
        match self.field_errors() {
            [] => vec![self.message()],
            errors => errors.iter().map(|f| field_message(f, &name)).collect(),
        }
    }

    /// The words of the error as a whole. For field errors it names the first field with
    /// the path as the domain names it; edges that name fields otherwise (the CLI's flags)
    /// build their own from [`AppError::field_errors`].
    pub fn message(&self) -> Message {
        match self {
            AppError::Refused(r) => refusal_message(r),
            AppError::PastPointOfNoReturn {
                action: PonrAction::Cancel,
                ..
            } => Message::new("refused-past-point-of-no-return-cancel"),
            AppError::PastPointOfNoReturn {
                admin_portal_url: Some(url),
                ..
            } => Message::new("refused-past-point-of-no-return").with("url", url),
            AppError::PastPointOfNoReturn {
                admin_portal_url: None,
                ..
            } => Message::new("refused-past-point-of-no-return-no-portal"),
            AppError::Invalid(errors) => match errors.first() {
                Some(first) => field_message(first, ToString::to_string),
                None => Message::new("error-invalid"),
            },
            AppError::Unreadable(m) => m.clone(),
            AppError::NotFound(thing) => Message::new(thing.key()),
            AppError::AlreadyExists(what) => Message::new(exists_key(*what)),
            AppError::Unauthenticated(f) => match f {
                AuthFailure::Missing => Message::new("auth-missing"),
                AuthFailure::Malformed => Message::new("auth-malformed"),
                AuthFailure::UnknownKey => Message::new("auth-unknown-key"),
                AuthFailure::WrongPassword => Message::new("auth-wrong-password"),
                AuthFailure::Disabled => Message::new("auth-disabled"),
                AuthFailure::Throttled { minutes } => {
                    Message::new("auth-throttled").with("minutes", minutes.to_string())
                }
            },
            AppError::IdempotencyConflict => Message::new("error-idempotency-conflict"),
            AppError::PayloadTooLarge { limit } => {
                Message::new("error-payload-too-large").with("limit", limit.to_string())
            }
            AppError::BodyTimeout { secs } => {
                Message::new("error-request-timeout").with("seconds", secs.to_string())
            }
            AppError::UnsupportedMediaType { content_type } => {
                Message::new("error-unsupported-media-type").with("type", content_type)
            }
            AppError::MethodNotAllowed => Message::new("error-method-not-allowed"),
            AppError::Unavailable => Message::new("error-unavailable"),
            AppError::StaleForm => Message::new("error-stale-form"),
            AppError::Attachment(r) => r
                .args()
                .into_iter()
                .fold(Message::new(r.key()), |m, (k, v)| m.with(k, v)),
            AppError::Internal(_) => Message::new("error-internal"),
        }
    }
}

fn refusal_message(r: &Refusal) -> Message {
    let m = Message::new(r.key());
    match r {
        Refusal::PermissionDenied {
            ordering_contact: Some(c),
            reason,
        } => Message::new("denied-ask-ordering-contact")
            .with_message("reason", Message::new(reason.key()))
            .with("name", &c.name)
            .with("email", &c.email),
        Refusal::RateLimited {
            limit,
            retry_after_secs,
        }
        | Refusal::CaseRateLimited {
            limit,
            retry_after_secs,
        } => m
            .with("limit", limit.to_string())
            .with("seconds", retry_after_secs.to_string()),
        Refusal::InvalidTransition { from, .. } => m.with("stage", from.as_str()),
        _ => m,
    }
}

fn exists_key(what: Entity) -> &'static str {
    match what {
        Entity::Company => "exists-company",
        Entity::User => "exists-user",
        Entity::ApiKey => "exists-api-key",
        Entity::Order => "exists-order",
        Entity::Line => "exists-line",
        Entity::Email | Entity::Case | Entity::OrderParty | Entity::Organization => "exists-other",
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => AppError::NotFound(Thing::Resource),
            Refusal::PastPointOfNoReturn => AppError::PastPointOfNoReturn {
                admin_portal_url: None,
                action: PonrAction::Mail,
            },
            other => AppError::Refused(other),
        }
    }
}

impl From<OrderError> for AppError {
    fn from(e: OrderError) -> Self {
        AppError::Invalid(e.errors)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists { what } => AppError::AlreadyExists(what),
            StoreError::IdempotencyConflict => AppError::IdempotencyConflict,
            StoreError::NotFound { what } => AppError::NotFound(match what {
                Entity::Company => Thing::Company,
                Entity::User => Thing::User,
                Entity::Order => Thing::Order,
                Entity::Line => Thing::Line,
                Entity::Email => Thing::Email,
                Entity::Case => Thing::Case,
                Entity::Organization => Thing::Organization,
                Entity::ApiKey => Thing::ApiKey,
                Entity::OrderParty => Thing::Resource,
            }),
            // Still busy after the retries: a moment's unavailability, not a fault.
            StoreError::Retryable(why) => {
                tracing::warn!("the database stayed busy: {why}");
                AppError::Unavailable
            }
            // Nothing was written; the instance rides it out and answers again once the
            // database is back.
            StoreError::Unavailable(why) => {
                tracing::warn!("the database is unavailable: {why}");
                AppError::Unavailable
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_code_has_its_status() {
        let expect = [
            (Code::InvalidRequest, "invalid_request", 400),
            (Code::Unprocessable, "invalid_request", 422),
            (Code::InvalidEmail, "invalid_email", 422),
            (Code::Unauthenticated, "unauthenticated", 401),
            (Code::PermissionDenied, "permission_denied", 403),
            (Code::NotFound, "not_found", 404),
            (Code::PastPointOfNoReturn, "past_point_of_no_return", 409),
            (Code::LineCancelled, "line_cancelled", 409),
            (Code::IdempotencyConflict, "idempotency_conflict", 409),
            (Code::AlreadyExists, "already_exists", 409),
            (Code::InvalidTransition, "invalid_transition", 409),
            (Code::MethodNotAllowed, "method_not_allowed", 405),
            (Code::UnsupportedMediaType, "unsupported_media_type", 415),
            (Code::PayloadTooLarge, "payload_too_large", 413),
            (Code::ResendRateLimited, "resend_rate_limited", 429),
        ];
        for (code, wire, status) in expect {
            let (w, s, _) = code.describe();
            assert_eq!((w, s.as_u16()), (wire, status), "{code:?}");
        }
    }

    #[test]
    fn refusals_keep_their_code_and_typed_cause() {
        let e = AppError::from(Refusal::RateLimited {
            limit: 5,
            retry_after_secs: 60,
        });
        assert_eq!(e.code(), Code::ResendRateLimited);
        let m = e.message();
        assert_eq!(m.key, "refused-rate-limited");
        assert_eq!(m.arg("seconds"), Some("60"));
        assert_eq!(
            AppError::from(Refusal::NotFound).code(),
            Code::NotFound,
            "a refusal that hides the thing is not_found"
        );
    }

    #[test]
    fn a_database_that_stays_busy_is_unavailable_not_a_fault() {
        let busy = AppError::from(StoreError::Retryable("database is locked".into()));
        assert_eq!(busy.code(), Code::Unavailable);
        assert_eq!(busy.code().status().as_u16(), 503);
        let gone = AppError::from(StoreError::Unavailable("connection refused".into()));
        assert_eq!(gone.code().status().as_u16(), 503);
    }

    #[test]
    fn only_address_problems_are_invalid_email() {
        let email = ValueError {
            code: "invalid_email",
            key: "value-email-empty",
            args: vec![],
        };
        let other = ValueError::invalid("value-name-empty", vec![]);
        let one = AppError::invalid(FieldPath::name("email"), email.clone());
        assert_eq!(one.code(), Code::InvalidEmail);
        let both = AppError::Invalid(vec![
            FieldError::new(FieldPath::name("email"), email),
            FieldError::new(FieldPath::name("name"), other),
        ]);
        assert_eq!(both.code(), Code::Unprocessable);
    }
}
