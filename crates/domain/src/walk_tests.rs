//! The state walk (issue 18, SPEC §11): starting from a freshly ordered line, every step a
//! person or the service can take is taken through the real decisions, breadth first, until
//! no new state appears. Every reachable state — stage × status × the states of the line's
//! emails × the clock before and after the RSD and the deadline — must be final, have a next
//! step the service takes by itself (checked against the decision that takes it), or wait for
//! a person and show why. And no line forgets its contact: once the RSD has come, the current
//! contact has had the email, is getting it, will get it, or the line shows that it failed.

use std::collections::{HashSet, VecDeque};

use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use crate::attention::attention;
use crate::decide::{self, Asker, Decision, Effects, LineFacts, LinkHeld, Reporter, ResendAsk};
use crate::delivery::{AttemptResult, outcome, overtaken, record_attempt};
use crate::event::Attempt;
use crate::fixtures::{ada, pia, pias_order};
use crate::ids::UserId;
use crate::lifecycle::LineState;
use crate::mail::{MailFact, MailId, MintMail, Recipient};
use crate::next_step::{NextStep, StepFacts, Waiting, next_step};
use crate::organization::Organization;
use crate::policy::window_of;
use crate::rate_limit::ResendLimit;
use crate::state::{EmailKind, EmailState, LineStatus, LinkState, Stage};
use crate::values::{ContactEmail, Locale};

/// Two provisioning contacts, and the ordering contact (who gets the hand-off notices).
const ADDRESSES: [&str; 3] = ["kim@kund.test", "ines@kund.test", "pia@partner.test"];
/// Person actions stop queueing once a line has this many emails (the service's own steps
/// go on), which keeps the walk finite without hiding a state the service could reach.
const MAIL_BOUND: usize = 2;

fn rsd() -> Timestamp {
    "2026-05-04T00:00:00Z".parse().unwrap()
}

/// The clock: before the RSD, at it, past a deadline counted from it, past one more.
fn phases() -> [Timestamp; 4] {
    let day = SignedDuration::from_hours(24);
    [rsd() - day * 3, rsd(), rsd() + day * 8, rsd() + day * 16]
}

fn window() -> SignedDuration {
    window_of(7)
}

fn address(i: usize) -> ContactEmail {
    ContactEmail::parse(ADDRESSES[i]).unwrap()
}

fn index_of(email: &ContactEmail) -> usize {
    ADDRESSES.iter().position(|a| *a == email.as_str()).unwrap()
}

fn recipient(i: usize) -> Recipient {
    Recipient {
        email: address(i),
        name: None,
        locale: Locale::En,
    }
}

/// One email of the modelled line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Mail {
    kind: EmailKind,
    to: usize,
    state: EmailState,
    /// When it was queued; once the clock moves on, only "earlier" matters (the rate limit
    /// looks back an hour, the phases are days apart), so earlier mail counts as phase 0.
    phase: usize,
    by: Option<UserId>,
}

/// A line with its emails and the clock.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct World {
    state: LineState,
    contact: usize,
    mail: Vec<Mail>,
    phase: usize,
}

impl World {
    fn new() -> Self {
        Self {
            state: LineState::new(rsd()),
            contact: 0,
            mail: vec![],
            phase: 0,
        }
    }

    fn now(&self) -> Timestamp {
        phases()[self.phase]
    }

    fn fact(&self, i: usize) -> MailFact {
        let m = &self.mail[i];
        MailFact {
            id: Uuid::from_u128(i as u128),
            kind: m.kind,
            to: address(m.to),
            state: m.state,
            queued_at: phases()[m.phase],
            requested_by: m.by,
        }
    }

    /// The facts a store would load: waiting mail and mail of the last hour.
    fn facts(&self) -> LineFacts {
        let since = self.now() - SignedDuration::from_hours(1);
        LineFacts {
            state: self.state.clone(),
            contact: recipient(self.contact),
            parties: pias_order(),
            mail: (0..self.mail.len())
                .map(|i| self.fact(i))
                .filter(|m| m.waiting() || m.queued_at >= since)
                .collect(),
            cases: vec![],
        }
    }

    fn last_email(&self) -> Option<MailFact> {
        (0..self.mail.len())
            .rev()
            .find(|i| self.mail[*i].kind.traits().provisioning)
            .map(|i| self.fact(i))
    }

    fn ids(&self) -> impl MintMail + use<> {
        let mut next = self.mail.len() as u128;
        move || {
            let id = Uuid::from_u128(next);
            next += 1;
            MailId {
                id,
                message_id: format!("{id}@test"),
            }
        }
    }

    fn apply(&self, effects: Effects) -> World {
        let mut w = self.clone();
        w.state = effects.state;
        if let Some(c) = effects.contact {
            w.contact = index_of(&c.email);
        }
        for id in effects.cancel {
            let m = &mut w.mail[id.as_u128() as usize];
            assert!(m.state.waiting(), "only waiting mail is cancelled: {m:?}");
            m.state = EmailState::Cancelled;
        }
        for new in effects.queue {
            assert_eq!(new.id.as_u128() as usize, w.mail.len());
            w.mail.push(Mail {
                kind: new.kind,
                to: index_of(&new.to.email),
                state: EmailState::Queued,
                phase: w.phase,
                by: new.requested_by,
            });
        }
        w
    }

