# provisio — English. Every user-facing text of pages and emails lives here and in ../sv/.

stage-scheduled = Scheduled
stage-awaiting_provisioning = Awaiting Provisioning Details
stage-onboarded = Onboarded
stage-provisioned = Provisioned
stage-cancelled = Cancelled

status-open = Open
status-closed = Closed

closed_reason-provisioning_window_lapsed = Provisioning window lapsed
closed_reason-provisioned = Provisioned
closed_reason-cancelled = Cancelled

provisioning-still-in-progress = Provisioning is still in progress.

page-error-title = Something is not right

# Issue 19 (lead): error pages in the page frame, with a way back
page-not-found-title = Page not found
page-way-back = Where to go from here:
page-start = The start page (what needs attention, once signed in)
