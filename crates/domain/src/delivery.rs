//! Delivery of provisioning emails (SPEC §4, §9): what a transport's answer means for the email.

use jiff::{SignedDuration, Timestamp};

/// Waits between attempts: 8 attempts in all over about a day, no jitter (SPEC §9).
pub const RETRY_WAITS: [SignedDuration; 7] = [
    SignedDuration::from_mins(1),
    SignedDuration::from_mins(5),
    SignedDuration::from_mins(30),
    SignedDuration::from_hours(1),
    SignedDuration::from_hours(3),
    SignedDuration::from_hours(6),
    SignedDuration::from_hours(12),
];

/// Attempts an email gets before a transient failure becomes final.
pub const MAX_ATTEMPTS: u32 = RETRY_WAITS.len() as u32 + 1;

/// How one attempt ended, as the transport saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The peer accepted the message (SMTP 250) or it was written to a file.
    Accepted { reply: String },
    /// A 4xx reply, or no reply at all (connection, TLS, timeout): worth trying again.
    Transient { reply: String },
    /// A 5xx reply: trying again will not help.
    Permanent { reply: String },
}

/// What happens to the email after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent { reply: String },
    RetryAt { at: Timestamp, reply: String },
    Failed { reply: String },
}

impl Outcome {
    pub fn reply(&self) -> &str {
        match self {
            Outcome::Sent { reply }
            | Outcome::RetryAt { reply, .. }
            | Outcome::Failed { reply } => reply,
        }
    }
}

/// `attempt` is the number of this attempt, counting from 1.
pub fn outcome(result: AttemptResult, attempt: u32, now: Timestamp) -> Outcome {
    match result {
        AttemptResult::Accepted { reply } => Outcome::Sent { reply },
        AttemptResult::Permanent { reply } => Outcome::Failed { reply },
        AttemptResult::Transient { reply } => {
            let wait = usize::try_from(attempt.saturating_sub(1))
                .ok()
                .and_then(|i| RETRY_WAITS.get(i));
            match wait {
                Some(wait) if attempt < MAX_ATTEMPTS => Outcome::RetryAt {
                    at: now + *wait,
                    reply,
                },
                _ => Outcome::Failed {
                    reply: format!("{reply} (gave up after {attempt} attempts)"),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient() -> AttemptResult {
        AttemptResult::Transient {
            reply: "451 4.3.0 later".into(),
        }
    }

    #[test]
    fn transient_failures_back_off_then_give_up_after_eight_attempts() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let waits: Vec<_> = (1..MAX_ATTEMPTS)
            .map(|attempt| match outcome(transient(), attempt, now) {
                Outcome::RetryAt { at, .. } => at.duration_since(now).as_mins(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(waits, [1, 5, 30, 60, 180, 360, 720]);
        let last = outcome(transient(), MAX_ATTEMPTS, now);
        assert!(
            matches!(&last, Outcome::Failed { reply } if reply.starts_with("451") && reply.contains("8 attempts")),
            "{last:?}"
        );
    }

    #[test]
    fn a_permanent_reply_fails_at_once() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let r = AttemptResult::Permanent {
            reply: "550 5.1.1 no such user".into(),
        };
        assert_eq!(
            outcome(r, 1, now),
            Outcome::Failed {
                reply: "550 5.1.1 no such user".into()
            }
        );
    }
}
