//! The lifecycle of one subscription line (SPEC §3, R1–R9) as pure functions of its state and
//! `now`. Each returns the next state with the events to record, or a typed refusal.

use jiff::{SignedDuration, Timestamp};

use crate::event::{Event, StageChange, Via};
use crate::organization::Organization;
use crate::permission::{CancelPermit, LinePermit, ReportPermit};
use crate::policy::closes_at;
use crate::rate_limit::ResendLimit;
use crate::refusal::{LineAction, Refusal};
use crate::state::{ClosedReason, LineStatus, Stage};
use crate::values::ContactEmail;

/// What the rules need to know of a line. `stage` and `status` are stored, never inferred.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LineState {
    pub stage: Stage,
    pub status: LineStatus,
    pub closed_reason: Option<ClosedReason>,
    pub closed_at: Option<Timestamp>,
    /// The start of the requested start date in the business time zone (R1).
    pub rsd_start: Timestamp,
    /// When the SMTP server first accepted a provisioning email of the line (R1).
    pub first_sent_at: Option<Timestamp>,
    /// `first_sent_at` + the offer's window while the line is open (R6).
    pub closes_at: Option<Timestamp>,
    /// The line's initial email was queued (in whatever state it is now): the automatic
    /// first send has happened and never happens again (R1, SPEC §11; the schema keeps at
    /// most one initial email per line).
    pub initial_queued: bool,
}

/// A new state with the audit events that explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub line: LineState,
    pub events: Vec<Event>,
}

/// The first acceptance of a provisioning email by the SMTP server: the line's new state and
/// how its stage moved (R1).
#[derive(Debug, Clone, PartialEq)]
pub struct Acceptance {
    pub line: LineState,
    pub stage: StageChange,
}

/// What an allowed resend does (R2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendPlan {
    /// Before the RSD a resend is the first send.
    pub is_first_send: bool,
    /// `setup_link` when the setup page asked for it.
    pub via: Option<Via>,
}

/// What an allowed change of contact does (R4).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactChangePlan {
    /// Email the new contact now; otherwise the first send on the RSD goes to them.
    pub send_now: bool,
    pub event: Event,
    /// The "new" address is the line's address already (addresses are compared lower-cased):
    /// nothing changes, no email goes out and no link is revoked.
    pub same_address: bool,
}

impl LineState {
    /// A freshly ordered line.
    pub fn new(rsd_start: Timestamp) -> Self {
        Self {
            stage: Stage::Scheduled,
            status: LineStatus::Open,
            closed_reason: None,
            closed_at: None,
            rsd_start,
            first_sent_at: None,
            closes_at: None,
            initial_queued: false,
        }
    }

    pub fn past_point_of_no_return(&self) -> bool {
        self.stage.past_point_of_no_return()
    }

    /// R6: closed but not provisioned means provisioning is still in progress; such a line
    /// stays actionable until PONR.
    pub fn provisioning_in_progress(&self) -> bool {
        self.stage.provisioning_in_progress()
    }

    /// R1 (SPEC §11): when the automatic first send is due: at the start of the RSD (at once
    /// for a line ordered with an RSD today or earlier), for a `scheduled` line whose first
    /// send has not happened: no initial email was queued, and no email of the line was
    /// accepted by the SMTP server (an accepted one moves the line on). A pre-RSD resend that
    /// failed does not count. `None`: no first send is due, ever again.
    ///
    /// Stores keep this instant in an indexed column, so the planner finds due lines without
    /// restating the rule in SQL; the planner then asks [`crate::decide::first_send`].
    pub fn first_send_due_at(&self) -> Option<Timestamp> {
        let pending =
            self.stage == Stage::Scheduled && !self.initial_queued && self.first_sent_at.is_none();
        pending.then_some(self.rsd_start)
    }

    /// R1: whether the automatic first send is due at `now`.
    pub fn first_send_due(&self, now: Timestamp) -> bool {
        self.first_send_due_at().is_some_and(|at| now >= at)
    }

