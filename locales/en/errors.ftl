# Errors (crates/server/src/error.rs renders them; the API in English, pages in the user's
# language). Keys name the cause; arguments: $value (what was given), $field, $message (a
# nested error), $name / $email (a person), $stage, $limit, $seconds, $url.

error-field = { $field }: { $message }
error-invalid = The request is not valid.
error-internal = Something went wrong on our side; it has been logged.
error-unavailable = The service is temporarily unavailable; please try again in a few minutes.
error-stale-form = This form has expired. Go back, reload the page and try again.
error-idempotency-conflict = the Idempotency-Key was already used for a different request
error-payload-too-large = the request body is larger than { $limit } bytes
error-request-timeout = the request body stalled: no data arrived for { $seconds } seconds
error-unsupported-media-type = send the body as Content-Type: application/json, not { $type }
error-method-not-allowed = this route does not take that method

not-found-line = subscription line not found
not-found-order = order not found
not-found-user = user not found
not-found-company = company not found
not-found-organization = no organization with this organization_id is known for this partner
not-found-email = email not found
not-found-api-key = API key not found
not-found-route = no such route
not-found-resource = not found

exists-company = a company with this name already exists
exists-user = a user with this email already exists
exists-api-key = an API key with this hash already exists
exists-order = an order with this web_order_id already exists
exists-line = a line with this subscription reference already exists
exists-other = it already exists

auth-missing = send Authorization: Bearer <api key>
auth-malformed = the Authorization header must be Bearer <api key>
auth-unknown-key = the API key is not valid
auth-wrong-password = The email address or the password is not right.
auth-disabled = This account is disabled. Ask your administrator.
auth-throttled = Too many failed sign-ins for this account. Try again in { $minutes } minutes.

denied-ask-ordering-contact = { $reason }: { $name } <{ $email }>
denied-line-action = you may not resend provisioning emails or change provisioning contacts on this order; ask the ordering contact
denied-cancel = only the ordering contact or an admin may cancel a line
denied-report = only an integration, a support agent or an admin may report onboarding or service configuration
denied-admin-only = this requires the admin role
denied-support-agent-orders = support agents do not place orders
denied-own-company-orders = you may only place orders in which your company is the partner or distributor
denied-on-behalf = only an admin or an integration may place an order on someone's behalf
denied-policy-by-api = policies are changed through the API by an admin

refused-not-found = not found
refused-past-point-of-no-return = The customer's organization is already onboarded, so the provisioning email can no longer be resent or re-addressed. The provisioning contact or an administrator can finish setup by signing in at the admin portal: { $url }
refused-past-point-of-no-return-cancel = The customer's organization is already onboarded, so the line can no longer be cancelled.
refused-past-point-of-no-return-no-portal = The customer's organization is already onboarded, so the provisioning email can no longer be resent or re-addressed. The provisioning contact or an administrator can finish setup in the admin portal; contact your partner for its address.
refused-line-cancelled = the line is cancelled
refused-rate-limited = At most { $limit } resends per line per hour; try again in { $seconds } seconds.
refused-transition-onboard = cannot onboard a line that is { $stage }
refused-transition-mark-provisioned = cannot mark as provisioned a line that is { $stage }
refused-transition-cancel = cannot cancel a line that is { $stage }

