-- The outbox holds outbound mail of any kind, each row about a typed subject (a line now, a
-- support case next), and setup links live in their own table.
--
-- email_kinds lists the kinds of outbound mail with the subject each is about; an outbox row's
-- (kind, subject) must be one of them, so a new kind of mail is a row here, not a rebuilt
-- table. A row about a line has its line_id; a subject added later adds its own column.

CREATE TABLE email_kinds (
    kind     TEXT PRIMARY KEY,
    subject  TEXT NOT NULL CHECK (subject IN ('line')),
    UNIQUE (kind, subject)
);
INSERT INTO email_kinds (kind, subject) VALUES
    ('initial', 'line'), ('resend', 'line'), ('contact_changed', 'line'), ('reminder', 'line');

CREATE TABLE emails_new (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    line_id          TEXT REFERENCES lines (id),
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
    FOREIGN KEY (kind, subject) REFERENCES email_kinds (kind, subject),
    CHECK ((subject = 'line') = (line_id IS NOT NULL)),
    CHECK ((state IN ('queued', 'retrying')) = (next_attempt_at IS NOT NULL)),
    CHECK ((state = 'sending') = (lease_until IS NOT NULL))
);
INSERT INTO emails_new (seq, id, kind, subject, line_id, recipient, recipient_name, locale,
        requested_by, message_id, state, attempts, queued_at, next_attempt_at, sent_at,
        last_reply, lease_owner, lease_until)
    SELECT seq, id, kind, 'line', line_id, recipient, recipient_name, locale, requested_by,
        message_id, state, attempts, queued_at, next_attempt_at, sent_at, last_reply,
        lease_owner, lease_until
    FROM emails;

-- A setup link: the SHA-256 (hex) of the token in one email (the token itself is never
-- stored). Each attempt of an email mints a new token, replacing the hash of the attempt
-- before (SPEC §9), so an email has at most one link. `spent` once the organization is
-- onboarded, `revoked` after a contact change or cancellation. WITHOUT ROWID: the hash is the
-- key, so a new link is one b-tree insert fewer on every claim.
CREATE TABLE setup_links (
    token_hash  TEXT PRIMARY KEY,
    email_id    TEXT NOT NULL UNIQUE REFERENCES emails_new (id),
    line_id     TEXT NOT NULL REFERENCES lines (id),
    state       TEXT NOT NULL CHECK (state IN ('live', 'spent', 'revoked')),
    created_at  TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO setup_links (token_hash, email_id, line_id, state, created_at)
    SELECT token_hash, id, line_id, link, queued_at FROM emails WHERE token_hash IS NOT NULL;

DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;

CREATE INDEX emails_line ON emails (line_id, seq);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX emails_leased ON emails (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX emails_resends ON emails (line_id, queued_at) WHERE kind = 'resend';
CREATE INDEX setup_links_live ON setup_links (line_id) WHERE state = 'live';
