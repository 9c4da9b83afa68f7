-- Search by `q` in milliseconds (issue 22): each line's searchable text (its reference and
-- contact, its order's web order id and end customer; folded by the domain's
-- provisio_domain::search, never by SQL) in an FTS5 trigram index, rowid = lines.seq. The
-- store writes a line's text with the line and again when its contact changes; a search reads
-- the index newest first (rowid descending) and stops when a page is full.
--
-- case_sensitive 1: the text is folded already. detail='none': a lookup needs which lines
-- hold a trigram, not where; the index is half the size. A search asks for the rarest of its
-- term's trigrams and checks each line found for the whole term (search.rs).
CREATE VIRTUAL TABLE line_search USING fts5 (search, tokenize = 'trigram case_sensitive 1', detail = 'none');

-- The lines stored before this migration get their text from Rust (the fold is the domain's),
-- in batches, when the store next migrates: those with after < seq <= upto. The row goes
-- when they are done.
CREATE TABLE search_backfill (
    after  INTEGER NOT NULL,
    upto   INTEGER NOT NULL
);
INSERT INTO search_backfill (after, upto) SELECT 0, coalesce(max(seq), 0) FROM lines;
