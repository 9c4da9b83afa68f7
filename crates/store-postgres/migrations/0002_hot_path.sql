-- What every email costs PostgreSQL, made smaller (README "Performance", "On PostgreSQL").
--
-- A line's row is written twice for every email it sends (the planner queues its first send,
-- the result records it), and each such write moves an indexed instant (first_send_due_at,
-- close_due_at), so it adds an entry to every index of the table. Two of them only repeat
-- what another serves: a line by order is found through the unique (order_id, line_number)
-- key, and a contact's organizations through lines_contact.
DROP INDEX lines_order;
DROP INDEX lines_organization_contact;

-- The audit log is appended to by the transaction that read (and locked) the line, order,
-- case and user each event names, none of which is ever deleted; so its foreign keys could
-- never fail, yet each checked one per event by taking a share lock on the row it names (a
-- write to the order's and line's rows for every event, and a shared lock that concurrent
-- writers of one order's lines pile up on): about a sixth of PostgreSQL's work per email.
ALTER TABLE events DROP CONSTRAINT events_order_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_line_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_case_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_actor_id_fkey;
