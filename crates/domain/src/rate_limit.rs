//! R10: at most N resends per line per rolling hour, and the double-click rule.

use jiff::{SignedDuration, Timestamp};

use crate::refusal::Refusal;

/// The rolling window of the resend limit.
pub const WINDOW: SignedDuration = SignedDuration::from_hours(1);
/// A second resend of the same line by the same user within this window returns the first.
pub const DOUBLE_CLICK: SignedDuration = SignedDuration::from_secs(5);
/// Default resends per line per rolling hour.
pub const DEFAULT_PER_HOUR: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendLimit {
    pub per_hour: u32,
}

impl Default for ResendLimit {
    fn default() -> Self {
        Self {
            per_hour: DEFAULT_PER_HOUR,
        }
    }
}

/// How much of the limit a line has used: "2 of 5 this hour", and when it is used up, the
/// instant the next resend is possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendBudget {
    pub used: u32,
    pub limit: u32,
    pub next_at: Option<Timestamp>,
}

impl ResendLimit {
    /// `recent` are the line's earlier resends (any order). Every resend stored since the
    /// window began counts, also one stamped a moment *after* `now`: simultaneous requests
    /// (on one instance or several, whose clocks differ) read the clock before they take their
    /// turn on the line, so one that went first may carry a later time than this one.
    pub fn budget(&self, recent: &[Timestamp], now: Timestamp) -> ResendBudget {
        let since = now - WINDOW;
        let mut in_window: Vec<Timestamp> =
            recent.iter().copied().filter(|t| *t > since).collect();
        let used = u32::try_from(in_window.len()).unwrap_or(u32::MAX);
        let next_at = (used >= self.per_hour).then(|| {
            in_window.sort();
            // Allowed again once enough old resends have left the window.
            in_window[in_window.len() - self.per_hour as usize] + WINDOW
        });
        ResendBudget {
            used,
            limit: self.per_hour,
            next_at,
        }
    }

    /// Refuses with the seconds until the oldest resend in the window leaves it.
    pub fn check(&self, recent: &[Timestamp], now: Timestamp) -> Result<(), Refusal> {
        let Some(next_at) = self.budget(recent, now).next_at else {
            return Ok(());
        };
        let wait = next_at.duration_since(now);
        let secs = wait.as_secs() + i64::from(wait.subsec_nanos() > 0);
        Err(Refusal::RateLimited {
            limit: self.per_hour,
            retry_after_secs: u64::try_from(secs.max(1)).unwrap_or(1),
        })
    }
}

/// Whether a resend by the same user of the same line at `previous` makes this one a double
/// click (returns the first result, sends nothing). Simultaneous clicks read the clock before
/// they take their turn in the store, so the one that went first may carry a time a moment
/// *later* than this one's `now`: that is a double click too.
pub fn is_double_click(previous: Option<Timestamp>, now: Timestamp) -> bool {
    previous.is_some_and(|p| now.duration_since(p).abs() < DOUBLE_CLICK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn five_per_rolling_hour_then_retry_after() {
        let limit = ResendLimit::default();
        let now = t("2026-01-01T12:00:00Z");
        let four: Vec<_> = (0..4)
            .map(|i| now - SignedDuration::from_mins(50 - i))
            .collect();
        assert!(limit.check(&four, now).is_ok());
        let mut five = four.clone();
        five.push(now - SignedDuration::from_mins(1));
        match limit.check(&five, now) {
            // The oldest (50 min ago) leaves the window in 10 minutes.
            Err(Refusal::RateLimited {
                retry_after_secs,
                limit,
            }) => {
                assert_eq!((retry_after_secs, limit), (600, 5));
            }
            other => panic!("{other:?}"),
        }
    }

    /// Five requests that read the clock a moment after this one's took their turn first: they
    /// are stored, so they count (found on PostgreSQL with twenty simultaneous resends).
    #[test]
    fn resends_stamped_a_moment_after_now_count() {
        let now = t("2026-01-01T12:00:00Z");
        let later: Vec<_> = (1..=5)
            .map(|i| now + SignedDuration::from_millis(i))
            .collect();
        let budget = ResendLimit::default().budget(&later, now);
        assert_eq!(budget.used, 5);
        assert!(ResendLimit::default().check(&later, now).is_err());
    }

    #[test]
    fn resends_older_than_an_hour_do_not_count() {
        let now = t("2026-01-01T12:00:00Z");
        let old: Vec<_> = (0..10)
            .map(|i| now - SignedDuration::from_mins(60 + i))
            .collect();
        assert!(ResendLimit::default().check(&old, now).is_ok());
    }

    #[test]
    fn double_click_is_within_five_seconds() {
        let now = t("2026-01-01T12:00:00Z");
        assert!(is_double_click(
            Some(now - SignedDuration::from_secs(4)),
            now
        ));
        assert!(!is_double_click(
            Some(now - SignedDuration::from_secs(5)),
            now
        ));
        assert!(!is_double_click(None, now));
        // The click that took its turn first read the clock a moment after this one.
        assert!(is_double_click(
            Some(now + SignedDuration::from_millis(3)),
            now
        ));
    }

    proptest! {
        #[test]
        fn never_more_than_the_limit_inside_any_hour(offsets in proptest::collection::vec(0i64..7200, 0..40), per_hour in 1u32..8) {
            // Replaying requests in time order and keeping only the allowed ones never puts more
            // than `per_hour` resends into one rolling hour, and a refusal's retry-after is honest.
            let limit = ResendLimit { per_hour };
            let start = t("2026-01-01T00:00:00Z");
            let mut times: Vec<_> = offsets.iter().map(|s| start + SignedDuration::from_secs(*s)).collect();
            times.sort();
            let mut allowed: Vec<Timestamp> = vec![];
            for now in times {
                match limit.check(&allowed, now) {
                    Ok(()) => allowed.push(now),
                    Err(Refusal::RateLimited { retry_after_secs, .. }) => {
                        let later = now + SignedDuration::from_secs(retry_after_secs as i64);
                        prop_assert!(limit.check(&allowed, later).is_ok());
                    }
                    Err(other) => prop_assert!(false, "{other:?}"),
                }
                let in_hour = allowed.iter().filter(|a| **a > now - WINDOW).count();
                prop_assert!(in_hour <= per_hour as usize);
            }
        }
    }
}
