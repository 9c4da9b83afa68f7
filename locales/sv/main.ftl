# provisio — svenska. Ordvalen följer supportartikeln (shared/seed).

stage-scheduled = Schemalagd
stage-awaiting_provisioning = Väntar på information om etablering
stage-onboarded = Organisation registrerad
stage-provisioned = Etablerad
stage-cancelled = Avbruten

status-open = Öppen
status-closed = Stängd

closed_reason-provisioning_window_lapsed = Etableringsperioden har löpt ut
closed_reason-provisioned = Etablerad
closed_reason-cancelled = Avbruten

provisioning-still-in-progress = Etableringen pågår fortfarande.

page-error-title = Något är fel

# Issue 19 (lead): error pages in the page frame, with a way back
page-not-found-title = Sidan finns inte
page-way-back = Härifrån kan du gå till:
page-start = Startsidan (det som behöver åtgärd, när du har loggat in)
