-- SPEC §11: disabling a user ends all their web sessions at once. A session names its
-- signed-in user in a column, so the transaction that disables the user deletes them, and
-- a session cannot be saved again for a disabled user (a page view that was under way).
ALTER TABLE web_sessions ADD COLUMN user_id TEXT REFERENCES users (id);
-- Sessions signed in before this migration: their user from the stored data.
UPDATE web_sessions
   SET user_id = (SELECT id FROM users WHERE id = json_extract(web_sessions.data, '$.user'))
 WHERE json_valid(data);
-- Those of users disabled already go now.
DELETE FROM web_sessions
 WHERE user_id IN (SELECT id FROM users WHERE status = 'disabled');
CREATE INDEX web_sessions_user ON web_sessions (user_id) WHERE user_id IS NOT NULL;
