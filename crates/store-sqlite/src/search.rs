//! The search index (migration 0012): each line's [`SearchText`] in the FTS5 trigram table
//! `line_search` (rowid = `lines.seq`), written with the line and again when its contact
//! changes, and how a [`Search`] is looked up in it. What matches is the domain's rule
//! (`provisio_domain::search`); the index only finds it fast.

use std::sync::Arc;

use provisio_domain::search::{Search, SearchText};
use provisio_store::search_sample::{SAMPLED, SampleCell, SearchSample};
use provisio_store::{StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db;
use crate::reader::Readers;
use crate::writer::{Tx, Writer};

/// Lines indexed per transaction when the store indexes those stored before the index was.
const BACKFILL_BATCH: i64 = 10_000;

/// Trigrams a lookup asks the index for: the rarest of the term's. Each narrows the lines to
/// check; one found in nearly every line (`sub` of every reference) costs reading its long
/// list, so it is left to the check of the text.
const LOOKED_UP: usize = 3;

/// How the index finds a term's lines: `Matched` through an FTS5 query of its rarest
/// trigrams (bound on `s.line_search MATCH`), each candidate then checked for the whole term
/// (`instr`, with [`Lookup::term`]); `Scanned`, a term too short for trigrams, by the check
/// alone, newest first; `Nothing` when the index holds the term's rarest trigram in no line.
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
            Lookup::Scanned { .. } | Lookup::Nothing => None,
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

/// How to find `search`'s lines: the index asked for the term's rarest trigrams by the
/// store's sample of the texts (`provisio_store::search_sample`). They were counted in the
/// index itself before, up to 4,096 lines each for eight of them: ~0.4 ms a count at
/// 1,000,000 lines, ~3 ms of each search, and no ranking among trigrams in more lines than that.
/// When the sample holds the rarest in no text, the index is asked whether any line does (one
/// probe): a term nothing holds is answered without reading a list.
pub(crate) fn lookup(
    conn: &Connection,
    search: &Search,
    sample: &SearchSample,
) -> StoreResult<Lookup> {
    let term = search.folded().to_owned();
    if !search.indexed() {
        return Ok(Lookup::Scanned { term });
    }
    let rarest = sample.rarest(search, |_| true);
    let quoted: Vec<String> = rarest
        .iter()
        .take(LOOKED_UP)
        .map(|(_, trigram)| format!("\"{}\"", trigram.replace('"', "\"\"")))
        .collect();
    if let (Some((share, _)), Some(first)) = (rarest.first(), quoted.first())
        && *share == 0.0
    {
        let held = conn
            .prepare_cached("SELECT 1 FROM line_search WHERE line_search MATCH ? LIMIT 1")
            .and_then(|mut q| q.exists([first]))
            .map_err(db)?;
        if !held {
            return Ok(Lookup::Nothing);
        }
    }
    Ok(Lookup::Matched {
        query: quoted.join(" AND "),
        term,
    })
}

/// [`lookup`] of a list's term, if it has one (`sample`: the store's, there with a term).
pub(crate) fn lookup_of(
    conn: &Connection,
    q: Option<&Search>,
    sample: Option<&SearchSample>,
) -> StoreResult<Option<Lookup>> {
    match (q, sample) {
        (Some(q), Some(sample)) => lookup(conn, q, sample).map(Some),
        (Some(q), None) => lookup(conn, q, &SearchSample::default()).map(Some),
        (None, _) => Ok(None),
    }
}

/// Reads a sample of the search texts: every one while there are at most [`SAMPLED`] lines,
/// else that many lines picked at random by number (gaps only make the sample smaller).
pub(crate) fn take_sample(conn: &Connection) -> StoreResult<SearchSample> {
    let last: i64 = conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM lines")
        .and_then(|mut q| q.query_row([], |r| r.get(0)))
        .map_err(db)?;
    let texts: Vec<String> = if last <= SAMPLED {
        let mut q = conn
            .prepare_cached("SELECT search FROM line_search")
            .map_err(db)?;
        q.query_map([], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(db)?
    } else {
        let mut q = conn
            .prepare_cached(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
                 SELECT search FROM line_search
                 WHERE rowid IN (SELECT abs(random() % ?1) + 1 FROM n)",
            )
            .map_err(db)?;
        q.query_map(params![last, SAMPLED], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(db)?
    };
    Ok(SearchSample::of(&texts))
}

/// The store's sample of the search texts, taken on its readers: the first search takes one
/// (a few milliseconds at 1,000,000 lines; `serve` starts taking it as it starts), an old one
/// is taken again in the background while searches go on with it.
pub(crate) struct Sampler {
    cell: Arc<SampleCell>,
    readers: Arc<Readers>,
    /// Held while a search that found no sample takes one: those arriving meanwhile wait for
    /// it instead of each taking their own.
    first: std::sync::Mutex<()>,
}

impl Sampler {
    pub(crate) fn new(readers: Arc<Readers>) -> Self {
        Self {
            cell: Arc::default(),
            readers,
            first: std::sync::Mutex::default(),
        }
    }

    /// The current sample, taken first when there is none.
    pub(crate) fn sample(&self) -> StoreResult<Arc<SearchSample>> {
        match self.cell.current() {
            Some((sample, old)) => {
                if old {
                    self.refresh();
                }
                Ok(sample)
            }
            None => self.readers.scan(|conn| {
                let _first = self
                    .first
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some((sample, _)) = self.cell.current() {
                    return Ok(sample);
                }
                let sample = Arc::new(take_sample(conn)?);
                self.cell.keep(Arc::clone(&sample));
                Ok(sample)
            }),
        }
    }

    /// Takes a sample on a thread of its own, unless one is being taken.
    pub(crate) fn refresh(&self) {
        if !self.cell.start_taking() {
            return;
        }
        let (cell, readers) = (Arc::clone(&self.cell), Arc::clone(&self.readers));
        std::thread::spawn(move || {
            match readers.read(take_sample) {
                Ok(sample) => cell.keep(Arc::new(sample)),
                Err(e) => tracing::warn!("search sample: {e}"),
            }
            cell.taken();
        });
    }
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