    fn decided(&self, decision: Decision) -> Option<World> {
        match decision {
            Decision::Apply(effects) => Some(self.apply(*effects)),
            Decision::Refuse { .. } | Decision::Replay(_) => None,
        }
    }

    /// Every step a person or the service can take from here.
    fn successors(&self) -> Vec<World> {
        let mut next = vec![];
        let now = self.now();
        let facts = self.facts();
        let room = self.mail.len() < MAIL_BOUND;
        let other = 1 - self.contact;
        // People.
        if room {
            let ask = ResendAsk {
                by: Asker::User(pia()),
                keyed: true,
                limit: ResendLimit::default(),
                now,
                for_case: None,
            };
            next.extend(self.decided(decide::resend(&facts, &ask, &mut self.ids())));
            let new = decide::NewContact {
                email: address(other),
                name: None,
                locale: None,
            };
            next.extend(self.decided(decide::change_contact(
                &facts,
                &pia(),
                &new,
                now,
                &mut self.ids(),
            )));
            // The current contact hands the line to a colleague through their live link.
            let link = LinkHeld {
                state: LinkState::Live,
                sent_to: address(self.contact),
            };
            let ordering = Recipient {
                email: address(2),
                name: Some("Pia".into()),
                locale: Locale::En,
            };
            next.extend(self.decided(decide::hand_off(
                &facts,
                &link,
                &address(other),
                &ordering,
                now,
                &mut self.ids(),
            )));
        }
        let org = Organization {
            id: "org-1".into(),
            name: "Kund AB".into(),
        };
        next.extend(self.decided(decide::onboard(
            &facts,
            Reporter::User(&ada()),
            &org,
            now,
            &mut self.ids(),
        )));
        next.extend(self.decided(decide::mark_provisioned(&facts, &ada(), now)));
        next.extend(self.decided(decide::cancel(&facts, &pia(), now)));
        // The service.
        next.extend(
            decide::first_send(&facts.state, &facts.contact, now, &mut self.ids())
                .map(|e| self.apply(e)),
        );
        next.extend(decide::close(&self.state, window(), now).map(|e| self.apply(e)));
        for i in 0..self.mail.len() {
            next.extend(self.delivery_steps(i));
        }
        if self.phase + 1 < phases().len() {
            let mut later = self.clone();
            later.phase += 1;
            for m in &mut later.mail {
                m.phase = 0;
            }
            next.push(later);
        }
        next
    }

    /// A claim of a waiting email (or its cancellation when overtaken), or the end of an
    /// attempt at one being sent: accepted, a transient or a permanent failure.
    fn delivery_steps(&self, i: usize) -> Vec<World> {
        let m = &self.mail[i];
        if m.state.waiting() {
            let mut w = self.clone();
            let fate = overtaken(m.kind, &self.state, &address(self.contact), &address(m.to));
            w.mail[i].state = match fate {
                Some(_) => EmailState::Cancelled,
                None => EmailState::Sending,
            };
            return vec![w];
        }
        if m.state != EmailState::Sending {
            return vec![];
        }
        let results = [
            AttemptResult::Accepted {
                reply: "250 ok".into(),
            },
            AttemptResult::Transient {
                reply: "451 later".into(),
            },
            AttemptResult::Permanent {
                reply: "550 no such user".into(),
            },
        ];
        results
            .into_iter()
            .map(|result| {
                // One attempt stands for any before the last: a transient failure retries,
                // and giving up after the last is a permanent failure, walked beside it.
                let attempt = 1;
                let done = outcome(result, attempt, self.now());
                let fact = Attempt {
                    email_id: Uuid::from_u128(i as u128),
                    kind: m.kind,
                    to: address(m.to),
                    attempts: attempt,
                    reply: done.reply().to_owned(),
                };
                let contact = address(self.contact);
                let recorded =
                    record_attempt(&self.state, &contact, fact, &done, window(), self.now());
                let mut w = self.clone();
                if let Some(state) = recorded.line {
                    w.state = state;
                }
                w.mail[i].state = match done {
                    crate::delivery::Outcome::Sent { .. } => EmailState::Sent,
                    crate::delivery::Outcome::RetryAt { .. } => EmailState::Retrying,
                    crate::delivery::Outcome::Failed { .. } => EmailState::Failed,
                };
                w
            })
            .collect()
    }

    fn step_facts(&self) -> (ContactEmail, Option<MailFact>, bool) {
        let on_its_way = self.mail.iter().any(|m| m.state.on_its_way());
        (address(self.contact), self.last_email(), on_its_way)
    }

