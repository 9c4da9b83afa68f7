//! How a search asks the trigram index, chosen from a sample of the stored search texts.
//!
//! `pg_trgm` answers `LIKE '%term%'` by reading the index's list of lines for every trigram
//! of the term, the common ones included: a whole reference at 10,000,000 lines read the
//! lists of `sub` and `ub1` (every line) and took ~70 ms in the index alone, where its three
//! rarest trigrams take ~3 ms. PostgreSQL keeps no count of a trigram's lines and a GIN
//! index cannot stop early to count them (SQLite's FTS5 can: see its `search.rs`), so each
//! instance keeps a sample of the texts, counts their trigrams, and asks the index only for
//! the term's rarest ones, every candidate checked for the whole term. The sample also says
//! whether the term is in few lines (the list is read from those, found first) or in many
//! (the list is read newest first, each line checked, and a page stops the reading: the
//! planner's own choice, as before). An estimate only chooses the reading: what matches is the
//! domain's rule, checked on every line either way.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use provisio_domain::search::Search;
use provisio_store::StoreResult;
use sqlx::PgPool;

use crate::db;

/// Texts read for a sample: lines picked at random by their `seq` (lines are stored an
/// order at a time, so a sample of whole pages would see few orders). At 10,000,000 lines one
/// sampled text stands for ~1,200 lines.
const SAMPLED: i64 = 8192;

/// A sample older than this is taken again (in the background; searches go on with the old
/// one meanwhile).
const FRESH_FOR: Duration = Duration::from_secs(60);

/// A term estimated in no more than this share of the lines is read from the lines the index
/// finds; a commoner one newest first. Reading what the index finds costs what it finds (the
/// share times the lines), reading newest first what it takes to fill a page (50 lines over
/// the share): they meet at ~0.2 % at 10,000,000 lines, ~0.7 % at 1,000,000. A share, not a
/// number of lines, so that a sample taken before the table grew still tells a common term.
const FEW_SHARE: f64 = 0.002;

/// A trigram in more than this share of the lines narrows too little to be worth its list:
/// when even the term's rarest plain trigram is this common, the index is asked for the
/// whole term (whose trigrams at word boundaries, which `pg_trgm` pads, may be rare).
const COMMON_SHARE: f64 = 0.1;

/// A sample of the stored texts, with their trigrams counted.
#[derive(Debug, Default)]
pub(crate) struct SearchSample {
    /// The texts, each after a line break (no term holds one, so none is found across two).
    joined: String,
    counts: HashMap<String, u32>,
    /// Texts read.
    texts: u32,
}

impl SearchSample {
    /// A sample of `texts`.
    fn of(texts: &[String]) -> Self {
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut joined = String::with_capacity(texts.iter().map(|t| t.len() + 1).sum());
        for text in texts {
            joined.push('\n');
            joined.push_str(text);
            for run in runs(text) {
                match counts.get_mut(run) {
                    Some(n) => *n += 1,
                    None => {
                        counts.insert(run.to_owned(), 1);
                    }
                }
            }
        }
        Self {
            joined,
            counts,
            texts: u32::try_from(texts.len()).unwrap_or(u32::MAX),
        }
    }

    /// The share of the lines estimated to hold `trigram`.
    fn share(&self, trigram: &str) -> f64 {
        f64::from(self.counts.get(trigram).copied().unwrap_or(0)) / f64::from(self.texts)
    }

    /// The share of the lines estimated to hold `term` (its occurrences in the sampled texts).
    fn holding(&self, term: &str) -> f64 {
        let found = memchr::memmem::find_iter(self.joined.as_bytes(), term.as_bytes()).count();
        found as f64 / f64::from(self.texts)
    }
}

/// Every run of three characters of `text` (a term's trigrams are among them).
fn runs(text: &str) -> impl Iterator<Item = &str> {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    (0..starts.len().saturating_sub(2)).map(move |k| {
        let end = starts.get(k + 3).copied().unwrap_or(text.len());
        &text[starts[k]..end]
    })
}

/// How a list reads the lines that hold a term.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lookup {
    /// Newest first, each line's text matched with this `LIKE` pattern (the planner may ask
    /// the index for it when it expects few lines).
    Many { pattern: String },
    /// From the lines the index finds for `patterns` (all three asked together; the same
    /// pattern may be repeated), each checked to hold `term`.
    Few { patterns: [String; 3], term: String },
}

