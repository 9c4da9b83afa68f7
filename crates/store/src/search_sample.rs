//! A sample of the stored search texts with their trigrams counted: how rare each of a term's
//! trigrams is, and how common the term, estimated without asking the index. Both backends
//! keep one per instance (a [`SampleCell`]) and ask their trigram index only for a term's
//! rarest trigrams: an index's list of a trigram in every line (`sub` of every reference) is
//! what made a search grow with the table. An estimate only chooses how the index is read;
//! every line found is checked for the whole term (`provisio_domain::search`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use provisio_domain::search::Search;
use rustc_hash::FxHashMap;

/// Texts read for a sample: lines picked at random by their number (lines are stored an
/// order at a time, so a sample of whole pages would see few orders); all of them when there
/// are no more.
pub const SAMPLED: i64 = 8192;

/// A sample older than this is taken again (in the background: searches go on with the old
/// one meanwhile).
const FRESH_FOR: Duration = Duration::from_secs(60);

/// A sample of the stored texts, with their trigrams counted.
#[derive(Debug, Default)]
pub struct SearchSample {
    /// The texts, each after a line break (no term holds one, so none is found across two).
    joined: String,
    /// Occurrences of each run of three characters (a fast hash: a sample counts some
    /// 450,000 of them: 10.5 → 4.6 ms for 8,192 texts, release build).
    counts: FxHashMap<String, u32>,
    /// Texts read.
    texts: u32,
}

impl SearchSample {
    /// A sample of `texts`.
    pub fn of(texts: &[String]) -> Self {
        let mut counts: FxHashMap<String, u32> = FxHashMap::default();
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

    /// Whether no text was read (an empty table): nothing to estimate by.
    pub fn is_empty(&self) -> bool {
        self.texts == 0
    }

    /// The share of the lines estimated to hold `trigram`.
    pub fn share(&self, trigram: &str) -> f64 {
        f64::from(self.counts.get(trigram).copied().unwrap_or(0)) / f64::from(self.texts.max(1))
    }

    /// The share of the lines estimated to hold `term` (its occurrences in the sampled texts).
    pub fn holding(&self, term: &str) -> f64 {
        let found = memchr::memmem::find_iter(self.joined.as_bytes(), term.as_bytes()).count();
        found as f64 / f64::from(self.texts.max(1))
    }

    /// The trigrams of `search` that `asked` admits, rarest first (of equally rare ones the
    /// later in the term, where numbers vary most), with their shares.
    pub fn rarest<'s>(
        &self,
        search: &'s Search,
        asked: impl Fn(&str) -> bool,
    ) -> Vec<(f64, &'s str)> {
        let mut found: Vec<(f64, std::cmp::Reverse<usize>, &str)> = search
            .trigrams()
            .into_iter()
            .enumerate()
            .filter(|(_, t)| asked(t))
            .map(|(i, t)| (self.share(t), std::cmp::Reverse(i), t))
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        found.into_iter().map(|(share, _, t)| (share, t)).collect()
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

/// An instance's current sample and its age, and whether a new one is being taken.
#[derive(Debug, Default)]
pub struct SampleCell {
    current: RwLock<Option<(Instant, Arc<SearchSample>)>>,
    taking: AtomicBool,
}

impl SampleCell {
    /// The current sample, and whether it is old enough to be taken again.
    pub fn current(&self) -> Option<(Arc<SearchSample>, bool)> {
        let current = match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        current.map(|(taken, sample)| (sample, taken.elapsed() > FRESH_FOR))
    }

    /// Keeps `sample` as the current one, taken now.
    pub fn keep(&self, sample: Arc<SearchSample>) {
        #[allow(clippy::disallowed_methods)] // a sample's age is real time, never business time
        let fresh = Some((Instant::now(), sample));
        match self.current.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// Claims the taking of a new sample: false when one is being taken already. The claimer
    /// calls [`SampleCell::taken`] when done, whatever the outcome.
    pub fn start_taking(&self) -> bool {
        !self.taking.swap(true, Ordering::AcqRel)
    }

    /// The taking claimed with [`SampleCell::start_taking`] is over.
    pub fn taken(&self) {
        self.taking.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SearchSample {
        let texts: Vec<String> = (0..1000)
            .map(|i| {
                format!(
                    "sub{:07}\nc{i}@b{}.customer.example\nb{}\nkund ab",
                    1_010_000 + i,
                    i / 10,
                    i / 10
                )
            })
            .collect();
        SearchSample::of(&texts)
    }

    #[test]
    fn shares_of_trigrams_and_terms() {
        let s = sample();
        assert_eq!(s.share("sub"), 1.0);
        assert_eq!(s.share("zzz"), 0.0);
        assert_eq!(s.holding("kund ab"), 1.0);
        assert_eq!(s.holding("sub1010037"), 0.001);
        assert_eq!(s.holding("nobody"), 0.0);
        assert!(!s.is_empty());
        assert!(SearchSample::of(&[]).is_empty());
    }

    #[test]
    fn the_rarest_trigrams_first_the_later_of_equals() {
        let s = sample();
        let search = Search::parse("Sub1010037").unwrap();
        let rarest = s.rarest(&search, |_| true);
        let first: Vec<&str> = rarest.iter().take(3).map(|r| r.1).collect();
        assert!(
            !first.contains(&"sub") && !first.contains(&"ub1"),
            "{rarest:?}"
        );
        assert!(rarest[0].0 < 0.05, "{rarest:?}");
        // Only what the index is asked for.
        assert!(
            s.rarest(&search, |t| t != "037")
                .iter()
                .all(|r| r.1 != "037")
        );
        let equal = Search::parse("zzzyyy").unwrap();
        assert_eq!(s.rarest(&equal, |_| true)[0].1, "yyy");
    }

    #[test]
    fn runs_are_of_characters_not_bytes() {
        assert_eq!(runs("åäöx").collect::<Vec<_>>(), ["åäö", "äöx"]);
        assert_eq!(runs("ab").count(), 0);
    }
}
