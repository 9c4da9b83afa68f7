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
    /// SPEC §11: too many cases opened in the hour.
    RateLimited,
}

impl Code {
    /// Every code, in the table's order: for what lists them all (the OpenAPI document, the
    /// `/problems/{code}` pages). `index` keeps it complete: a new variant does not compile
    /// until it has a place there, and the check below the impl until it is listed here.
    pub const ALL: [Code; 19] = [
        Code::InvalidRequest,
        Code::Unprocessable,
        Code::Unauthenticated,
        Code::NotFound,
        Code::PermissionDenied,
        Code::PastPointOfNoReturn,
        Code::LineCancelled,
        Code::ResendRateLimited,
        Code::InvalidEmail,
        Code::IdempotencyConflict,
        Code::PayloadTooLarge,
        Code::RequestTimeout,
        Code::AlreadyExists,
        Code::InvalidTransition,
        Code::MethodNotAllowed,
        Code::UnsupportedMediaType,
        Code::Unavailable,
        Code::Internal,
        Code::RateLimited,
    ];

    /// The code's place in [`Code::ALL`] (an exhaustive match, so `ALL` cannot miss one).
    const fn index(self) -> usize {
        match self {
            Code::InvalidRequest => 0,
            Code::Unprocessable => 1,
            Code::Unauthenticated => 2,
            Code::NotFound => 3,
            Code::PermissionDenied => 4,
            Code::PastPointOfNoReturn => 5,
            Code::LineCancelled => 6,
            Code::ResendRateLimited => 7,
            Code::InvalidEmail => 8,
            Code::IdempotencyConflict => 9,
            Code::PayloadTooLarge => 10,
            Code::RequestTimeout => 11,
            Code::AlreadyExists => 12,
            Code::InvalidTransition => 13,
            Code::MethodNotAllowed => 14,
            Code::UnsupportedMediaType => 15,
            Code::Unavailable => 16,
            Code::Internal => 17,
            Code::RateLimited => 18,
        }
    }

    /// The codes with this wire code (`invalid_request` is both 400 and 422), in table order;
    /// empty for an unknown wire code.
    pub fn with_wire(wire: &str) -> impl Iterator<Item = Code> + '_ {
        Code::ALL.into_iter().filter(move |c| c.as_str() == wire)
    }

    /// The distinct wire codes, in table order.
    pub fn wires() -> Vec<&'static str> {
        let mut wires: Vec<&'static str> = Vec::new();
        for code in Code::ALL {
            if !wires.contains(&code.as_str()) {
                wires.push(code.as_str());
            }
        }
        wires
    }

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
            Code::RateLimited => ("rate_limited", S::TOO_MANY_REQUESTS, "Too many requests"),
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

// Every code is in `Code::ALL`, at its index: checked when compiling.
const _: () = {
    let mut i = 0;
    while i < Code::ALL.len() {
        assert!(
            Code::ALL[i].index() == i,
            "Code::ALL is out of step with Code::index"
        );
        i += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn wire_codes_are_distinct() {
        assert_eq!(Code::with_wire("invalid_request").count(), 2);
        assert_eq!(Code::with_wire("nonsense").count(), 0);
        assert_eq!(
            Code::wires().len(),
            Code::ALL.len() - 1,
            "invalid_request is 400 and 422"
        );
    }
}
