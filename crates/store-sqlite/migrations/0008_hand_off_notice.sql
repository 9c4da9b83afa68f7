-- "Someone else in my company will set this up" (SPEC §10): the provisioning contact hands
-- the setup off to a colleague, and the ordering contact gets a notice saying so and by whom.
-- The notice is a new kind of outbound mail about a line (no setup link); its row keeps what
-- it reports, the two addresses, so it is rendered from facts at each attempt like every email.

INSERT INTO email_kinds (kind, subject) VALUES ('handed_off', 'line');

ALTER TABLE emails ADD COLUMN handed_off_from TEXT;
ALTER TABLE emails ADD COLUMN handed_off_to TEXT;
