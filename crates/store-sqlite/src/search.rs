//! The search index (migration 0012): each line's [`SearchText`] in the FTS5 trigram table
//! `line_search` (rowid = `lines.seq`), written with the line and again when its contact
//! changes, and how a [`Search`] is looked up in it. What matches is the domain's rule
//! (`provisio_domain::search`); the index only finds it fast.

use provisio_domain::search::{Search, SearchText};
use provisio_store::{StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db;
use crate::writer::{Tx, Writer};

/// Lines indexed per transaction when the store indexes those stored before the index was.
const BACKFILL_BATCH: i64 = 10_000;

/// Trigrams a lookup asks the index for: the rarest of the term's. Each narrows the lines to
/// check; one found in nearly every line (`sub` of every reference) costs reading its long
/// list, so it is left to the check of the text.
const LOOKED_UP: usize = 3;

/// Trigrams of a term counted at most, spread evenly over it (first and last included): a
/// whole address has some twenty, most in every line (`.customer.example`), and each count
/// reads up to [`COUNTED_UP_TO`] entries; any of the term's trigrams narrows correctly, as
/// every candidate is checked for the whole term.
const COUNTED: usize = 8;

/// How far a trigram's lines are counted to tell how rare it is: counting costs what it
/// reads, so a trigram in more lines than this is "common", whatever the size of the table.
const COUNTED_UP_TO: i64 = 4096;

/// How the index finds a term's lines: `Matched` through an FTS5 query of its rarest
/// trigrams (bound on `s.line_search MATCH`), each candidate then checked for the whole term
/// (`instr`, with [`Lookup::term`]); `Scanned`, a term too short for trigrams, by the check
/// alone, newest first; `Nothing` when a trigram of the term is in no line.
pub(crate) enum Lookup {
    Matched { query: String, term: String },
    Scanned { term: String },
    Nothing,
}

impl Lookup {
    /// The FTS5 query, if the index is asked.
    pub(crate) fn query(&self) -> Option<&str> {
        match self {
            Lookup::Matched { query, .. } => Some(query),
            _ => None,
        }
    }

    /// The folded term each candidate's text is checked for.
    pub(crate) fn term(&self) -> Option<&str> {
        match self {
            Lookup::Matched { term, .. } | Lookup::Scanned { term } => Some(term),
            Lookup::Nothing => None,
        }
    }
}

/// How to find `search`'s lines: each trigram's lines counted (up to [`COUNTED_UP_TO`]), the
/// rarest asked for; among equally common ones the later in the term, where references and
/// numbers vary most.
pub(crate) fn lookup(conn: &Connection, search: &Search) -> StoreResult<Lookup> {
    let term = search.folded().to_owned();
    if !search.indexed() {
        return Ok(Lookup::Scanned { term });
    }
    let mut count = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM line_search WHERE line_search MATCH ? LIMIT ?)",
        )
        .map_err(db)?;
    let mut counted = Vec::new();
    for (position, trigram) in spread(search.trigrams(), COUNTED) {
        let quoted = format!("\"{}\"", trigram.replace('"', "\"\""));
        let lines: i64 = count
            .query_row(params![quoted, COUNTED_UP_TO], |r| r.get(0))
            .map_err(db)?;
        if lines == 0 {
            return Ok(Lookup::Nothing);
        }
        counted.push((lines, std::cmp::Reverse(position), quoted));
    }
    counted.sort();
    let query = counted
        .into_iter()
        .take(LOOKED_UP)
        .map(|(_, _, quoted)| quoted)
        .collect::<Vec<_>>()
        .join(" AND ");
    Ok(Lookup::Matched { query, term })
}

/// At most `n` of `items` with their positions, evenly spread, the first and the last among
/// them (all of them when there are no more than `n`).
fn spread<T>(items: Vec<T>, n: usize) -> Vec<(usize, T)> {
    let len = items.len();
    let keep = |i: usize| match n {
        _ if len <= n => true,
        0 => false,
        1 => i == 0,
        _ => (0..n).any(|k| k * (len - 1) / (n - 1) == i),
    };
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .collect()
}

