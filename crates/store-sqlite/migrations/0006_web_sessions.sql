-- The web workspace (SPEC §5): sign-in sessions, stored by the SHA-256 of their id; failed
-- sign-ins, which throttle guessing (10 per account per 15 minutes, SPEC §8); and the
-- language a user chose for the pages.
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE sign_in_failures (
    account  TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX sign_in_failures_account ON sign_in_failures (account, at);

ALTER TABLE users ADD COLUMN locale TEXT CHECK (locale IN ('en', 'sv'));
