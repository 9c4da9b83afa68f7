-- The attention list's candidates through indexes (issue 22), not a read of every line: each
-- index holds one kind of candidate and only those rows, so it costs a write only when a line
-- or an email becomes or stops being one.
--
-- Lines in a state that keeps needing a person: onboarded (not yet provisioned), or closed
-- while provisioning still runs (closed by policy, still actionable).
CREATE INDEX lines_needs_person ON lines (seq)
    WHERE stage = 'onboarded'
       OR (status = 'closed' AND stage IN ('scheduled', 'awaiting_provisioning'));
-- Provisioning emails that failed (the line's last one may be among them).
CREATE INDEX emails_failed ON emails (line_id) WHERE state = 'failed' AND last_email;
-- Emails a person asked for, by when (the resend limit's window).
CREATE INDEX emails_requested ON emails (queued_at) WHERE requested_by IS NOT NULL;