    /// R6: when the closure sweep must look at the line: its deadline while its window runs
    /// (open, provisioning in progress, sent). Stores index this instant; the sweep then
    /// asks [`LineState::close_if_lapsed`].
    pub fn closure_due_at(&self) -> Option<Timestamp> {
        let running = self.status == LineStatus::Open
            && self.provisioning_in_progress()
            && self.first_sent_at.is_some();
        if running { self.closes_at } else { None }
    }

    /// R1 / R2: the SMTP server accepted a provisioning email. The first acceptance starts
    /// the window (and moves a scheduled line on); later ones neither extend it nor reopen a
    /// closed line. An email already in flight when the line was onboarded still counts as
    /// the first send, so the onboarded line's window runs too (R6); a cancelled line's does
    /// not.
    pub fn record_acceptance(&self, now: Timestamp, window: SignedDuration) -> Option<Acceptance> {
        if self.first_sent_at.is_some() || self.stage == Stage::Cancelled {
            return None;
        }
        let mut line = self.clone();
        line.first_sent_at = Some(now);
        if line.stage == Stage::Scheduled {
            line.stage = Stage::AwaitingProvisioning;
        }
        if line.status == LineStatus::Open && line.provisioning_in_progress() {
            line.closes_at = Some(closes_at(now, window));
        }
        let stage = StageChange {
            from: self.stage,
            to: line.stage,
        };
        Some(Acceptance { line, stage })
    }

    /// R6: an open line that is neither provisioned nor cancelled closes when its window,
    /// counted from the first send, has run out.
    pub fn close_if_lapsed(&self, now: Timestamp, window: SignedDuration) -> Option<Transition> {
        let first = self.first_sent_at?;
        let open = self.status == LineStatus::Open && self.provisioning_in_progress();
        if !open || now < closes_at(first, window) {
            return None;
        }
        Some(self.closed(ClosedReason::ProvisioningWindowLapsed, now, vec![]))
    }

    /// The deadline an email or a dialog shows (R6): the line's under `window` (the offer's
    /// as it is now); for a line not yet sent, the one a first send `now` starts.
    pub fn deadline_shown(&self, now: Timestamp, window: SignedDuration) -> Timestamp {
        self.deadline_under(window)
            .unwrap_or_else(|| closes_at(self.first_sent_at.unwrap_or(now), window))
    }

    /// The line as its offer's `window` says now (R6): a running line's deadline counted from
    /// its first send. What every read shows, so a policy change is in effect at once while
    /// the stored deadlines (the closure sweep's selector) follow in batches.
    pub fn as_window_says(self, window: SignedDuration) -> LineState {
        self.under_window(window).unwrap_or(self)
    }

    /// The deadline under a (possibly changed) window, for a line whose window is running.
    pub fn deadline_under(&self, window: SignedDuration) -> Option<Timestamp> {
        match (self.status, self.first_sent_at) {
            (LineStatus::Open, Some(first)) if self.provisioning_in_progress() => {
                Some(closes_at(first, window))
            }
            _ => self.closes_at,
        }
    }

    /// R6: the line with its deadline under `window`, when that moves it: an offer's policy
    /// changed and the line's window runs. Stored deadlines follow a change in batches
    /// ([`crate::decide::follow_policy`]), and the closure sweep repairs a line it finds
    /// before its batch did ([`crate::decide::close`]).
    pub fn under_window(&self, window: SignedDuration) -> Option<LineState> {
        let closes_at = self.deadline_under(window);
        (closes_at != self.closes_at).then(|| LineState {
            closes_at,
            ..self.clone()
        })
    }

    /// Refusals shared by every action that needs the line before PONR (R2, R3, R4, R9).
    pub fn ensure_before_ponr(&self) -> Result<(), Refusal> {
        match self.stage {
            Stage::Cancelled => Err(Refusal::LineCancelled),
            s if s.past_point_of_no_return() => Err(Refusal::PastPointOfNoReturn),
            _ => Ok(()),
        }
    }

    /// R2 / R3 / R10: may this resend go out? Open or closed does not matter.
    pub fn decide_resend(
        &self,
        permit: &LinePermit,
        limit: &ResendLimit,
        recent_resends: &[Timestamp],
        now: Timestamp,
    ) -> Result<ResendPlan, Refusal> {
        self.ensure_before_ponr()?;
        limit.check(recent_resends, now)?;
        Ok(ResendPlan {
            is_first_send: self.first_sent_at.is_none(),
            via: permit.by_link().then_some(Via::SetupLink),
        })
    }

