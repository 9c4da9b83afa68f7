-- A line's row is written twice for every email it sends (the planner queues its first send,
-- the result records it), and each such write moves an indexed instant (first_send_due_at,
-- close_due_at), so it adds an entry to every index of the table. Two of them only repeat
-- what another serves: a line by order is found through the unique (order_id, line_number)
-- key, and a contact's organizations through lines_contact.
DROP INDEX lines_order;
DROP INDEX lines_organization_contact;
