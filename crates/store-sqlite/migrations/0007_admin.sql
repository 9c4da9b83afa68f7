-- Administration (issue 12): a user is active or disabled (a disabled user cannot sign in and
-- their API keys answer 401; state is a column, never inferred), and an API key remembers
-- when it was last used (recorded at most once a minute per key, so accurate to a minute).
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'disabled'));
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);
