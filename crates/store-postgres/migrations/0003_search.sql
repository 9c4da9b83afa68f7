-- Search by `q` in milliseconds (issue 22): each line's searchable text (its reference and
-- contact, its order's web order id and end customer; folded by the domain's
-- provisio_domain::search, never by SQL) in a trigram index (pg_trgm, a trusted extension
-- that ships with PostgreSQL: the database's owner may create it). A table of its own, not a
-- column of lines: a line's row is rewritten for every email it sends, and each new row
-- version would add its text's trigrams to the index again.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE line_search (
    seq     bigint PRIMARY KEY,
    search  text NOT NULL
);
CREATE INDEX line_search_trigrams ON line_search USING gin (search gin_trgm_ops);

-- The lines stored before this migration get their text from Rust (the fold is the domain's),
-- in batches, when the store next migrates: those with after < seq <= upto. The row goes
-- when they are done.
CREATE TABLE search_backfill (
    after  bigint NOT NULL,
    upto   bigint NOT NULL
);
INSERT INTO search_backfill (after, upto) SELECT 0, coalesce(max(seq), 0) FROM lines;