value-hand-off-self = that is the address this email was sent to; enter your colleague's address
value-hand-off-limit = this subscription was handed on too often in the last hour; ask { $name } ({ $email }), who placed the order, to change the contact
value-email-empty = the email address is empty
value-email-too-long = the email address is longer than 254 characters
value-email-not-bare = '{ $value }' is not a bare email address (no display names or spaces)
value-email-invalid = '{ $value }' is not a valid email address: { $reason }
value-email-non-ascii-local = '{ $value }' has letters outside ASCII before the @, which provisio cannot send (it does not use SMTPUTF8); letters like å or ü are fine in the domain
value-sub-ref = '{ $value }' is not a subscription reference (Sub followed by digits)
value-web-order-id = '{ $value }' is not a web order id (1–64 letters, digits, '-', '_' or '.', not only dots)
value-offer = '{ $value }' is not an offer SKU (1–40 letters, digits and '-')
value-name-empty = the name is empty
value-name-too-long = the name has { $length } characters; at most { $max } are allowed
value-name-control = the name contains an invisible or control character ({ $char }, e.g. a text-direction override); remove it
value-locale = '{ $value }' is not a supported locale (en, sv)
value-date = '{ $value }' is not a calendar date (YYYY-MM-DD)
value-unknown-variant = '{ $value }' is not a valid { $what } ({ $allowed })
value-window-days = window_days must be between 1 and { $max }, not { $value }
value-required = { $field } is required
value-organization-id = must be at most 200 characters without control characters
value-organization-not-yours = that organization is not one onboarded earlier with this provisioning contact
value-company-id = '{ $value }' is not a company id
value-no-company-id = no company with id { $value }
value-no-company = no company '{ $value }' exists
value-company-kind = { $name } is a { $kind }, not a { $expected }
value-order-partner = names no partner you may order for (a distributor orders for the partners an administrator has linked it to)
value-order-distributor = names no distributor that serves the order's partner
value-partner-required = partner_id is required when your company is not a partner
value-no-user = no user { $value }
value-order-placed-by = names no user of the order's partner company
value-role-in-company = the { $role } role exists only in operator companies; { $company } is a { $kind }
value-password-too-short = a password needs at least { $min } characters
value-password-too-long = a password has at most 1024 characters
value-password-unhashable = could not hash the password
value-disable-self = you cannot disable your own account; another admin can
value-clock-seconds = must be between 0 and { $max } (ten years), not { $value }
value-clock-past-end = moving the clock { $value } seconds would take it past { $latest }, the latest time the service keeps; it is { $now }, so it can move at most { $room } more seconds
value-bulk-no-lines = name at least one subscription reference
value-bulk-too-many = at most 1000 references per request
value-limit = limit must be between 1 and 200, not { $value }
value-page = page must be 1 or more, not { $value }
order-no-lines = an order needs at least one line
order-too-many-lines = an order has at most { $max } lines, not { $count }
order-quantity = quantity must be a whole number from 1 to { $max }, not { $value }

form-not-utf8 = the form contains text that is not valid UTF-8; type it again
request-body-unreadable = the request body could not be read: { $reason }
request-json-invalid = the body is not valid JSON: { $reason }
request-json-shape = the body does not have the expected shape: { $reason }
request-json-field = { $field }: { $reason }
request-body-not-empty = this action takes no body (send none, or {"{"}{"}"})
request-idempotency-key = Idempotency-Key must be 1–255 visible ASCII characters
request-query-number = { $field }: '{ $value }' is not a number
request-query-value = { $field }: { $reason }
request-cursor = cursor: not a cursor this service issued

# Issue 19 (lead)
value-days = closing_within_days must be a whole number of days from 0 to { $max }, not { $value }

# Issue 19 point 8: a form says every problem at once.
value-company-missing = no company was chosen

# Support cases (SPEC §11)
not-found-case = Case not found
denied-case-support-only = only support agents and admins answer cases, write internal notes, claim cases and resend on the opener's behalf
refused-case-exists = This line already has an open case of this request type; add to that case instead.
refused-case-rate-limited = At most { $limit } cases can be opened per hour; try again in { $seconds } seconds.
refused-case-without-line = This case is about an order, not a line: there is no provisioning email to resend.
value-too-long = at most { $max } characters are allowed
value-control-characters = contains a control character; remove it
case-about-required = name the subscription (or the order) the case is about
case-order-mismatch = { $sub } is not a line of this order
request-field-unknown = unknown field '{ $field }'
attachment-empty = the file is empty
attachment-not-allowed = only PNG, JPEG, GIF and WebP images and PDF files can be attached (the file's content decides, not its name)
attachment-damaged = the file could not be read as the image or PDF it starts like
attachment-too-many-pixels = the image is { $width } × { $height } pixels; at most { $max } pixels on a side are allowed
attachment-too-large = a file may be at most { $max_mb } MB
attachment-too-many = at most { $max } files per case
case-note-text = { $text }
case-note-resend-queued = Resent the provisioning email to { $to } on the opener's behalf.
case-note-resend-accepted = The mail server accepted the provisioning email to { $to }: { $reply }
case-note-resend-refused = The mail server refused the provisioning email to { $to }: { $reply }
case-note-resend-deferred = The mail server deferred the provisioning email to { $to } ({ $reply }); it will be tried again.
case-note-onboarded = The organization { $organization } was onboarded: the service is set up, so this case resolved itself.
value-text-empty = the text is empty; say what happened
case-request-type-required = choose a request type ({ $allowed })
