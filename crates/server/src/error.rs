//! One error type for the whole service, mapped to RFC 9457 problem+json in one table
//! ([`Code`]). The web pages (later) render the same error as a page; 5xx bodies are opaque
//! and the cause is logged once, here.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use provisio_domain::ValueError;
use provisio_domain::order::{FieldError, OrderError};
use provisio_domain::refusal::{OrderingContact, Refusal};
use provisio_store::StoreError;
use serde_json::{Value, json};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The stable problem codes of SPEC §6, with their HTTP status and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidRequest,
    Unprocessable,
    Unauthenticated,
    NotFound,
    PermissionDenied,
    PastPointOfNoReturn,
    LineCancelled,
    ResendRateLimited,
    InvalidEmail,
    IdempotencyConflict,
    PayloadTooLarge,
    AlreadyExists,
    InvalidTransition,
    MethodNotAllowed,
    UnsupportedMediaType,
    Unavailable,
    Internal,
}

impl Code {
    /// The one table: code → (wire code, status, title).
    pub fn describe(self) -> (&'static str, StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Code::InvalidRequest => (
                "invalid_request",
                S::BAD_REQUEST,
                "The request could not be read",
            ),
            Code::Unprocessable => (
                "invalid_request",
                S::UNPROCESSABLE_ENTITY,
                "The request is not valid",
            ),
            Code::Unauthenticated => (
                "unauthenticated",
                S::UNAUTHORIZED,
                "Authentication is required",
            ),
            Code::NotFound => ("not_found", S::NOT_FOUND, "Not found"),
            Code::PermissionDenied => ("permission_denied", S::FORBIDDEN, "Permission denied"),
            Code::PastPointOfNoReturn => (
                "past_point_of_no_return",
                S::CONFLICT,
                "The organization is already onboarded",
            ),
            Code::LineCancelled => ("line_cancelled", S::CONFLICT, "The line is cancelled"),
            Code::ResendRateLimited => (
                "resend_rate_limited",
                S::TOO_MANY_REQUESTS,
                "Too many resends",
            ),
            Code::InvalidEmail => (
                "invalid_email",
                S::UNPROCESSABLE_ENTITY,
                "Invalid email address",
            ),
            Code::IdempotencyConflict => (
                "idempotency_conflict",
                S::CONFLICT,
                "Idempotency key reused for another request",
            ),
            Code::PayloadTooLarge => (
                "payload_too_large",
                S::PAYLOAD_TOO_LARGE,
                "The request body is too large",
            ),
            Code::AlreadyExists => ("already_exists", S::CONFLICT, "Already exists"),
            Code::InvalidTransition => (
                "invalid_transition",
                S::CONFLICT,
                "Not possible in the current state",
            ),
            Code::MethodNotAllowed => (
                "method_not_allowed",
                S::METHOD_NOT_ALLOWED,
                "Method not allowed",
            ),
            Code::UnsupportedMediaType => (
                "unsupported_media_type",
                S::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
            ),
            Code::Unavailable => (
                "unavailable",
                S::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
            ),
            Code::Internal => (
                "internal_error",
                S::INTERNAL_SERVER_ERROR,
                "Internal server error",
            ),
        }
    }

    pub fn status(self) -> StatusCode {
        self.describe().1
    }

    /// The code a bare error status stands for (routing and layer errors).
    pub fn for_status(status: StatusCode) -> Code {
        match status.as_u16() {
            400 => Code::InvalidRequest,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            405 => Code::MethodNotAllowed,
            409 => Code::AlreadyExists,
            413 => Code::PayloadTooLarge,
            415 => Code::UnsupportedMediaType,
            422 => Code::Unprocessable,
            429 => Code::ResendRateLimited,
            503 => Code::Unavailable,
            _ => Code::Internal,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{detail}")]
    Problem {
        code: Code,
        detail: String,
        errors: Vec<FieldError>,
        extra: Option<Value>,
    },
    #[error("the line is past the point of no return")]
    PastPointOfNoReturn { admin_portal_url: Option<String> },
    #[error("rate limited")]
    RateLimited { limit: u32, retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        AppError::Problem {
            code,
            detail: detail.into(),
            errors: vec![],
            extra: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} not found"))
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, detail)
    }

    pub fn permission_denied(detail: impl Into<String>) -> Self {
        Self::new(Code::PermissionDenied, detail)
    }

    /// 400: the body or a parameter could not be read at all.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(Code::InvalidRequest, detail)
    }

    /// 422 for one field, with its path.
    pub fn invalid_field(path: &str, e: ValueError) -> Self {
        let code = if e.code == "invalid_email" {
            Code::InvalidEmail
        } else {
            Code::Unprocessable
        };
        let field = FieldError {
            path: path.to_owned(),
            code: e.code,
            message: e.message.clone(),
        };
        AppError::Problem {
            code,
            detail: format!("{path}: {}", e.message),
            errors: vec![field],
            extra: None,
        }
    }

    pub fn invalid(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::invalid_field(
            path,
            ValueError {
                code: "invalid_request",
                message,
            },
        )
    }

    pub fn code(&self) -> Code {
        match self {
            AppError::Problem { code, .. } => *code,
            AppError::PastPointOfNoReturn { .. } => Code::PastPointOfNoReturn,
            AppError::RateLimited { .. } => Code::ResendRateLimited,
            AppError::Internal(_) => Code::Internal,
        }
    }

    /// The problem document (RFC 9457) with our `code` and any extension members.
    pub fn problem(&self) -> Value {
        let (code, status, title) = self.code().describe();
        let detail = match self {
            AppError::Internal(_) => "Something went wrong on our side; it has been logged.".to_owned(),
            AppError::PastPointOfNoReturn { admin_portal_url: Some(url) } => format!(
                "The customer's organization is already onboarded, so the provisioning email can no longer be \
                 resent or re-addressed. The provisioning contact or an administrator can finish setup by \
                 signing in at the admin portal: {url}"
            ),
            AppError::PastPointOfNoReturn { admin_portal_url: None } => "The customer's organization is already \
                onboarded, so the provisioning email can no longer be resent or re-addressed. The provisioning \
                contact or an administrator can finish setup in the admin portal; contact your partner for its address."
                .to_owned(),
            AppError::RateLimited { limit, retry_after_secs } => format!(
                "At most {limit} resends per line per hour; try again in {retry_after_secs} seconds."
            ),
            AppError::Problem { detail, .. } => detail.clone(),
        };
        let mut body = json!({
            "type": format!("/problems/{code}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
            "code": code,
        });
        match self {
            AppError::Problem { errors, extra, .. } => {
                if !errors.is_empty() {
                    body["errors"] = errors
                        .iter()
                        .map(|e| json!({ "path": e.path, "code": e.code, "message": e.message }))
                        .collect();
                }
                if let (Some(Value::Object(extra)), Value::Object(map)) = (extra, &mut body) {
                    map.extend(extra.clone());
                }
            }
            AppError::PastPointOfNoReturn { admin_portal_url } => {
                body["admin_portal_url"] = json!(admin_portal_url);
            }
            AppError::RateLimited {
                retry_after_secs, ..
            } => {
                body["retry_after"] = json!(retry_after_secs);
            }
            AppError::Internal(_) => {}
        }
        body
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => AppError::not_found("the resource"),
            Refusal::PermissionDenied {
                reason,
                ordering_contact,
            } => AppError::Problem {
                code: Code::PermissionDenied,
                detail: match &ordering_contact {
                    Some(c) => format!("{reason}: {} <{}>", c.name, c.email),
                    None => reason.to_owned(),
                },
                errors: vec![],
                extra: ordering_contact.map(|c: OrderingContact| json!({ "ordering_contact": c })),
            },
            Refusal::PastPointOfNoReturn => AppError::PastPointOfNoReturn {
                admin_portal_url: None,
            },
            Refusal::LineCancelled => AppError::new(Code::LineCancelled, "the line is cancelled"),
            Refusal::RateLimited {
                limit,
                retry_after_secs,
            } => AppError::RateLimited {
                limit,
                retry_after_secs,
            },
            r @ Refusal::InvalidTransition { .. } => {
                AppError::new(Code::InvalidTransition, r.to_string())
            }
        }
    }
}

