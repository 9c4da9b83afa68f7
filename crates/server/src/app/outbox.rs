//! What the scheduler asks of the application: due first sends (R1), closure by policy (R6),
//! forgetting old idempotency keys, and the outbox: claims with fresh setup tokens, the
//! message of each attempt (built from the claimed email's subject), results and leases.
//! The scheduler owns the loop, the concurrency and the transport; the rules are here and in
//! the domain. [`DeliveryStatus`] is whether delivery runs or waits for a broken transport.

use std::sync::{Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};
use provisio_domain::mail::worded_as;
use provisio_domain::policy::window_of;
use provisio_domain::{LineState, OfferPolicies, OfferSku, Recipient, decide};
use provisio_mail::{Envelope, HandOffNotice, Mailbox, Outbound, ProvisioningEmail};
use provisio_store::{
    ClaimRequest, ClaimedEmail, EmailRecord, Finished, LineContext, MailSubject, retrying,
};

use super::App;
use super::orders::IDEMPOTENCY_TTL;
use super::secrets::new_setup_token;
use crate::error::AppResult;

/// A claimed email with the setup token of this attempt (if its kind carries a link).
pub struct Claimed {
    pub email: ClaimedEmail,
    pub token: Option<String>,
}

/// R6: the rule a policy change's batches and its preview apply to each running line, with the
/// window in days as the policy stores it.
pub(super) fn follow(state: &LineState, days: u32) -> Option<LineState> {
    decide::follow_policy(state, window_of(days))
}

impl App {
    /// R1: queues the initial email of up to `limit` lines whose first send is due. Several
    /// instances may do this at once; a lost race is run again.
    pub async fn queue_first_sends(&self, now: Timestamp, limit: u32) -> AppResult<usize> {
        let ids = self.mail_ids();
        let rule = |state: &LineState, contact: &Recipient| {
            decide::first_send(state, contact, now, &mut ids.clone())
        };
        Ok(retrying(|| self.store.queue_first_sends(now, limit, &rule)).await?)
    }

    /// R6: closes up to `limit` open lines whose provisioning window has lapsed.
    pub async fn close_lapsed(&self, now: Timestamp, limit: u32) -> AppResult<usize> {
        let policies = self.policies().await?;
        let rule =
            |state: &LineState, offer: &OfferSku| decide::close(state, policies.window(offer), now);
        Ok(retrying(|| self.store.close_lapsed(now, limit, &rule)).await?)
    }

    /// R6: moves the stored deadlines of changed policies' lines, a batch of `batch` lines a
    /// transaction, until none is left or `budget` has passed; returns how many moved and
    /// whether every line follows its policy now. The rest is the next call's (the
    /// scheduler's, also after a restart).
    pub async fn move_deadlines(
        &self,
        batch: u32,
        budget: std::time::Duration,
    ) -> AppResult<(usize, bool)> {
        // Real time: the budget bounds how long a request or a planning round waits.
        let started = self.clock.real_now();
        let mut moved = 0;
        loop {
            match retrying(|| self.store.move_deadlines(batch, &follow)).await? {
                None => return Ok((moved, true)),
                Some(n) => moved += n,
            }
            let spent = self.clock.real_now().duration_since(started);
            if spent.unsigned_abs() >= budget {
                return Ok((moved, false));
            }
        }
    }

    /// Forgets idempotency keys older than they are kept.
    pub async fn purge_idempotency_keys(&self, now: Timestamp) -> AppResult<u64> {
        Ok(self
            .store
            .purge_idempotency_keys(now - IDEMPOTENCY_TTL)
            .await?)
    }

    pub async fn policies(&self) -> AppResult<OfferPolicies> {
        Ok(OfferPolicies::from_entries(
            self.store.offer_policies().await?,
        ))
    }

    /// Claims up to `limit` due emails for `owner`, leased on real time, each that carries a
    /// setup link with a freshly minted token (only its hash is stored).
    pub async fn claim_emails(&self, owner: &str, limit: usize) -> AppResult<Vec<Claimed>> {
        let mut tokens: Vec<(String, String)> = (0..limit).map(|_| new_setup_token()).collect();
        let real_now = self.clock.real_now();
        let claimed = self
            .store
            .claim_emails(ClaimRequest {
                owner: owner.to_owned(),
                now: self.clock.now(),
                real_now,
                lease_until: real_now + self.lease(),
                token_hashes: tokens.iter().map(|(_, h)| h.clone()).collect(),
            })
            .await?;
        Ok(claimed
            .into_iter()
            .map(|email| Claimed {
                token: email.token.map(|i| std::mem::take(&mut tokens[i].0)),
                email,
            })
            .collect())
    }

