//! Delivery of outbound email (SPEC §4, §9): what a transport's answer means for the email
//! and its line, and when a waiting email must not go out any more. A store backend loads
//! the facts, calls these, and writes what they return.

use jiff::{SignedDuration, Timestamp};

use crate::event::{Attempt, Event, Overtaken};
use crate::lifecycle::LineState;
use crate::state::{EmailKind, Stage};
use crate::values::ContactEmail;

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

/// SPEC §9: a provisioning email waiting to go out is overtaken by its line when the line was
/// cancelled, passed the point of no return, or was re-addressed to someone else. A notice
/// about the line to someone else (`handed_off`) is never overtaken: what it reports happened.
/// An overtaken email is not sent: it becomes `cancelled`, its setup link is revoked, and an
/// `email.cancelled` event with this reason is written.
pub fn overtaken(
    kind: EmailKind,
    line: &LineState,
    contact: &ContactEmail,
    to: &ContactEmail,
) -> Option<Overtaken> {
    if !kind.traits().provisioning {
        None
    } else if line.stage == Stage::Cancelled {
        Some(Overtaken::LineCancelled)
    } else if line.stage.past_point_of_no_return() {
        Some(Overtaken::PastPointOfNoReturn)
    } else if contact != to {
        Some(Overtaken::ContactChanged)
    } else {
        None
    }
}

/// What recording an attempt changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The line's new state, when the first acceptance moved it (R1).
    pub line: Option<LineState>,
    /// `email.sent` or `email.failed`; none while a retry is pending.
    pub event: Option<Event>,
}

/// Records the end of an attempt at a line's email (`contact`: the line's provisioning
/// contact now). The first acceptance by the SMTP server of a provisioning email to the
/// current contact starts the line's window under `window` (R1), its event telling how the
/// stage moved. One that went to an address the line has left since (re-addressed while it
/// was in flight, its link revoked) is not the first send: the new contact still gets theirs.
/// Later acceptances and failures only write their event.
pub fn record_attempt(
    line: &LineState,
    contact: &ContactEmail,
    attempt: Attempt,
    outcome: &Outcome,
    window: SignedDuration,
    at: Timestamp,
) -> Recorded {
    // A notice about the line starts no window.
    let acceptance = match attempt.kind.traits().provisioning && attempt.to == *contact {
        true => line.record_acceptance(at, window),
        false => None,
    };
    match outcome {
        Outcome::Sent { .. } => match acceptance {
            Some(acceptance) => Recorded {
                line: Some(acceptance.line),
                event: Some(Event::EmailSent {
                    attempt,
                    stage: Some(acceptance.stage),
                }),
            },
            None => Recorded {
                line: None,
                event: Some(Event::EmailSent {
                    attempt,
                    stage: None,
                }),
            },
        },
        Outcome::Failed { .. } => Recorded {
            line: None,
            event: Some(Event::EmailFailed(attempt)),
        },
        Outcome::RetryAt { .. } => Recorded {
            line: None,
            event: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::StageChange;
    use crate::state::EmailKind;

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

    fn kim() -> ContactEmail {
        ContactEmail::parse("kim@kund.test").unwrap()
    }

    #[test]
    fn waiting_email_is_overtaken_by_cancel_ponr_and_readdressing() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut line = LineState::new(now);
        let new = ContactEmail::parse("new@kund.test").unwrap();
        let overtaken = |line: &LineState, contact: &ContactEmail, to: &ContactEmail| {
            overtaken(EmailKind::Resend, line, contact, to)
        };
        assert_eq!(overtaken(&line, &kim(), &kim()), None);
        assert_eq!(
            overtaken(&line, &new, &kim()),
            Some(Overtaken::ContactChanged)
        );
        // A notice to the ordering contact goes out whatever became of the line.
        assert_eq!(
            super::overtaken(EmailKind::HandedOff, &line, &kim(), &new),
            None
        );
        line.stage = Stage::Onboarded;
        assert_eq!(
            overtaken(&line, &kim(), &kim()),
            Some(Overtaken::PastPointOfNoReturn)
        );
        line.stage = Stage::Cancelled;
        assert_eq!(
            overtaken(&line, &kim(), &kim()),
            Some(Overtaken::LineCancelled)
        );
    }

    #[test]
    fn the_first_acceptance_moves_the_line_and_says_how() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let line = LineState::new(now);
        let attempt = Attempt {
            email_id: uuid::Uuid::from_u128(1),
            kind: EmailKind::Initial,
            to: kim(),
            attempts: 1,
            reply: "250 ok".into(),
        };
        let sent = Outcome::Sent {
            reply: "250 ok".into(),
        };
        let window = SignedDuration::from_hours(24 * 7);
        let first = record_attempt(&line, &kim(), attempt.clone(), &sent, window, now);
        let moved = first.line.expect("the line moves");
        assert_eq!(moved.stage, Stage::AwaitingProvisioning);
        assert_eq!(
            first.event,
            Some(Event::EmailSent {
                attempt: attempt.clone(),
                stage: Some(StageChange {
                    from: Stage::Scheduled,
                    to: Stage::AwaitingProvisioning
                })
            })
        );
        // A notice about a line not yet sent does not start its window.
        let notice = Attempt {
            kind: EmailKind::HandedOff,
            ..attempt.clone()
        };
        assert_eq!(
            record_attempt(&line, &kim(), notice, &sent, window, now).line,
            None
        );
        let again = record_attempt(&moved, &kim(), attempt.clone(), &sent, window, now);
        assert_eq!(again.line, None);
        assert!(matches!(
            again.event,
            Some(Event::EmailSent { stage: None, .. })
        ));
        let retry = Outcome::RetryAt {
            at: now,
            reply: "451".into(),
        };
        assert_eq!(
            record_attempt(&line, &kim(), attempt, &retry, window, now),
            Recorded {
                line: None,
                event: None
            }
        );
    }
}
