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