    /// Records the ends of attempts (a first acceptance moves its line, R1). Results are
    /// fenced by lease and attempt, so running a batch again after a lost race is safe.
    pub async fn finish_emails(&self, finished: Vec<Finished>) -> AppResult<()> {
        Ok(retrying(|| self.store.finish_emails(finished.clone())).await?)
    }

    /// Delivery's state (shown by `/readyz`): `None` while it runs.
    pub fn delivery_paused(&self) -> Option<Pause> {
        self.delivery.get()
    }

    /// The transport failed as a whole (`reason`, the reply or error, without credentials):
    /// delivery pauses, trying again with one email after a backoff. Logged once, when it
    /// pauses; failed probes only at debug.
    pub fn pause_delivery(&self, reason: &str) -> Pause {
        let now = self.clock.now();
        let mut paused = self.delivery.lock();
        let pause = match paused.take() {
            Some(p) => {
                let failures = p.failures + 1;
                tracing::debug!(failures, reason, "delivery is still paused");
                Pause {
                    reason: reason.to_owned(),
                    retry_at: now + pause_backoff(failures),
                    failures,
                    ..p
                }
            }
            None => {
                let retry = pause_backoff(1);
                tracing::warn!(
                    reason,
                    retry_in_secs = retry.as_secs(),
                    "delivery paused: the mail transport fails for every email; they stay \
                     queued and are not charged an attempt"
                );
                metrics::gauge!("provisio_delivery_paused").set(1.0);
                Pause {
                    reason: reason.to_owned(),
                    since: now,
                    retry_at: now + retry,
                    failures: 1,
                }
            }
        };
        *paused = Some(pause.clone());
        pause
    }

    /// The transport answered again: delivery runs at full speed. Logged once, if it was
    /// paused.
    pub fn resume_delivery(&self) {
        let Some(pause) = self.delivery.lock().take() else {
            return;
        };
        let paused_secs = self.clock.now().duration_since(pause.since).as_secs();
        tracing::info!(
            paused_secs,
            "delivery resumed: the mail transport works again"
        );
        metrics::gauge!("provisio_delivery_paused").set(0.0);
    }

    /// Gives up `owner`'s leases (an instance stopping); returns how many.
    pub async fn release_leases(&self, owner: &str) -> AppResult<u64> {
        Ok(self.store.release_leases(owner).await?)
    }

    /// Renews `owner`'s leases of `emails` for another lease length (long sends keep them).
    pub async fn renew_leases(&self, owner: &str, emails: &[uuid::Uuid]) -> AppResult<u64> {
        let real_now = self.clock.real_now();
        Ok(self
            .store
            .renew_leases(owner, emails, real_now, real_now + self.lease())
            .await?)
    }

    /// How long a claim holds an email (`lease_secs`, at most 600 by the configuration).
    fn lease(&self) -> SignedDuration {
        SignedDuration::from_secs(i64::try_from(self.config.lease_secs).unwrap_or(60))
    }

    /// At start: takes over the leases that can no longer be live (the store decides which).
    pub async fn take_over_leases(&self) -> AppResult<u64> {
        Ok(self.store.take_over_leases(self.clock.real_now()).await?)
    }

    /// The typed mail of this attempt, chosen by what the email is about: the deadline as it
    /// stands now, the setup link of this attempt's token.
    pub fn outbound(&self, claimed: &Claimed, policies: &OfferPolicies) -> Outbound {
        let c = &claimed.email;
        match &c.subject {
            MailSubject::Line(line) => self.line_mail(
                line,
                MailOf {
                    email: &c.email,
                    message_id: &c.message_id,
                    date: self.clock.now(),
                    token: claimed.token.as_deref().unwrap_or_default(),
                },
                policies,
            ),
            MailSubject::Case {
                case,
                comment,
                line,
            } => self.case_mail(&c.email, &c.message_id, case, *comment, line.as_deref()),
        }
    }