    /// R4: change the provisioning contact before PONR: whether the new contact is emailed
    /// now ("already sent", i.e. accepted by the SMTP server, or the RSD has passed) or on
    /// the RSD. [`crate::decide::change_contact`] adds every other effect.
    pub fn decide_contact_change(
        &self,
        permit: &LinePermit,
        old: &ContactEmail,
        new: &ContactEmail,
        now: Timestamp,
    ) -> Result<ContactChangePlan, Refusal> {
        self.ensure_before_ponr()?;
        let same_address = old == new;
        let send_now = !same_address && (self.first_sent_at.is_some() || now >= self.rsd_start);
        let event = Event::ContactChanged {
            from: old.clone(),
            to: new.clone(),
            send_now,
            via: permit.by_link().then_some(Via::SetupLink),
        };
        Ok(ContactChangePlan {
            send_now,
            event,
            same_address,
        })
    }

    /// R7: the customer's organization is onboarded: the point of no return.
    pub fn onboard(
        &self,
        permit: &ReportPermit,
        organization: &Organization,
    ) -> Result<Transition, Refusal> {
        match self.stage {
            Stage::Cancelled => Err(Refusal::LineCancelled),
            Stage::Scheduled | Stage::AwaitingProvisioning => {
                let mut line = self.clone();
                line.stage = Stage::Onboarded;
                let event = Event::LineOnboarded {
                    stage: StageChange {
                        from: self.stage,
                        to: line.stage,
                    },
                    organization: organization.name.clone(),
                    organization_id: organization.id.clone(),
                    via: if permit.by_link() {
                        Via::SetupLink
                    } else {
                        Via::Api
                    },
                };
                Ok(Transition {
                    line,
                    events: vec![event],
                })
            }
            from => Err(Refusal::InvalidTransition {
                from,
                action: LineAction::Onboard,
            }),
        }
    }

    /// R8: service configuration is complete; the line closes as provisioned.
    pub fn mark_provisioned(
        &self,
        _permit: &ReportPermit,
        now: Timestamp,
    ) -> Result<Transition, Refusal> {
        match self.stage {
            Stage::Onboarded => {
                let mut next = self.clone();
                next.stage = Stage::Provisioned;
                let event = Event::LineProvisioned(StageChange {
                    from: self.stage,
                    to: next.stage,
                });
                Ok(next.closed(ClosedReason::Provisioned, now, vec![event]))
            }
            Stage::Cancelled => Err(Refusal::LineCancelled),
            from => Err(Refusal::InvalidTransition {
                from,
                action: LineAction::MarkProvisioned,
            }),
        }
    }

    /// R9: cancel before PONR ([`crate::decide::cancel`] adds the links and the waiting mail).
    pub fn cancel(&self, _permit: &CancelPermit, now: Timestamp) -> Result<Transition, Refusal> {
        match self.stage {
            Stage::Cancelled => Err(Refusal::InvalidTransition {
                from: Stage::Cancelled,
                action: LineAction::Cancel,
            }),
            s if s.past_point_of_no_return() => Err(Refusal::PastPointOfNoReturn),
            _ => {
                let mut next = self.clone();
                next.stage = Stage::Cancelled;
                let event = Event::LineCancelled(StageChange {
                    from: self.stage,
                    to: next.stage,
                });
                Ok(next.closed(ClosedReason::Cancelled, now, vec![event]))
            }
        }
    }

    /// Closes the line (or re-labels why it is closed, e.g. cancelling a lapsed line).
    fn closed(&self, reason: ClosedReason, now: Timestamp, mut events: Vec<Event>) -> Transition {
        let mut line = self.clone();
        line.status = LineStatus::Closed;
        line.closed_reason = Some(reason);
        if self.status == LineStatus::Open {
            line.closed_at = Some(now);
            events.push(Event::LineClosed { reason });
        }
        Transition { line, events }
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
