-- A policy change moves its offer's running deadlines in batches (issue 22), each its own
-- transaction, instead of rewriting every line in the change's: at a million lines that ran
-- for ~25 s, near the request deadline (a 503 and a rollback).
-- moving_after: the seq of the last line a batch looked at; NULL when every line of the
-- offer follows the policy. A change sets it to 0; the batches go on from it, also after a
-- restart or on another instance (a batch holds the policy row).
ALTER TABLE offer_policies ADD COLUMN moving_after bigint;
