-- Correct by construction (issue 18): the rules live in the domain; the schema keeps what
-- several writers could break; queries select candidates by indexed columns.
--
-- lines.initial_queued: the line's initial email was queued (R1: the automatic first send
--   happened, whatever became of that email). Part of the domain's LineState.
-- lines.first_send_due_at / close_due_at: when the planner and the closure sweep must look at
--   the line, as the domain computes them from its state (LineState::first_send_due_at,
--   closure_due_at) and the store writes with every state; NULL when never again.
-- emails.last_email: whether the email can be its line's last email (a provisioning email),
--   stored when it is queued from the domain's declaration (EmailKind::traits), so no query
--   names a kind. (A column of the line naming its last email would cost every resend a write
--   of the line: measured, +12 % CPU per resend.)
-- lines.version: bumped by every change of a line, which is made only over the version it
--   was read at (compare-and-set): a writer that lost a race is detected and retries.
-- emails_one_initial: at most one initial email per line, whoever queues it.

ALTER TABLE lines ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lines ADD COLUMN initial_queued INTEGER NOT NULL DEFAULT 0
    CHECK (initial_queued IN (0, 1));
ALTER TABLE lines ADD COLUMN first_send_due_at TEXT;
ALTER TABLE lines ADD COLUMN close_due_at TEXT;
ALTER TABLE emails ADD COLUMN last_email INTEGER NOT NULL DEFAULT 0
    CHECK (last_email IN (0, 1));

-- An initial email queued twice for one line never happened (the planner skipped lines with
-- any mail); should one exist, the later ones become what they were in effect: resends by
-- the service.
UPDATE emails SET kind = 'resend'
WHERE kind = 'initial'
  AND seq > (SELECT min(f.seq) FROM emails f WHERE f.line_id = emails.line_id AND f.kind = 'initial');

UPDATE lines SET initial_queued = 1
WHERE EXISTS (SELECT 1 FROM emails e WHERE e.line_id = lines.id AND e.kind = 'initial');

-- The state as LineState computes it, once, for the lines stored so far. This also gives the
-- lines the old planner left behind (a pre-RSD resend that failed, the contact corrected
-- since: "scheduled" forever) their first send, as R1 says.
UPDATE lines SET first_send_due_at = rsd_start_at
WHERE stage = 'scheduled' AND initial_queued = 0 AND first_sent_at IS NULL;
UPDATE lines SET close_due_at = closes_at
WHERE status = 'open' AND stage IN ('scheduled', 'awaiting_provisioning', 'onboarded')
  AND first_sent_at IS NOT NULL;
UPDATE emails SET last_email = 1 WHERE kind <> 'handed_off';

CREATE UNIQUE INDEX emails_one_initial ON emails (line_id) WHERE kind = 'initial';

DROP INDEX lines_due;
DROP INDEX lines_closing;
CREATE INDEX lines_first_send_due ON lines (first_send_due_at) WHERE first_send_due_at IS NOT NULL;
CREATE INDEX lines_close_due ON lines (close_due_at) WHERE close_due_at IS NOT NULL;

-- (A line's last email and the mail a decision reads are found through emails_line (line_id,
-- seq), walking the line's few emails: an index more on emails would cost every email queued
-- its upkeep, measured at +10 % CPU per resend.)
DROP INDEX emails_resends;
