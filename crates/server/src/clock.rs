//! The only place that reads the wall clock. Business time is real time plus an offset that
//! only a server started with `--test-clock` lets an admin move (SPEC §6).
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    test_clock: bool,
    offset_micros: AtomicI64,
}

impl Clock {
    pub fn system() -> Self {
        Self::new(false)
    }

    /// A clock that [`Clock::advance`] may move.
    pub fn test() -> Self {
        Self::new(true)
    }

    /// A test clock that starts `offset` from real time, which may be in the past (the demo
    /// replays its history on one); it only moves forward from there.
    pub fn test_at(offset: SignedDuration) -> Self {
        let clock = Self::new(true);
        clock
            .inner
            .offset_micros
            .store(offset.as_micros() as i64, Ordering::SeqCst);
        clock
    }

    fn new(test_clock: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                test_clock,
                offset_micros: AtomicI64::new(0),
            }),
        }
    }

    pub fn is_test_clock(&self) -> bool {
        self.inner.test_clock
    }

    /// Business time, truncated to microseconds (the precision the store keeps).
    pub fn now(&self) -> Timestamp {
        let offset = SignedDuration::from_micros(self.inner.offset_micros.load(Ordering::SeqCst));
        let t = Timestamp::now()
            .saturating_add(offset)
            .unwrap_or(Timestamp::MAX);
        let micros = t.as_microsecond();
        Timestamp::from_microsecond(micros).unwrap_or(t)
    }

    /// Real time, never offset: delivery leases run on it (SPEC §9).
    pub fn real_now(&self) -> Timestamp {
        Timestamp::now()
    }

    /// Sets the offset (as loaded from the store). Ignored unless this is a test clock.
    /// The test clock only moves forward, so a smaller offset is a stale read (the scheduler
    /// loaded it just before an advance) and is ignored: business time never runs backwards.
    pub fn set_offset(&self, offset: SignedDuration) {
        if self.inner.test_clock {
            self.inner
                .offset_micros
                .fetch_max(offset.as_micros() as i64, Ordering::SeqCst);
        }
    }

    pub fn offset(&self) -> SignedDuration {
        SignedDuration::from_micros(self.inner.offset_micros.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_test_clock_moves() {
        let real = Clock::system();
        real.set_offset(SignedDuration::from_hours(24));
        assert!(real.now() < Timestamp::now() + SignedDuration::from_hours(1));
        let test = Clock::test();
        test.set_offset(SignedDuration::from_hours(24));
        assert!(test.now() > Timestamp::now() + SignedDuration::from_hours(23));
        assert_eq!(
            test.now().subsec_nanosecond() % 1000,
            0,
            "microsecond precision"
        );
        // A stale, smaller offset does not move business time back.
        test.set_offset(SignedDuration::from_hours(1));
        assert!(test.now() > Timestamp::now() + SignedDuration::from_hours(23));
    }

    #[test]
    fn a_test_clock_may_start_in_the_past_and_move_forward() {
        let past = Clock::test_at(SignedDuration::from_hours(-48));
        assert!(past.now() < Timestamp::now() - SignedDuration::from_hours(47));
        past.set_offset(SignedDuration::from_hours(-24));
        assert!(past.now() < Timestamp::now() - SignedDuration::from_hours(23));
        assert!(past.now() > Timestamp::now() - SignedDuration::from_hours(25));
    }
}