impl From<OrderError> for AppError {
    fn from(e: OrderError) -> Self {
        let code = if e.code() == "invalid_email" {
            Code::InvalidEmail
        } else {
            Code::Unprocessable
        };
        AppError::Problem {
            code,
            detail: e.to_string(),
            errors: e.errors,
            extra: None,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists { what } => {
                AppError::new(Code::AlreadyExists, format!("{what} already exists"))
            }
            StoreError::IdempotencyConflict => {
                AppError::new(Code::IdempotencyConflict, e.to_string())
            }
            StoreError::NotFound { what } => AppError::not_found(what),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let code = self.code();
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let mut response = (code.status(), self.problem().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            AppError::RateLimited {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ if code == Code::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
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
    fn internal_errors_are_opaque() {
        let e = AppError::Internal(anyhow::anyhow!("password=hunter2 at db.internal"));
        let body = e.problem().to_string();
        assert!(
            !body.contains("hunter2") && !body.contains("db.internal"),
            "{body}"
        );
    }

    #[test]
    fn permission_denied_names_the_ordering_contact() {
        let e = AppError::from(Refusal::PermissionDenied {
            reason: "ask",
            ordering_contact: Some(OrderingContact {
                name: "Olle".into(),
                email: "olle@p.test".into(),
            }),
        });
        let p = e.problem();
        assert_eq!(p["ordering_contact"]["email"], "olle@p.test");
        assert_eq!(p["status"], 403);
    }
}
