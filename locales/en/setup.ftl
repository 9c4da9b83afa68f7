# The provisioning contact's setup page (GET/POST /setup/{token}).

setup-title = Set up your service
setup-intro = { $partner } has ordered a subscription for { $customer }. Create your organization, or pick one you already administer, to start using it.
setup-partner = Partner
setup-customer = Customer
setup-offer = Offer
setup-quantity = Quantity
setup-reference = Subscription reference
setup-order = Order
setup-deadline = Set up by
setup-existing = Use an organization you already administer
setup-new = Or create a new organization
setup-organization-name = Organization name
setup-submit = Set up your service
setup-name-missing = Enter your organization's name, or pick an organization you already administer.
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