    /// The checks every reachable state must pass.
    fn check(&self) {
        let (contact, last, on_its_way) = self.step_facts();
        let step = next_step(StepFacts {
            state: &self.state,
            contact: &contact,
            last_email: last.as_ref(),
            mail_on_its_way: on_its_way,
        });
        let Some(step) = step else {
            panic!("nothing will happen and nobody is shown why: {self:#?}");
        };
        let now = self.now();
        let facts = self.facts();
        match step {
            NextStep::Done => assert!(!self.state.provisioning_in_progress(), "{self:#?}"),
            NextStep::FirstSend { at } => assert!(
                decide::first_send(&facts.state, &facts.contact, now.max(at), &mut self.ids())
                    .is_some(),
                "a first send said to be due is not taken: {self:#?}"
            ),
            NextStep::Delivery => assert!(on_its_way),
            NextStep::Closure { at } => assert!(
                decide::close(&self.state, window(), now.max(at)).is_some(),
                "a closure said to be due is not taken: {self:#?}"
            ),
            NextStep::Waiting(Waiting::LastEmailFailed) => {
                let last = last.as_ref().expect("a last email");
                assert_eq!(last.state, EmailState::Failed);
                assert_eq!(
                    last.to, contact,
                    "the failure shown is the current contact's"
                );
            }
            NextStep::Waiting(Waiting::ClosedInProgress) => {
                assert_eq!(self.state.status, LineStatus::Closed);
                assert!(!self.state.past_point_of_no_return());
            }
            NextStep::Waiting(Waiting::OnboardedNotProvisioned) => {
                assert_eq!(self.state.stage, Stage::Onboarded);
            }
        }
        // A line that waits for a person is on the attention list, under the same reason.
        if let NextStep::Waiting(w) = step {
            let budget = decide::resend_budget(&facts.mail, ResendLimit::default(), now);
            let listed = attention(
                StepFacts {
                    state: &self.state,
                    contact: &contact,
                    last_email: last.as_ref(),
                    mail_on_its_way: on_its_way,
                },
                &budget,
                now,
            );
            assert_eq!(
                listed.map(|a| a.as_str()),
                Some(w.as_str()),
                "a line waiting for a person is not listed as such: {self:#?}"
            );
        }
        self.check_contact_not_forgotten(&contact, last.as_ref());
    }

    /// Once the RSD has come, a line before PONR never forgets its current contact.
    fn check_contact_not_forgotten(&self, contact: &ContactEmail, last: Option<&MailFact>) {
        let before_ponr = matches!(
            self.state.stage,
            Stage::Scheduled | Stage::AwaitingProvisioning
        );
        if !before_ponr || self.now() < rsd() {
            return;
        }
        let theirs = |m: &&Mail| address(m.to) == *contact && m.kind.traits().provisioning;
        let had_it = self
            .mail
            .iter()
            .filter(theirs)
            .any(|m| m.state == EmailState::Sent || m.state.on_its_way());
        let will_get_it = self.state.first_send_due(self.now());
        let shown_failed = last.is_some_and(|l| l.state == EmailState::Failed && l.to == *contact);
        assert!(
            had_it || will_get_it || shown_failed,
            "the current contact is forgotten: {self:#?}"
        );
    }
}

#[test]
fn every_reachable_state_of_a_line_is_final_moving_or_shown_waiting() {
    let mut seen: HashSet<World> = HashSet::new();
    let mut queue = VecDeque::from([World::new()]);
    let mut stages = HashSet::new();
    while let Some(world) = queue.pop_front() {
        if !seen.insert(world.clone()) {
            continue;
        }
        world.check();
        stages.insert((world.state.stage, world.state.status));
        queue.extend(world.successors());
    }
    // The walk reached every stage, open and closed where the lifecycle allows it.
    for stage in Stage::ALL {
        assert!(
            stages.iter().any(|(s, _)| s == stage),
            "{stage} never reached"
        );
    }
    assert!(stages.contains(&(Stage::AwaitingProvisioning, LineStatus::Closed)));
    assert!(stages.contains(&(Stage::Onboarded, LineStatus::Closed)));
    assert!(
        seen.len() > 100_000,
        "the walk is too small: {}",
        seen.len()
    );
}

/// The probe's scenario (issue 18): an early resend fails with 550, the ordering contact
/// corrects the address, the RSD comes — and the first email goes to the new contact.
#[test]
fn an_early_resend_that_failed_does_not_stop_the_first_send() {
    let mut w = World::new();
    let ask = ResendAsk {
        by: Asker::User(pia()),
        keyed: false,
        limit: ResendLimit::default(),
        now: w.now(),
        for_case: None,
    };
    w = w
        .decided(decide::resend(&w.facts(), &ask, &mut w.ids()))
        .unwrap();
    w.mail[0].state = EmailState::Failed;
    let new = decide::NewContact {
        email: address(1),
        name: None,
        locale: None,
    };
    w = w
        .decided(decide::change_contact(
            &w.facts(),
            &pia(),
            &new,
            w.now(),
            &mut w.ids(),
        ))
        .unwrap();
    assert_eq!(
        w.mail.len(),
        1,
        "before the RSD the new contact waits for it"
    );
    w.phase = 1;
    let first = decide::first_send(&w.state, &recipient(w.contact), w.now(), &mut w.ids())
        .expect("due at the RSD");
    assert_eq!(first.queue[0].kind, EmailKind::Initial);
    assert_eq!(first.queue[0].to.email, address(1));
    assert!(first.state.initial_queued);
}
