-- no-transaction
-- Support cases (issue 20, SPEC §11). (No transaction of sqlx's: email_kinds is rebuilt with
-- foreign keys off, inside the one transaction below.)
--
-- cases: one row per case; its state is the domain's CaseState, written only over the
--   version it was read at (compare-and-set). cases_one_open: at most one case that is not
--   resolved per line, request type and opening company (a case is its company's: the
--   domain answers a second one with the first; the key keeps two openers racing from both
--   getting one; a partner's case never blocks, nor names itself to, its distributor).
-- case_comments: a person's text, or a typed note of the service (kind + data), internal
--   ones for support only.
-- case_attachments: the checked bytes (metadata removed) in the database itself, so both
--   backends keep them the same way, a backup or `VACUUM INTO` copy carries them, and a
--   refused case leaves nothing behind (one transaction). At most 5 per case (n 1..5).
-- emails: case mail is a new subject of the outbox (case_id; the same claims, retries and
--   delivery states as a line's mail); case_comment_id the comment a notice reports;
--   for_case the case an on-behalf resend was asked from (its SMTP answer becomes a note).
-- events.case_id: what a case.* event is about (no order or line: the line's history stays
--   the line's).

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE email_kinds_new (
    kind     TEXT PRIMARY KEY,
    subject  TEXT NOT NULL CHECK (subject IN ('line', 'case')),
    UNIQUE (kind, subject)
);
INSERT INTO email_kinds_new (kind, subject) SELECT kind, subject FROM email_kinds;
DROP TABLE email_kinds;
ALTER TABLE email_kinds_new RENAME TO email_kinds;
INSERT INTO email_kinds (kind, subject) VALUES
    ('case_opened', 'case'), ('case_answered', 'case'), ('case_resolved', 'case');

CREATE TABLE cases (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    request_type     TEXT NOT NULL CHECK (request_type IN
                         ('resend_provisioning_email', 'change_provisioning_contact', 'other')),
    state            TEXT NOT NULL CHECK (state IN ('open', 'waiting', 'resolved')),
    company_id       TEXT NOT NULL REFERENCES companies (id),
    opened_by        TEXT NOT NULL REFERENCES users (id),
    order_id         TEXT NOT NULL REFERENCES orders (id),
    line_id          TEXT REFERENCES lines (id),
    description      TEXT NOT NULL,
    claimed_by       TEXT REFERENCES users (id),
    opened_at        TEXT NOT NULL,
    first_answer_at  TEXT,
    resolved_at      TEXT,
    version          INTEGER NOT NULL DEFAULT 0,
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX cases_one_open ON cases (line_id, request_type, company_id)
    WHERE state <> 'resolved' AND line_id IS NOT NULL;
CREATE INDEX cases_company ON cases (company_id, seq);
CREATE INDEX cases_state ON cases (state, seq);
CREATE INDEX cases_opener ON cases (opened_by, opened_at);
CREATE INDEX cases_line ON cases (line_id) WHERE line_id IS NOT NULL;

CREATE TABLE case_comments (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    author_id  TEXT REFERENCES users (id),
    internal   INTEGER NOT NULL CHECK (internal IN (0, 1)),
    kind       TEXT NOT NULL CHECK (kind IN ('text', 'resend_queued', 'resend_answered', 'onboarded')),
    body       TEXT,
    data       TEXT,
    at         TEXT NOT NULL,
    CHECK ((kind = 'text') = (body IS NOT NULL))
);
CREATE INDEX case_comments_case ON case_comments (case_id, seq);

CREATE TABLE case_attachments (
    case_id       TEXT NOT NULL REFERENCES cases (id),
    n             INTEGER NOT NULL CHECK (n BETWEEN 1 AND 5),
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL CHECK (content_type IN
                      ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf')),
    size          INTEGER NOT NULL CHECK (size BETWEEN 1 AND 5242880),
    bytes         BLOB NOT NULL CHECK (length(bytes) = size),
    PRIMARY KEY (case_id, n)
) WITHOUT ROWID;

ALTER TABLE emails ADD COLUMN case_id TEXT REFERENCES cases (id)
    CHECK ((subject = 'case') = (case_id IS NOT NULL));
ALTER TABLE emails ADD COLUMN case_comment_id TEXT REFERENCES case_comments (id);
ALTER TABLE emails ADD COLUMN for_case TEXT REFERENCES cases (id);
CREATE INDEX emails_case ON emails (case_id, seq) WHERE case_id IS NOT NULL;

ALTER TABLE events ADD COLUMN case_id TEXT REFERENCES cases (id);
CREATE INDEX events_case ON events (case_id, seq) WHERE case_id IS NOT NULL;

COMMIT;
PRAGMA foreign_keys = ON;
