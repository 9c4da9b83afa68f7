# The web workspace (crates/server/src/web, templates/): sign-in, orders, the order page,
# Subscriptions, provisioning help, an email as sent. Arguments: $email, $name (a person),
# $id (a web order id), $ref (a subscription reference), $when, $days, $hours, $used, $limit.

web-skip = Skip to main content
web-brand = provisio
web-nav-label = Main
web-nav-orders = Orders
web-nav-subscriptions = Subscriptions
web-nav-help = Provisioning help
web-sign-out = Sign out
web-signed-in-as = Signed in as { $name }
web-language = Language
web-language-apply = Change language
web-error-prefix = Error:
web-problem = There is a problem

web-sign-in-title = Sign in
web-sign-in-intro = Sign in to follow your orders and their provisioning emails.
web-email = Email
web-password = Password
web-sign-in = Sign in
web-sign-in-expired = Your session ended after a long time without activity. Sign in again.
web-signed-out = You are signed out.
web-sign-in-email-missing = Enter your email address.
web-sign-in-password-missing = Enter your password.

web-orders-title = Orders
web-orders-caption = Orders, newest first
web-search = Search
web-search-hint = Web order id, subscription reference, contact email or end customer
web-stage = Stage
web-status = Status
web-any = Any
web-apply-filters = Apply
web-clear-filters = Clear
web-order = Order
web-end-customer = End customer
web-partner = Partner
web-distributor = Distributor
web-placed-by = Placed by
web-placed-at = Placed
web-lines = Lines
web-no-orders = No orders match.
web-no-orders-yet = There are no orders yet.
web-pagination = Pages
web-next-page = Next page
web-first-page = First page

web-order-title = Order { $id }
web-order-lines-caption = Subscription lines of order { $id }
web-line = Line
web-subscription = Subscription
web-offer = Offer
web-quantity = Quantity
web-rsd = Requested start date
web-deadline = Deadline
web-contact = Provisioning contact
web-last-email = Last email
web-actions = Actions
web-closes-in-days = closes in { $days } days
web-closes-in-day = closes in 1 day
web-closes-in-hours = closes within { $hours } hours
web-closes-soon = closes within the hour
web-closes-at = closes { $when }
web-closed-on = closed on { $when }
web-no-deadline = starts on the requested start date
web-not-sent = Not sent yet
web-organization = Organization: { $name }

web-resend = Resend
web-resend-context = provisioning email to { $email }
web-edit-contact = Edit contact
web-edit-contact-context = of { $ref }
web-select-line = Select { $ref }
web-resend-selected = Resend selected
web-budget = { $used } of { $limit } resends this hour
web-budget-used-up = All { $limit } resends of this hour are used; the next is possible at { $when }.
web-denied = You cannot resend this email or change the contact. Ask the person who placed the order: { $name } ({ $email }).
web-denied-plain = You cannot resend this email or change the contact.
web-ponr = The customer's organization is onboarded, so the email can no longer be resent.
web-cancelled = The line is cancelled; nothing more is sent.
web-in-progress = Provisioning is still in progress.
web-click-here = Click here
web-in-progress-rest = to resend or edit the contact.

web-resend-question = Resend the provisioning email to { $email }?
web-resend-explain = { $email } gets a new email with a fresh setup link for { $ref }. The deadline stays as it is.
web-yes = Yes
web-no = No
web-resent = The provisioning email was resent to { $email }.
web-resent-row = Resent to { $email }.
web-not-resent = Not resent: { $reason }
web-bulk-none = Select at least one line to resend.
web-bulk-done = { $ok } of { $all } selected lines were resent; each line shows its result.

web-ponr-title = Finish setup at the admin portal
web-ponr-explain = The customer's organization is already onboarded (the point of no return), so the provisioning email can no longer be resent or re-addressed. The provisioning contact or an administrator can finish setting up the service by signing in at the admin portal.
web-ponr-no-portal = The customer's organization is already onboarded (the point of no return), so the provisioning email can no longer be resent or re-addressed. The provisioning contact or an administrator can finish setup in the admin portal.
web-ponr-link = Open the admin portal
web-close = Close
web-back-to-order = Back to order { $id }

web-contact-title = Change the provisioning contact of { $ref }
web-contact-explain = The new contact gets the provisioning email with a new setup link; the links sent earlier stop working.
web-contact-name = Name (optional)
web-apply-all = Apply to all lines
web-apply-all-hint = Every line of order { $id } that is not yet onboarded gets this contact.
web-save-and-send = Save and send
web-cancel = Cancel
web-contact-updated = The provisioning contact was updated to { $email } and the provisioning email was sent to the new contact.
web-contact-updated-later = The provisioning contact was updated to { $email }; the email goes to the new contact on the requested start date.
web-contact-unchanged = The provisioning contact was already { $email }; nothing was sent.
web-contact-updated-lines = The provisioning contact of { $count } lines was updated to { $email }; each line shows its result.
web-contact-email-missing = Enter the new contact's email address.

web-history = History of { $ref }
web-emails = Emails
web-email-kind = Kind
web-email-to = To
web-email-state = Delivery
web-email-when = Queued
web-email-reply = Reply from the mail server
web-email-view = View the email
web-no-emails = No email yet.
web-events = Events
web-event = Event
web-event-when = When
web-event-who = By
web-system = provisio

kind-initial = First email
kind-resend = Resend
kind-contact_changed = New contact
kind-reminder = Reminder
email-state-queued = Queued
email-state-sending = Sending
email-state-sent = Sent
email-state-retrying = Retrying
email-state-failed = Failed
email-state-cancelled = Not sent (overtaken)
web-attempts = { $count } attempts

web-subscriptions-title = Subscriptions
web-subscriptions-intro = Every line whose provisioning is not complete, open or closed. Resend or edit the contact until the customer's organization is onboarded.
web-subscriptions-caption = Subscription lines not yet provisioned
web-no-subscriptions = No subscription lines match.

web-help-title = Provisioning help
web-help-intro = If the provisioning contact has not received the provisioning email:
web-help-spam = Ask them to check the spam or junk folder and their mail filters.
web-help-allowlist = Ask their IT administrator to allow these sender addresses, so the email does not land in spam:
web-help-browser = If resending does not work before the point of no return, try one or more of these first:
web-help-cache = Clear your browser's cache and cookies.
web-help-other-browser = Try another browser.
web-help-private = Try a private (incognito) window.
web-help-case = If it still does not work, open a case with screenshots where they help.
web-open-case = Open a case
web-case-title = Open a case
web-case-soon = Support cases in provisio are coming soon. Until then, reach support by email and name the order and the subscription reference, with screenshots where they help.
web-case-write = Write to support:
web-case-type = Request type: Resend provisioning email

web-sent-email-title = Email to { $email }
web-sent-email-masked = The setup link is shown masked: it worked only for its recipient.
web-sent-subject = Subject
web-sent-from = From
web-sent-to = To
web-sent-date = Date
web-sent-text = Text version
web-sent-html = HTML version
web-back-to-line = Back to { $ref }

web-not-found-title = Not found

event-order-created = Order placed
event-email-queued = Email queued
event-email-sent = Email handed to the mail server
event-email-failed = Email delivery failed
event-email-cancelled = Email overtaken, not sent
event-resend-requested = Resend requested
event-resend-refused = Resend or contact change refused
event-contact-changed = Provisioning contact changed
event-line-onboarded = Organization onboarded
event-line-provisioned = Service configured (provisioned)
event-line-closed = Line closed
event-line-cancelled = Line cancelled
event-policy-changed = Offer policy changed