/// Which statement a [`Lookup`] is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    Many,
    Few,
}

impl Lookup {
    pub(crate) fn reading(&self) -> Reading {
        match self {
            Lookup::Many { .. } => Reading::Many,
            Lookup::Few { .. } => Reading::Few,
        }
    }

    /// The values a list's statement binds for its search: the first pattern, the second and
    /// third (only [`Lookup::Few`]'s) and the term every line found is checked for (the
    /// same); all `None` without a search.
    pub(crate) fn binds(
        lookup: Option<&Lookup>,
    ) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
        match lookup {
            None => (None, None, None, None),
            Some(Lookup::Many { pattern }) => (Some(pattern), None, None, None),
            Some(Lookup::Few { patterns, term }) => (
                Some(&patterns[0]),
                Some(&patterns[1]),
                Some(&patterns[2]),
                Some(term),
            ),
        }
    }
}

/// The reading for `search`, by the sample (without one: [`Lookup::Many`], the planner's
/// choice).
pub(crate) fn lookup(search: &Search, sample: Option<&SearchSample>) -> Lookup {
    let many = || Lookup::Many {
        pattern: crate::search::like(search),
    };
    let Some(sample) = sample.filter(|s| s.texts > 0) else {
        return many();
    };
    if !search.indexed() || sample.holding(search.folded()) > FEW_SHARE {
        return many();
    }
    let trigrams = search.trigrams();
    // Plain trigrams only (letters and digits of ASCII): `pg_trgm` takes such a run inside
    // `%…%` as just that trigram; punctuation splits words, and other letters depend on the
    // database's locale.
    let mut plain: Vec<(f64, std::cmp::Reverse<usize>, &str)> = trigrams
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        .map(|(i, t)| (sample.share(t), std::cmp::Reverse(i), *t))
        .collect();
    // Rarest first; of equally rare ones the later in the term (where numbers vary most).
    plain.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let whole = crate::search::like(search);
    let patterns: Vec<String> = match plain.first() {
        Some((share, _, _)) if *share <= COMMON_SHARE => plain
            .iter()
            .take(3)
            .map(|(_, _, t)| format!("%{t}%"))
            .collect(),
        _ => vec![whole],
    };
    let pick = |i: usize| patterns.get(i).unwrap_or(&patterns[0]).clone();
    Lookup::Few {
        patterns: [pick(0), pick(1), pick(2)],
        term: search.folded().to_owned(),
    }
}

/// Each instance's sample, taken again in the background when it is old.
#[derive(Debug, Default)]
pub(crate) struct Sampler {
    current: RwLock<Option<(Instant, Arc<SearchSample>)>>,
    taking: AtomicBool,
    /// Held while a search that found no sample takes one: the searches arriving meanwhile
    /// wait for it instead of each taking their own.
    first: tokio::sync::Mutex<()>,
}

impl Sampler {
    /// The reading for `search` by the current sample. `serve` starts taking one as it starts
    /// ([`provisio_store::Maintenance::warm_up`]); a search that finds none yet takes one
    /// first (a few milliseconds; ~0.1–0.5 s at 10,000,000 lines, depending on the cache: no
    /// more than such a search cost without it), and the searches arriving meanwhile wait for
    /// it. An old sample is taken again in the background while searches go on with it.
    pub(crate) async fn lookup(
        self: &Arc<Self>,
        pool: &PgPool,
        search: &Search,
    ) -> StoreResult<Lookup> {
        let sample = match self.current() {
            Some((taken, sample)) => {
                if taken.elapsed() > FRESH_FOR {
                    self.refresh(pool);
                }
                sample
            }
            None => {
                let _first = self.first.lock().await;
                match self.current() {
                    Some((_, sample)) => sample,
                    None => {
                        let sample = Arc::new(take(pool).await?);
                        self.keep(Arc::clone(&sample));
                        sample
                    }
                }
            }
        };
        Ok(lookup(search, Some(&sample)))
    }

