//! How a search asks the trigram index, chosen by the instance's sample of the stored search
//! texts (`provisio_store::search_sample`).
//!
//! `pg_trgm` answers `LIKE '%term%'` by reading the index's list of lines for every trigram
//! of the term, the common ones included: a whole reference at 10,000,000 lines read the
//! lists of `sub` and `ub1` (every line) and took ~70 ms in the index alone, where its three
//! rarest trigrams take ~3 ms. PostgreSQL keeps no count of a trigram's lines and a GIN
//! index cannot stop early to count them, so the index is asked only for the term's rarest
//! trigrams by the sample, every candidate checked for the whole term. The sample also says
//! whether the term is in few lines (the list is read from those, found first) or in many
//! (the list is read newest first, each line checked, and a page stops the reading: the
//! planner's own choice, as before). An estimate only chooses the reading: what matches is the
//! domain's rule, checked on every line either way.

use std::sync::Arc;

use provisio_domain::search::Search;
use provisio_store::StoreResult;
use provisio_store::search_sample::{SAMPLED, SampleCell, SearchSample};
use sqlx::PgPool;

use crate::db;

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
    let Some(sample) = sample.filter(|s| !s.is_empty()) else {
        return many();
    };
    if !search.indexed() || sample.holding(search.folded()) > FEW_SHARE {
        return many();
    }
    // Plain trigrams only (letters and digits of ASCII): `pg_trgm` takes such a run inside
    // `%…%` as just that trigram; punctuation splits words, and other letters depend on the
    // database's locale.
    let plain = sample.rarest(search, |t| {
        t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let patterns: Vec<String> = match plain.first() {
        Some((share, _)) if *share <= COMMON_SHARE => plain
            .iter()
            .take(3)
            .map(|(_, t)| format!("%{t}%"))
            .collect(),
        _ => vec![crate::search::like(search)],
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
    cell: SampleCell,
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
        let sample = match self.cell.current() {
            Some((sample, old)) => {
                if old {
                    self.refresh(pool);
                }
                sample
            }
            None => {
                let _first = self.first.lock().await;
                match self.cell.current() {
                    Some((sample, _)) => sample,
                    None => {
                        let sample = Arc::new(take(pool).await?);
                        self.cell.keep(Arc::clone(&sample));
                        sample
                    }
                }
            }
        };
        Ok(lookup(search, Some(&sample)))
    }

    /// Takes a sample in the background, unless one is being taken.
    pub(crate) fn refresh(self: &Arc<Self>, pool: &PgPool) {
        if !self.cell.start_taking() {
            return;
        }
        let (me, pool) = (Arc::clone(self), pool.clone());
        tokio::spawn(async move {
            match take(&pool).await {
                Ok(sample) => me.cell.keep(Arc::new(sample)),
                Err(e) => tracing::warn!("search sample: {e}"),
            }
            me.cell.taken();
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
}

#[cfg(test)]
#[path = "search_sample_tests.rs"]
mod db_tests;
