-- The audit log without foreign keys (issue 22), as PostgreSQL's migration 0002 has it. Each
-- event is written by the transaction that read the order, line, case and user it names, and
-- none of those is ever deleted, so the keys could never fail; yet SQLite checked each one
-- for every event written: a lookup in `orders` and one in `lines` by their 36-character text
-- ids (measured with SQLite 3.40 on 200,000 lines: 200,000 events written in 0.38 / 0.43 s
-- with the checks, 0.25 / 0.27 s without). A closure by policy writes an event for every
-- line it closes, a first send and each email's result one per email.
--
-- Only the definition's text changes (no stored row does), so the table is not rebuilt: the
-- stored definition is edited as SQLite documents for removing a FOREIGN KEY constraint
-- (https://sqlite.org/lang_altertable.html#otheralter); a table created and dropped at the
-- end moves the schema's version on, so every open connection reads the new definition.
-- (crates/store-sqlite/tests/schema.rs checks it.)

PRAGMA writable_schema = ON;

UPDATE sqlite_schema SET sql = replace(replace(replace(replace(sql,
    'order_id    TEXT REFERENCES orders (id)', 'order_id    TEXT'),
    'line_id     TEXT REFERENCES lines (id)', 'line_id     TEXT'),
    'actor_id    TEXT REFERENCES users (id)', 'actor_id    TEXT'),
    'case_id TEXT REFERENCES cases (id)', 'case_id TEXT')
WHERE type = 'table' AND name = 'events';

PRAGMA writable_schema = OFF;

CREATE TABLE schema_version_bump (x);
DROP TABLE schema_version_bump;