    fn current(&self) -> Option<(Instant, Arc<SearchSample>)> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn keep(&self, sample: Arc<SearchSample>) {
        #[allow(clippy::disallowed_methods)] // a sample's age is real time, never business time
        let fresh = Some((Instant::now(), sample));
        match self.current.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// Takes a sample in the background, unless one is being taken.
    pub(crate) fn refresh(self: &Arc<Self>, pool: &PgPool) {
        if self.taking.swap(true, Ordering::AcqRel) {
            return;
        }
        let (me, pool) = (Arc::clone(self), pool.clone());
        tokio::spawn(async move {
            match take(&pool).await {
                Ok(sample) => me.keep(Arc::new(sample)),
                Err(e) => tracing::warn!("search sample: {e}"),
            }
            me.taking.store(false, Ordering::Release);
        });
    }
}

/// Reads a sample: every text while there are at most [`SAMPLED`] lines, else that many
/// lines picked at random by `seq` (gaps in the numbering only make the sample smaller).
async fn take(pool: &PgPool) -> StoreResult<SearchSample> {
    let last: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM line_search")
        .fetch_one(pool)
        .await
        .map_err(db)?;
    let last = last.unwrap_or(0);
    if last <= SAMPLED {
        let texts: Vec<String> = sqlx::query_scalar("SELECT search FROM line_search")
            .fetch_all(pool)
            .await
            .map_err(db)?;
        return Ok(SearchSample::of(&texts));
    }
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT ls.search FROM line_search ls WHERE ls.seq = ANY(ARRAY(
             SELECT (random() * ($1 - 1))::bigint + 1 FROM generate_series(1, $2)))",
    )
    .bind(last as f64)
    .bind(SAMPLED)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(SearchSample::of(&texts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(n: usize, f: impl Fn(usize) -> String) -> Vec<String> {
        (0..n).map(f).collect()
    }

    fn line(i: usize) -> String {
        format!(
            "sub{:07}\nc{i}@b{}.customer.example\nb{}\nkund ab",
            1_010_000 + i,
            i / 10,
            i / 10
        )
    }

    fn search(q: &str) -> Search {
        Search::parse(q).expect("a term")
    }

    #[test]
    fn without_a_sample_the_planner_chooses() {
        assert_eq!(
            lookup(&search("Sub1010037"), None),
            Lookup::Many {
                pattern: "%sub1010037%".into()
            }
        );
    }

    #[test]
    fn a_rare_term_is_looked_up_by_its_rarest_plain_trigrams() {
        let sample = SearchSample::of(&texts(8192, line));
        let Lookup::Few { patterns, term } = lookup(&search("Sub1010037"), Some(&sample)) else {
            panic!("a reference is in few lines");
        };
        assert_eq!(term, "sub1010037");
        // Never the trigrams every reference has.
        for common in ["%sub%", "%ub1%", "%b10%"] {
            assert!(!patterns.contains(&common.to_owned()), "{patterns:?}");
        }
        assert!(patterns.iter().all(|p| p.len() == 5), "{patterns:?}");
    }

    #[test]
    fn a_term_without_a_rare_plain_trigram_asks_for_itself() {
        let sample = SearchSample::of(&texts(8192, line));
        // "b1." is rare; its plain trigrams ("cus", "ust") are in every line.
        assert_eq!(
            lookup(&search("@b1.cust"), Some(&sample)),
            Lookup::Few {
                patterns: [
                    "%@b1.cust%".into(),
                    "%@b1.cust%".into(),
                    "%@b1.cust%".into()
                ],
                term: "@b1.cust".into()
            }
        );
    }

    #[test]
    fn a_common_term_is_read_newest_first() {
        let sample = SearchSample::of(&texts(8192, line));
        assert_eq!(
            lookup(&search("Kund"), Some(&sample)),
            Lookup::Many {
                pattern: "%kund%".into()
            }
        );
        // Short terms have no trigram to estimate by.
        assert!(matches!(
            lookup(&search("b1"), Some(&sample)),
            Lookup::Many { .. }
        ));
    }

    #[test]
    fn a_term_in_no_sampled_text_is_few() {
        let sample = SearchSample::of(&texts(100, line));
        assert!(matches!(
            lookup(&search("nobody@nowhere"), Some(&sample)),
            Lookup::Few { .. }
        ));
    }

    #[test]
    fn runs_are_of_characters_not_bytes() {
        assert_eq!(runs("åäöx").collect::<Vec<_>>(), ["åäö", "äöx"]);
        assert_eq!(runs("ab").count(), 0);
    }
}

#[cfg(test)]
#[path = "search_sample_tests.rs"]
mod db_tests;
