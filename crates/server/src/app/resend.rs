//! R2 / R10: resending the provisioning email, for one line or several lines of an order.

use std::sync::Arc;

use provisio_domain::Actor;
use provisio_domain::decide::{self, Asker, ResendAsk};
use provisio_domain::rate_limit::ResendLimit;
use provisio_store::{Decide, EmailRecord, LineContext};

use super::App;
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
        let ask = ResendAsk {
            by: Asker::User(actor.clone()),
            keyed: idempotency.is_some(),
            limit: self.resend_limit(),
            now: self.clock.now(),
            for_case: None,
        };
        let decide = self.resend_decision(ask);
        let (line, email) = self
            .decide(&sub_ref, Some(actor), idempotency, decide)
            .await?;
        let email = email.ok_or_else(|| anyhow::anyhow!("a resend queued no email"))?;
        Ok(Resent { email, line })
    }

    /// The domain's resend decision for `ask`, as the store runs it on the line's facts.
    pub(super) fn resend_decision(&self, ask: ResendAsk) -> Decide {
        let ids = self.mail_ids();
        Arc::new(move |facts| decide::resend(facts, &ask, &mut ids.clone()))
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
        let in_order = |raw: &str| order.lines.iter().any(|l| l.sub_ref.as_str() == raw);
        self.resend_each(actor, lines, in_order, key_for).await
    }

    /// "Resend selected" across orders (the Subscriptions page): each line the actor may see,
    /// one result each.
    pub async fn resend_lines(
        &self,
        actor: &Actor,
        lines: &[String],
    ) -> AppResult<Vec<(String, AppResult<Resent>)>> {
        self.resend_each(actor, lines, |_| true, |_| Ok(None)).await
    }

    /// Resends each of `lines` (each once; 1 to 1,000), those outside `belongs` answering as
    /// unknown.
    async fn resend_each(
        &self,
        actor: &Actor,
        lines: &[String],
        belongs: impl Fn(&str) -> bool,
        key_for: impl Fn(&str) -> AppResult<Option<Idempotency>>,
    ) -> AppResult<Vec<(String, AppResult<Resent>)>> {
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
            let result = if belongs(raw) {
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
