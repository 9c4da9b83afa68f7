//! Wake-ups in one process: what a backend whose database admits a single server (SQLite)
//! uses for [`crate::Signals`].

use tokio::sync::Notify;

/// What to wake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The planner: an order arrived or the test clock moved (first sends, closure).
    Planner,
    /// Delivery: mail was queued.
    Delivery,
}

/// One [`Notify`] per [`Wake`]: a wake-up with nobody waiting is kept for the next wait, so
/// none is lost between two looks at the outbox.
#[derive(Debug, Default)]
pub struct LocalSignals {
    planner: Notify,
    delivery: Notify,
}

impl LocalSignals {
    fn of(&self, what: Wake) -> &Notify {
        match what {
            Wake::Planner => &self.planner,
            Wake::Delivery => &self.delivery,
        }
    }

    pub fn wake(&self, what: Wake) {
        self.of(what).notify_one();
    }

    pub async fn woken(&self, what: Wake) {
        self.of(what).notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_with_nobody_waiting_is_kept_for_the_next_wait() {
        let s = LocalSignals::default();
        s.wake(Wake::Delivery);
        tokio::time::timeout(std::time::Duration::from_secs(1), s.woken(Wake::Delivery))
            .await
            .expect("the earlier wake-up counts");
        let other =
            tokio::time::timeout(std::time::Duration::from_millis(50), s.woken(Wake::Planner))
                .await;
        assert!(other.is_err(), "the planner was not woken");
    }
}
