-- The email outbox with delivery state and setup links, and the service settings (the test
-- clock's offset). Business instants (queued_at, next_attempt_at, sent_at) follow the service
-- clock; lease_until is real time, so moving the test clock never abandons a message in flight.

CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE emails (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    line_id          TEXT NOT NULL REFERENCES lines (id),
    kind             TEXT NOT NULL CHECK (kind IN ('initial', 'resend', 'contact_changed', 'reminder')),
    recipient        TEXT NOT NULL,
    recipient_name   TEXT,
    locale           TEXT NOT NULL CHECK (locale IN ('en', 'sv')),
    requested_by     TEXT REFERENCES users (id),
    message_id       TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL CHECK (state IN
                         ('queued', 'sending', 'sent', 'retrying', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    queued_at        TEXT NOT NULL,
    next_attempt_at  TEXT,
    sent_at          TEXT,
    last_reply       TEXT,
    lease_owner      TEXT,
    lease_until      TEXT,
    -- SHA-256 (hex) of the setup token of the latest attempt; the token itself is never stored.
    token_hash       TEXT UNIQUE,
    link             TEXT NOT NULL DEFAULT 'live' CHECK (link IN ('live', 'spent', 'revoked')),
    CHECK ((state IN ('queued', 'retrying')) = (next_attempt_at IS NOT NULL)),
    CHECK ((state = 'sending') = (lease_until IS NOT NULL))
);
CREATE INDEX emails_line ON emails (line_id, seq);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX emails_leased ON emails (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX emails_resends ON emails (line_id, queued_at) WHERE kind = 'resend';
CREATE INDEX lines_organization_contact ON lines (contact_email) WHERE organization_id IS NOT NULL;
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
