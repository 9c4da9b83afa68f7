//! R2 / R10: resending the provisioning email, for one line or several lines of an order.

use std::sync::Arc;

use jiff::Timestamp;
use provisio_domain::event::{Event, RefusedAction};
use provisio_domain::permission::{LinePermit, authorize_line_action};
use provisio_domain::rate_limit::{ResendLimit, is_double_click};
use provisio_domain::{Actor, EmailKind};
use provisio_store::{
    ContactUpdate, Decide, Decision, EmailRecord, LineChange, LineContext, LineSnapshot,
};

use super::App;
use super::lines::{queued_event, refuse};
use super::orders::Idempotency;
use crate::error::{AppError, AppResult, Thing};

/// A resend's answer: the queued email (202), also when replayed.
#[derive(Debug, Clone)]
pub struct Resent {
    pub email: EmailRecord,
    pub line: LineContext,
}

impl App {
    /// R2 / R10: resend the provisioning email of one line.
    pub async fn resend(
        &self,
        actor: &Actor,
        raw_ref: &str,
        idempotency: Option<Idempotency>,
    ) -> AppResult<Resent> {
        let sub_ref = Self::sub_ref(raw_ref)?;
        let now = self.clock.now();
        let limit = self.resend_limit();
        let keyed = idempotency.is_some();
        let this = self.clone();
        let who = actor.clone();
        let decide: Decide = Arc::new(move |snap: &LineSnapshot| {
            match authorize_line_action(&who, &snap.line.parties()) {
                Ok(permit) => this.resend_decision(snap, &permit, keyed, Some(&who), &limit, now),
                Err(r) => refuse(RefusedAction::Resend, r),
            }
        });
        let (line, email) = self
            .decide(&sub_ref, Some(actor), idempotency, decide)
            .await?;
        let email = email.ok_or_else(|| anyhow::anyhow!("a resend queued no email"))?;
        Ok(Resent { email, line })
    }

    /// R2 / R10 once permitted: a double click (no key, the same requester within 5 s, the
    /// same contact) answers with the first email; otherwise the domain decides and a resend
    /// to the current contact is queued. `requested_by` is None for the setup page.
    pub(super) fn resend_decision(
        &self,
        snap: &LineSnapshot,
        permit: &LinePermit,
        keyed: bool,
        requested_by: Option<&Actor>,
        limit: &ResendLimit,
        now: Timestamp,
    ) -> Decision {
        let line = &snap.line;
        let requester = requested_by.map(|a| a.user_id);
        // Not after a change of contact in between: that resend is another request.
        if !keyed
            && let Some(prev) = snap
                .recent_resends
                .iter()
                .rev()
                .find(|r| r.requested_by == requester)
            && is_double_click(Some(prev.email.queued_at), now)
            && prev.email.to == line.line.contact_email
        {
            return Decision::Replay(prev.email.clone());
        }
        let times: Vec<Timestamp> = snap
            .recent_resends
            .iter()
            .map(|r| r.email.queued_at)
            .collect();
        match line.line.state.decide_resend(permit, limit, &times, now) {
            Err(r) => refuse(RefusedAction::Resend, r),
            Ok(plan) => {
                let to = ContactUpdate::current(&line.line);
                let email = self.new_email(EmailKind::Resend, &to, requested_by);
                let mut change = LineChange::new(line.line.state.clone());
                change.events = vec![
                    Event::ResendRequested {
                        email_id: email.id,
                        to: email.to.clone(),
                        first_send: plan.is_first_send,
                        via: plan.via,
                    },
                    queued_event(&email),
                ];
                change.email = Some(email);
                Decision::Apply(Box::new(change))
            }
        }
    }

    /// The resend limit as configured (R10).
    pub(super) fn resend_limit(&self) -> ResendLimit {
        ResendLimit {
            per_hour: self.config.resend_limit_per_hour,
        }
    }

    /// R2 for several lines of one order: each line gets its own result. A reference that is
    /// not a line of this order is `not_found`. `key_for` gives a line's idempotency key.
    pub async fn bulk_resend(
        &self,
        actor: &Actor,
        raw_order: &str,
        lines: &[String],
        key_for: impl Fn(&str) -> AppResult<Option<Idempotency>>,
    ) -> AppResult<Vec<(String, AppResult<Resent>)>> {
        let order = self.order(actor, raw_order).await?;
        if lines.is_empty() {
            return Err(AppError::invalid_value(
                "lines",
                "value-bulk-no-lines",
                vec![],
            ));
        }
        if lines.len() > 1000 {
            return Err(AppError::invalid_value(
                "lines",
                "value-bulk-too-many",
                vec![],
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut results = Vec::with_capacity(lines.len());
        for raw in lines {
            if !seen.insert(raw.as_str()) {
                continue;
            }
            let in_order = order.lines.iter().any(|l| l.sub_ref.as_str() == raw);
            let result = if in_order {
                match key_for(raw) {
                    Ok(key) => self.resend(actor, raw, key).await,
                    Err(e) => Err(e),
                }
            } else {
                Err(AppError::not_found(Thing::Line))
            };
            results.push((raw.clone(), result));
        }
        Ok(results)
    }
}