    /// The email about `line` that `mail` names (a provisioning email, or a notice about
    /// the line): the one builder of what is sent and of what the workspace shows of a sent
    /// email.
    pub(super) fn line_mail(
        &self,
        line: &LineContext,
        mail: MailOf<'_>,
        policies: &OfferPolicies,
    ) -> Outbound {
        let config = &self.config;
        let envelope = |reply_to: Mailbox| Envelope {
            message_id: mail.message_id.to_owned(),
            date: mail.date,
            from: Mailbox::new(
                config.mail_from.name.clone(),
                config.mail_from.address.clone(),
            ),
            reply_to: Some(reply_to),
            to: Mailbox::new(mail.email.to_name.clone(), mail.email.to.as_str()),
            locale: mail.email.locale,
            thread: None,
        };
        let handed_off_by = mail
            .email
            .hand_off
            .as_ref()
            .map(|h| Mailbox::new(None, h.from.as_str()));
        let public_url = config.public_url.as_str().trim_end_matches('/');
        if let (false, Some(hand_off)) = (
            mail.email.kind.traits().provisioning,
            mail.email.hand_off.as_ref(),
        ) {
            let from = Mailbox::new(None, hand_off.from.as_str());
            return Outbound::HandOff(HandOffNotice {
                envelope: envelope(from.clone()),
                web_order_id: line.web_order_id.to_string(),
                subscription_ref: line.line.sub_ref.to_string(),
                end_customer: line.end_customer.clone(),
                partner: line.partner.name.clone(),
                offer: line.line.offer.to_string(),
                from,
                to: Mailbox::new(None, hand_off.to.as_str()),
                // The line's row on the page of its order that holds it (`web/order_page.rs`).
                line_url: format!(
                    "{public_url}/orders/{}?line={}#line-{}",
                    line.web_order_id, line.line.sub_ref, line.line.sub_ref
                ),
            });
        }
        let state = &line.line.state;
        let deadline = state.deadline_shown(self.clock.now(), policies.window(&line.line.offer));
        let ordering = Mailbox::new(
            Some(line.placed_by.name.clone()),
            line.placed_by.email.clone(),
        );
        Outbound::Provisioning(ProvisioningEmail {
            envelope: envelope(ordering.clone()),
            kind: worded_as(mail.email.kind, state.first_sent_at, mail.email.sent_at),
            web_order_id: line.web_order_id.to_string(),
            subscription_ref: line.line.sub_ref.to_string(),
            end_customer: line.end_customer.clone(),
            partner: line.partner.name.clone(),
            offer: line.line.offer.to_string(),
            quantity: line.line.quantity,
            requested_start_date: line.line.requested_start_date,
            deadline,
            time_zone: config.time_zone.clone(),
            setup_url: format!("{public_url}/setup/{}", mail.token),
            admin_portal_url: self.admin_portal(),
            help_contact: ordering,
            handed_off_by,
        })
    }
}

/// Which email of a line to build, and with what date and setup token.
pub(super) struct MailOf<'a> {
    pub email: &'a EmailRecord,
    pub message_id: &'a str,
    pub date: Timestamp,
    pub token: &'a str,
}

/// Whether delivery runs; shared by the scheduler (which pauses and resumes it) and `/readyz`.
#[derive(Debug, Default)]
pub struct DeliveryStatus(Mutex<Option<Pause>>);

impl DeliveryStatus {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Pause>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self) -> Option<Pause> {
        self.lock().clone()
    }
}

/// Delivery waits because the transport failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// The last failure: "535 5.7.8 Authentication credentials invalid", "cannot connect …".
    pub reason: String,
    /// When it paused (service clock).
    pub since: Timestamp,
    /// When one email tries the transport again (service clock: advancing the test clock
    /// brings it forward).
    pub retry_at: Timestamp,
    /// Tries that failed in a row, the first included.
    pub failures: u32,
}

/// The wait after the `failures`-th failure in a row: 1 s, 2 s, 4 s … at most a minute.
pub fn pause_backoff(failures: u32) -> SignedDuration {
    let secs = 1_i64 << failures.saturating_sub(1).min(6);
    SignedDuration::from_secs(secs.min(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_delivery_backs_off_doubling_up_to_a_minute() {
        let waits: Vec<i64> = (1..=9).map(|n| pause_backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(pause_backoff(u32::MAX).as_secs(), 60);
    }
}
