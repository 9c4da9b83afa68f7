# Provisioning emails (crates/mail). Plain text only: the HTML part escapes every text.
# Arguments: $order (web order id), $sub (subscription reference), $customer (end customer),
# $partner, $deadline, $name / $email (a person).

email-subject-initial = Provisioning information required for order { $order } ({ $sub }, { $customer })
email-subject-resend = Resent: Provisioning information required for order { $order } ({ $sub }, { $customer })
email-subject-contact_changed = You are now the provisioning contact for order { $order } ({ $sub }, { $customer })
email-subject-reminder = Reminder: Provisioning information required for order { $order } ({ $sub }, { $customer })

email-greeting-named = Hello { $name },
email-greeting = Hello,

email-intro-initial = { $partner } has ordered a subscription for { $customer } and named you as its provisioning contact. Please set up the service.
email-intro-resend = The provisioning email for the subscription of { $customer }, ordered by { $partner }, has been sent to you again. Please set up the service.
email-intro-contact_changed = You are now the provisioning contact for the subscription of { $customer }, ordered by { $partner }. Links sent to the previous contact no longer work. Please set up the service.
email-intro-reminder = Reminder: the subscription of { $customer }, ordered by { $partner }, is still waiting for you to set up the service.

email-label-order = Order
email-label-subscription = Subscription
email-label-customer = End customer
email-label-partner = Partner
email-label-offer = Offer
email-label-quantity = Quantity
email-label-start-date = Requested start date
email-label-deadline = Set up by
email-label-deadline-passed = Closed since

email-setup-lead = Set up the service here:
email-setup-button = Set up the service
email-deadline-note = If setup is not done by { $deadline }, the order line is closed; { $partner } can still send this email again.
email-deadline-passed-note = The order line was closed on { $deadline } because setup was not finished in time, but provisioning is still in progress: you can still set up your service with the link above.
email-admin-portal = Once your organization is set up, this link stops working. After that, you or an administrator finish the service configuration, and make any changes, by signing in to the admin portal:
email-help = Questions? Contact { $name } ({ $email }), who placed the order, or reply to this email.
email-footer = Sent by provisio on behalf of { $partner }. If you were not expecting this email, contact { $partner }.

# The notice to the ordering contact that the setup was handed off (SPEC §10). $from / $to:
# "Name (address)" of the contact who handed off and of the colleague.
email-subject-handed_off = Setup handed off to a colleague: order { $order } ({ $sub }, { $customer })
email-intro-handed_off = { $from }, the provisioning contact for the subscription of { $customer }, has handed the setup off to a colleague: { $to }. The colleague has been sent the provisioning email; links sent earlier no longer work.
email-label-handed-off-by = Handed off by
email-label-handed-off-to = Now provisioning contact
email-handed_off-next = You do not need to do anything. If this was not expected, change the provisioning contact of the line in the workspace.

# Emails a reader trusts (issue 19, point 7). $from: the address of the contact who handed
# the setup off from the setup page.
email-intro-contact_changed-handed_off = { $from } asked you to set up the service for the subscription of { $customer }, ordered by { $partner }. You are now its provisioning contact. Please set up the service.
email-handed_off-line = See the order line in the workspace:

# Support-case notifications (SPEC §11): to the support agents (case_opened) or to the case's
# opener (case_answered, case_resolved). Every notice of one case has one Subject, so mail
# programs that thread by subject keep them together; what happened is the first paragraph.
# Arguments: $sub, $order, $company (the opener's), $type (the request type in words),
# $opener ("Name (address)"), $author (a name, or an address when there is none).
email-case-subject-sub = Case about { $sub }: { $type }
email-case-subject-order = Case about order { $order }: { $type }
email-case-subject-company = Case from { $company }: { $type }
email-case-type-resend_provisioning_email = Resend provisioning email
email-case-type-change_provisioning_contact = Change provisioning contact
email-case-type-other = Other
email-case-state-open = Open
email-case-state-waiting = Waiting
email-case-state-resolved = Resolved
email-intro-case_opened = A new case was opened by { $opener } of { $company }.
email-intro-case_answered = { $author } answered your case:
email-intro-case_resolved = Your case was resolved by { $author }.
email-intro-case_resolved-by-service = Your case resolved itself: the organization was onboarded, so the service is set up.
email-case-description = Description:
email-case-comment = Comment:
email-case-last-email-failed = The last provisioning email of this line could not be delivered: see the line's emails before you answer.
email-label-case = Case
email-label-request-type = Request type
email-label-opened-by = Opened by
email-case-link = See the case:
email-case-no-reply = Replies to this email are not read: answer on the case page.
email-case-footer = Sent by provisio.
