//! The test clock (SPEC §6, §9): real time plus an offset stored in the database, readable and
//! movable by admins only when the server was started with `--test-clock`.

use jiff::{SignedDuration, Timestamp};

use provisio_store::Wake;

use super::{App, Caller};
use crate::error::{AppError, AppResult};

/// The furthest one request may move the clock (ten years).
const MAX_ADVANCE_SECS: i64 = 10 * 366 * 24 * 3600;

/// The latest business time the service keeps: the last microsecond of the time type
/// (9999-12-30T22:00:00.999999Z; later instants cannot be written or compared).
fn latest() -> Timestamp {
    let max = Timestamp::MAX;
    // The type's own last second with fewer nanoseconds is within its range.
    Timestamp::new(max.as_second(), 999_999_000).unwrap_or(max)
}

impl App {
    pub async fn clock_now(&self, caller: &Caller) -> AppResult<Timestamp> {
        caller.ensure_admin()?;
        Ok(self.clock.now())
    }

    /// Moves business time forward and wakes the scheduler, so work that became due is done
    /// within a couple of seconds.
    pub async fn advance_clock(&self, caller: &Caller, seconds: f64) -> AppResult<Timestamp> {
        caller.ensure_admin()?;
        if !(seconds.is_finite() && (0.0..=MAX_ADVANCE_SECS as f64).contains(&seconds)) {
            return Err(AppError::invalid_value(
                "seconds",
                "value-clock-seconds",
                vec![
                    ("max", MAX_ADVANCE_SECS.to_string()),
                    ("value", seconds.to_string()),
                ],
            ));
        }
        // Business time would run into the end of the time type and stop there, silently:
        // refuse instead, with how far it may still go. (The check reads the stored offset
        // first, so another instance's advance counts.)
        self.sync_test_clock().await?;
        let now = self.clock.now();
        let step = SignedDuration::from_micros((seconds * 1e6).round() as i64);
        let room = now.duration_until(latest());
        if step > room {
            return Err(AppError::invalid_value(
                "seconds",
                "value-clock-past-end",
                vec![
                    ("value", seconds.to_string()),
                    ("latest", latest().to_string()),
                    ("now", now.to_string()),
                    ("room", room.as_secs().max(0).to_string()),
                ],
            ));
        }
        // One atomic addition in the store: concurrent advances (other instances) all count.
        let micros = self
            .store
            // In range (checked above), so the product fits an i64.
            .advance_clock_offset(step.as_micros() as i64)
            .await?;
        self.clock.set_offset(SignedDuration::from_micros(micros));
        // Work became due: first sends and closures (the planner), retries (delivery).
        self.wake(Wake::Planner);
        self.wake(Wake::Delivery);
        tracing::info!(seconds, "test clock advanced");
        Ok(self.clock.now())
    }
}

impl App {
    /// Business time continues where the test clock was left (SPEC §9): loads the stored
    /// offset into a test clock (a system clock ignores it).
    pub async fn sync_test_clock(&self) -> AppResult<()> {
        if self.clock.is_test_clock() {
            self.clock.set_offset(self.stored_clock_offset().await?);
        }
        Ok(())
    }

    /// The stored test-clock offset (0 when no test clock ever moved).
    pub async fn stored_clock_offset(&self) -> AppResult<SignedDuration> {
        Ok(SignedDuration::from_micros(
            self.store.clock_offset().await?,
        ))
    }
}
