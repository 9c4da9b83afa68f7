-- The planner and the closure sweep take due lines a batch at a time in (due instant, seq)
-- order. With an index on the instant alone, every batch read and sorted all the lines due at
-- that instant to find its first 500 (SQLite's index carries the rowid, so it never did):
-- 100,000 lines due at once took 27.6 s to queue, each batch slower than the last. In this
-- order a batch reads only its own lines.
DROP INDEX lines_first_send_due;
CREATE INDEX lines_first_send_due ON lines (first_send_due_at, seq)
    WHERE first_send_due_at IS NOT NULL;
DROP INDEX lines_close_due;
CREATE INDEX lines_close_due ON lines (close_due_at, seq) WHERE close_due_at IS NOT NULL;
