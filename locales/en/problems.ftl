# The pages a problem document's `type` names: /problems/{code} (crates/server/src/web/problems.rs),
# one title and text per wire code of the table in crates/server/src/error/code.rs.

problem-page-code = Code
problem-page-status = HTTP status
problem-page-about = The provisio API answers every error with a problem document (RFC 9457, application/problem+json) whose code is the one above and whose type is this page; its detail says what exactly was wrong.

problem-invalid_request-title = The request is not valid
problem-invalid_request-text = With status 400 the request could not be read: the body is not JSON, a field has the wrong type or is not known, or a parameter or header (such as limit, cursor or Idempotency-Key) is malformed. With status 422 it was read but breaks a rule: the errors list names each field (path) with what is wrong with it. Fix the request and send it again.
problem-unauthenticated-title = Authentication is required
problem-unauthenticated-text = Send an API key as Authorization: Bearer followed by the key. The key was missing, malformed or unknown. An administrator creates keys (provisio api-key create).
problem-not_found-title = Not found
problem-not_found-text = There is nothing with this id that you may see. Things of other companies are reported as not found too, and so are malformed ids and unknown routes.
problem-permission_denied-title = Permission denied
problem-permission_denied-text = You are authenticated but your role or company may not do this. For an action on a line the problem names the ordering_contact to ask.
problem-past_point_of_no_return-title = The organization is already onboarded
problem-past_point_of_no_return-text = The customer's organization is onboarded, so the provisioning email can no longer be resent, the contact not changed and the line not cancelled. Finish the setup in the admin portal (admin_portal_url, when configured).
problem-line_cancelled-title = The line is cancelled
problem-line_cancelled-text = The line was cancelled and takes no more actions.
problem-resend_rate_limited-title = Too many resends
problem-resend_rate_limited-text = The provisioning email of this line was resent too often within the last hour (5 times by default; the automatic first send does not count). Try again after the seconds in the Retry-After header (also retry_after).
problem-invalid_email-title = Invalid email address
problem-invalid_email-text = An email address is not valid; the errors list names the field. Give a plain address such as kim@example.com, without a display name.
problem-idempotency_conflict-title = Idempotency key reused for another request
problem-idempotency_conflict-text = You used this Idempotency-Key within the last 24 hours for a different request. A retry must send the same body with the same key; a new request needs a new key.
problem-request_timeout-title = The request body did not arrive in time
problem-request_timeout-text = The client stopped sending the body it announced; detail says for how long nothing arrived. Send the request again, whole.
problem-payload_too_large-title = The request body is too large
problem-payload_too_large-text = The body is larger than this server accepts; detail says the limit. Send less, for example an order in several parts.
problem-already_exists-title = Already exists
problem-already_exists-text = Something with this name, email address or id exists already.
problem-invalid_transition-title = Not possible in the current state
problem-invalid_transition-text = The line's current stage does not allow this step, for example marking it provisioned before its organization is onboarded.
problem-method_not_allowed-title = Method not allowed
problem-method_not_allowed-text = This route does not take this HTTP method; the Allow header lists the methods it takes.
problem-unsupported_media_type-title = Unsupported media type
problem-unsupported_media_type-text = Send the request body as JSON, with Content-Type: application/json.
problem-unavailable-title = Temporarily unavailable
problem-unavailable-text = The service or its database is not answering right now, or the request took too long. Try again in a few minutes.
problem-internal_error-title = Internal server error
problem-internal_error-text = Something went wrong on our side. It has been logged, and on purpose the response says no more. Try again later; if it persists, give the operator the x-request-id header of the response.
problem-rate_limited-title = Too many requests
problem-rate_limited-text = Too many support cases were opened by this user within the last hour (at most 10; refused requests do not count). Try again after the seconds in the Retry-After header (also retry_after).
