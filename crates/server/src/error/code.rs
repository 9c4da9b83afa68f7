//! The one table: each problem code with its HTTP status and title (SPEC §6).

use axum::http::StatusCode;

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
    RequestTimeout,
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
            Code::RequestTimeout => (
                "request_timeout",
                S::REQUEST_TIMEOUT,
                "The request body did not arrive in time",
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

    /// The wire code, e.g. `permission_denied`.
    pub fn as_str(self) -> &'static str {
        self.describe().0
    }

    /// The code a bare error status stands for (routing and layer errors).
    pub fn for_status(status: StatusCode) -> Code {
        match status.as_u16() {
            400 => Code::InvalidRequest,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            405 => Code::MethodNotAllowed,
            408 => Code::RequestTimeout,
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
