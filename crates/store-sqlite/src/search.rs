//! The search index (migration 0012): each line's [`SearchText`] in the FTS5 trigram table
//! `line_search` (rowid = `lines.seq`), written with the line and again when its contact
//! changes, and the pattern a [`Search`] is looked up with. What matches is the domain's rule
//! (`provisio_domain::search`); the index only finds it fast.

use provisio_domain::search::{Search, SearchText};
use provisio_store::StoreResult;
use rusqlite::{OptionalExtension, params};

use crate::db;
use crate::writer::{Tx, Writer};

/// Lines indexed per transaction when the store indexes those stored before the index was.
const BACKFILL_BATCH: i64 = 10_000;

/// The GLOB pattern that finds `search` anywhere in a text: its wildcards taken literally.
/// The trigram index looks up the longest runs of plain characters of a pattern; a term of
/// fewer than three characters is checked line by line, newest first.
pub(crate) fn glob(search: &Search) -> String {
    let mut pattern = String::with_capacity(search.folded().len() + 2);
    pattern.push('*');
    for c in search.folded().chars() {
        match c {
            '*' => pattern.push_str("[*]"),
            '?' => pattern.push_str("[?]"),
            '[' => pattern.push_str("[[]"),
            c => pattern.push(c),
        }
    }
    pattern.push('*');
    pattern
}

/// Writes the text of the line stored as `seq`.
pub(crate) fn index_line(tx: &Tx, seq: i64, text: &SearchText) -> StoreResult<()> {
    tx.prepare_cached("INSERT INTO line_search (rowid, search) VALUES (?, ?)")
        .and_then(|mut q| q.execute(params![seq, text.as_str()]))
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
            for (seq, text) in &batch {
                index_line(tx, *seq, text)?;
            }
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
    use super::*;

    #[test]
    fn a_patterns_wildcards_are_taken_literally() {
        let glob = |q| glob(&Search::parse(q).unwrap());
        assert_eq!(glob("Kund"), "*kund*");
        assert_eq!(glob("a*b?c[d]"), "*a[*]b[?]c[[]d]*");
    }
}
