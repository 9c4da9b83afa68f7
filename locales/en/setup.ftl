# The provisioning contact's setup page (GET/POST /setup/{token}).

setup-title = Set up your service
setup-intro = { $partner } has ordered a subscription for { $customer }.
setup-partner = Partner
setup-customer = Customer
setup-offer = Offer
setup-quantity = Quantity
setup-reference = Subscription reference
setup-order = Order
setup-deadline = Set up by

setup-organization-name = Organization name
setup-submit = Set up your service
setup-name-missing = Enter your organization's name, or choose another way to set up the service.
setup-unknown-organization = That organization is not one you administer; pick one from the list or enter a new name.
setup-done-title = Your service is set up
setup-done = The organization { $organization } is now set up for subscription { $reference }.
setup-continue-portal = Continue the service configuration by signing in at the admin portal:
setup-continue-partner = Your partner will tell you how to continue the service configuration.
setup-spent-title = This link has already been used
setup-spent = The organization for subscription { $reference } is already set up, so this link cannot be used again.
setup-revoked-title = This link no longer works
setup-revoked = This setup link was replaced or withdrawn: the provisioning contact may have been changed, or the order cancelled.
setup-ask-partner = Ask the person who placed the order to resend the provisioning email: { $name } ({ $email }).
setup-unknown-title = This link is not valid
setup-unknown = We do not know this setup link. Check that you opened the whole link from the provisioning email.
setup-intro-create = Create your organization to start using it, or let a colleague set it up.
setup-intro-pick = Pick an organization you already administer, create a new one, or let a colleague set it up.
setup-closed-on = Order line closed on
setup-closed-note = The order line was closed because setup was not finished in time, but provisioning is still in progress: you can still set up your service here.
setup-choice-legend = How do you want to set up the service?
setup-choice-existing = Use { $name }, which you already administer
setup-choice-new = Create a new organization
setup-choice-colleague = Someone else in my company will set this up
setup-colleague-email = Colleague's email
setup-colleague-hint = We email your colleague the setup link and tell { $name }, who placed the order. This link then stops working.
setup-colleague-missing = Enter your colleague's email address.
setup-problem = There is a problem
setup-error-prefix = Error:
setup-handed-off-title = Your colleague has the setup email
setup-handed-off = We have sent the setup email to { $email }. Links sent to you earlier no longer work, and { $name }, who placed the order, has been told.
setup-fresh-lead = Still need to set up the service? We can send a fresh setup link to the subscription's current provisioning contact.
setup-fresh-button = Send me a fresh link
setup-fresh-title = We have taken your request
setup-fresh-done = If the subscription can still be set up, a fresh setup link is on its way to its current provisioning contact. It can take a few minutes to arrive; check the spam folder too.

# Issue 19 (lead)
setup-done-next = What happens next: this link has done its job and no longer opens the setup page; the partner sees that the service is set up, and nothing more is emailed about it.
