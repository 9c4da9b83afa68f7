-- CHECK constraints without lists of three or more values (issue 22). SQLite evaluates a
-- constraint `x IN ('a', 'b', 'c')` by building a temporary b-tree of the list each time a
-- statement runs, and provisio's writes are one row a statement: every update of a line's
-- stage, of an email's state and every new setup link built and dropped one or two (`EXPLAIN`
-- shows OpenEphemeral; measured with SQLite 3.51: an update of one row 0.4 µs with
-- `x = 'a' OR x = 'b' OR …`, 2.0 µs with the list). The same rules, written as equalities.
--
-- Only the constraints' text changes, not what they allow, so the tables are not rebuilt:
-- the stored definitions are edited as SQLite documents for such changes
-- (https://sqlite.org/lang_altertable.html#otheralter); a table created and dropped at the end
-- moves the schema's version on, so every open connection reads the new definitions.
-- (crates/store-sqlite/tests/schema.rs checks that no list is left, that the constraints still
-- refuse, and that a connection open meanwhile reads the new definitions.)

PRAGMA writable_schema = ON;

UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (kind IN (''partner'', ''distributor'', ''operator''))',
    'CHECK (kind = ''partner'' OR kind = ''distributor'' OR kind = ''operator'')')
WHERE type = 'table' AND name = 'companies';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (role IN (''member'', ''support_agent'', ''admin'', ''integration''))',
    'CHECK (role = ''member'' OR role = ''support_agent'' OR role = ''admin'' OR role = ''integration'')')
WHERE type = 'table' AND name = 'users';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (stage IN
                              (''scheduled'', ''awaiting_provisioning'', ''onboarded'', ''provisioned'', ''cancelled''))',
    'CHECK (stage = ''scheduled'' OR stage = ''awaiting_provisioning'' OR stage = ''onboarded'' OR stage = ''provisioned'' OR stage = ''cancelled'')')
WHERE type = 'table' AND name = 'lines';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (closed_reason IN (''provisioning_window_lapsed'', ''provisioned'', ''cancelled''))',
    'CHECK (closed_reason = ''provisioning_window_lapsed'' OR closed_reason = ''provisioned'' OR closed_reason = ''cancelled'')')
WHERE type = 'table' AND name = 'lines';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN
                         (''queued'', ''sending'', ''sent'', ''retrying'', ''failed'', ''cancelled''))',
    'CHECK (state = ''queued'' OR state = ''sending'' OR state = ''sent'' OR state = ''retrying'' OR state = ''failed'' OR state = ''cancelled'')')
WHERE type = 'table' AND name = 'emails';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''live'', ''spent'', ''revoked''))',
    'CHECK (state = ''live'' OR state = ''spent'' OR state = ''revoked'')')
WHERE type = 'table' AND name = 'setup_links';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (request_type IN
                         (''resend_provisioning_email'', ''change_provisioning_contact'', ''other''))',
    'CHECK (request_type = ''resend_provisioning_email'' OR request_type = ''change_provisioning_contact'' OR request_type = ''other'')')
WHERE type = 'table' AND name = 'cases';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''open'', ''waiting'', ''resolved''))',
    'CHECK (state = ''open'' OR state = ''waiting'' OR state = ''resolved'')')
WHERE type = 'table' AND name = 'cases';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (kind IN (''text'', ''resend_queued'', ''resend_answered'', ''onboarded''))',
    'CHECK (kind = ''text'' OR kind = ''resend_queued'' OR kind = ''resend_answered'' OR kind = ''onboarded'')')
WHERE type = 'table' AND name = 'case_comments';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (content_type IN
                      (''image/png'', ''image/jpeg'', ''image/gif'', ''image/webp'', ''application/pdf''))',
    'CHECK (content_type = ''image/png'' OR content_type = ''image/jpeg'' OR content_type = ''image/gif'' OR content_type = ''image/webp'' OR content_type = ''application/pdf'')')
WHERE type = 'table' AND name = 'case_attachments';

PRAGMA writable_schema = OFF;

CREATE TABLE schema_version_bump (x);
DROP TABLE schema_version_bump;