/// Writes the texts of new lines, each with the `seq` the line is stored as, in one
/// statement. FTS5 writes the terms it holds in memory to its b-tree at every savepoint, and
/// SQLite opens one for each statement that may fail halfway within a transaction (every
/// INSERT with a unique key): a statement per line wrote the index a line at a time and then
/// merged those pieces (an import of 200,000 lines spent ~11 % of its time there). Written
/// last and together, the texts reach the b-tree once, at the commit.
pub(crate) fn index_lines(tx: &Tx, texts: &[(i64, SearchText)]) -> StoreResult<()> {
    if texts.is_empty() {
        return Ok(());
    }
    let pairs: Vec<(i64, &str)> = texts.iter().map(|(seq, t)| (*seq, t.as_str())).collect();
    let json = serde_json::to_string(&pairs).map_err(StoreError::backend)?;
    tx.prepare_cached(
        "INSERT INTO line_search (rowid, search)
         SELECT value ->> 0, value ->> 1 FROM json_each(?)",
    )
    .and_then(|mut q| q.execute([json]))
    .map_err(db)?;
    Ok(())
}

/// Writes again the text of the line `line_id` from what is stored of it and its order (after
/// its contact changed).
pub(crate) fn reindex_line(tx: &Tx, line_id: &str) -> StoreResult<()> {
    let found = tx
        .prepare_cached(
            "SELECT l.seq, l.sub_ref, l.contact_email, o.web_order_id, o.end_customer_name
             FROM lines l JOIN orders o ON o.id = l.order_id WHERE l.id = ?",
        )
        .and_then(|mut q| q.query_row([line_id], text_of).optional())
        .map_err(db)?;
    if let Some((seq, text)) = found {
        tx.prepare_cached("UPDATE line_search SET search = ? WHERE rowid = ?")
            .and_then(|mut q| q.execute(params![text.as_str(), seq]))
            .map_err(db)?;
    }
    Ok(())
}

fn text_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, SearchText)> {
    let field = |i| {
        r.get_ref(i)
            .map(|v| v.as_str().unwrap_or_default().to_owned())
    };
    Ok((
        r.get(0)?,
        SearchText::of_line(&field(1)?, &field(2)?, &field(3)?, &field(4)?),
    ))
}

/// Indexes the lines stored before the index existed (or copied in without it), a batch per
/// transaction, so a large file is done in steps that readers and writers can go between;
/// started again, it goes on where it stopped. Returns how many lines it indexed.
pub(crate) fn backfill(writer: &Writer) -> StoreResult<u64> {
    let mut indexed = 0;
    loop {
        let done = writer.transaction(|tx| {
            let pending = tx
                .query_row("SELECT after, upto FROM search_backfill", [], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })
                .optional()
                .map_err(db)?;
            let Some((after, upto)) = pending else {
                return Ok(None);
            };
            let batch = tx
                .prepare_cached(
                    "SELECT l.seq, l.sub_ref, l.contact_email, o.web_order_id, o.end_customer_name
                     FROM lines l JOIN orders o ON o.id = l.order_id
                     WHERE l.seq > ? AND l.seq <= ? ORDER BY l.seq LIMIT ?",
                )
                .and_then(|mut q| {
                    q.query_map(params![after, upto, BACKFILL_BATCH], text_of)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(db)?;
            let Some((last, _)) = batch.last() else {
                tx.execute("DELETE FROM search_backfill", []).map_err(db)?;
                return Ok(None);
            };
            let last = *last;
            index_lines(tx, &batch)?;
            tx.execute("UPDATE search_backfill SET after = ?", [last])
                .map_err(db)?;
            Ok(Some(batch.len() as u64))
        })?;
        match done {
            Some(n) => indexed += n,
            None => return Ok(indexed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn a_long_term_is_counted_at_a_spread_of_its_trigrams_first_and_last_included() {
        let picked: Vec<usize> = spread((0..22).collect(), 8)
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(picked, [0, 3, 6, 9, 12, 15, 18, 21]);
        let few: Vec<usize> = spread((0..5).collect(), 8)
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(few, [0, 1, 2, 3, 4]);
        assert_eq!(spread(vec!['a', 'b'], 1), [(0, 'a')]);
    }
}
