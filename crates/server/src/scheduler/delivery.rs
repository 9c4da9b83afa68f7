//! Delivery of the outbox: claim due emails with a real-time lease, render each with a fresh
//! setup token, hand them to the transport concurrently, and record the results in one
//! transaction per batch.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use jiff::SignedDuration;
use provisio_domain::delivery::{AttemptResult, Outcome, outcome};
use provisio_domain::values::mask_email;
use provisio_domain::{OfferPolicies, policy};
use provisio_mail::{Mailbox, ProvisioningEmail, Transport, render};
use provisio_store::{ClaimRequest, ClaimedEmail, Finished};
use tokio::sync::watch;

use crate::app::App;
use crate::app::secrets::new_setup_token;

/// Emails claimed per round.
const CLAIM: usize = 64;
/// Sends in flight at once.
const CONCURRENCY: usize = 8;
/// After a stop signal, how long sends in flight may take before their leases are released.
const STOP_GRACE: Duration = Duration::from_secs(2);

pub struct Delivery {
    app: App,
    transport: Arc<dyn Transport>,
    owner: String,
}

impl Delivery {
    pub fn new(app: App, transport: Arc<dyn Transport>) -> Self {
        Self {
            app,
            transport,
            owner: format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple()),
        }
    }

    /// Claims and sends one batch; returns how many emails were attempted.
    pub async fn run_once(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<usize> {
        let tokens: Vec<(String, String)> = (0..CLAIM).map(|_| new_setup_token()).collect();
        let real_now = self.app.clock.real_now();
        let lease = SignedDuration::from_secs(i64::try_from(self.app.config.lease_secs)?);
        let claimed = self
            .app
            .store
            .claim_emails(ClaimRequest {
                owner: self.owner.clone(),
                now: self.app.clock.now(),
                real_now,
                lease_until: real_now + lease,
                token_hashes: tokens.iter().map(|(_, h)| h.clone()).collect(),
            })
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let policies = OfferPolicies::from_entries(self.app.store.offer_policies().await?);
        let count = claimed.len();
        let mut pending = claimed.into_iter();
        let mut running = FuturesUnordered::new();
        let mut finished = Vec::with_capacity(count);
        let mut stop = stop.clone();
        let stopping = async {
            let _ = stop.wait_for(|s| *s).await;
            tokio::time::sleep(STOP_GRACE).await;
        };
        tokio::pin!(stopping);
        loop {
            while running.len() < CONCURRENCY {
                let Some(c) = pending.next() else { break };
                let token = tokens[c.token].0.clone();
                running.push(self.attempt(c, token, &policies));
            }
            tokio::select! {
                next = running.next() => match next {
                    Some(f) => finished.push(f),
                    None => break,
                },
                _ = &mut stopping => {
                    tracing::warn!(in_flight = running.len(), "stopping: releasing sends still in flight");
                    break;
                }
            }
        }
        drop(running);
        self.app.store.finish_emails(finished).await?;
        Ok(count)
    }

    async fn attempt(&self, c: ClaimedEmail, token: String, policies: &OfferPolicies) -> Finished {
        let attempt = c.email.attempts + 1;
        let result = match self.message(&c, &token, policies) {
            Ok(message) => match self.transport.send(&message).await {
                Ok(accepted) => AttemptResult::Accepted {
                    reply: accepted.reply,
                },
                Err(e) if e.permanent => AttemptResult::Permanent { reply: e.reply },
                Err(e) => AttemptResult::Transient { reply: e.reply },
            },
            Err(e) => AttemptResult::Permanent {
                reply: format!("could not render the message: {e}"),
            },
        };
        let at = self.app.clock.now();
        let outcome = outcome(result, attempt, at);
        let (label, level_error) = match &outcome {
            Outcome::Sent { .. } => ("sent", false),
            Outcome::RetryAt { .. } => ("retrying", false),
            Outcome::Failed { .. } => ("failed", true),
        };
        metrics::counter!("provisio_email_attempts_total", "result" => label).increment(1);
        if level_error {
            tracing::warn!(email = %c.email.id, to = %mask_email(c.email.to.as_str()), attempt,
                reply = outcome.reply(), "provisioning email failed");
        } else {
            tracing::info!(email = %c.email.id, to = %mask_email(c.email.to.as_str()), attempt,
                reply = outcome.reply(), "provisioning email {label}");
        }
        Finished {
            email_id: c.email.id,
            owner: self.owner.clone(),
            at,
            outcome,
        }
    }

    /// The typed email of this attempt: the deadline as it stands now, a fresh setup link.
    fn message(
        &self,
        c: &ClaimedEmail,
        token: &str,
        policies: &OfferPolicies,
    ) -> Result<lettre::Message, provisio_mail::RenderError> {
        let config = &self.app.config;
        let line = &c.line;
        let now = self.app.clock.now();
        let deadline = line.line.state.closes_at.unwrap_or_else(|| {
            policy::closes_at(
                line.line.state.first_sent_at.unwrap_or(now),
                policies.window(&line.line.offer),
            )
        });
        let ordering = Mailbox::new(
            Some(line.placed_by.name.clone()),
            line.placed_by.email.clone(),
        );
        let email = ProvisioningEmail {
            kind: c.email.kind,
            locale: c.locale,
            message_id: c.message_id.clone(),
            date: now,
            from: Mailbox::new(
                config.mail_from.name.clone(),
                config.mail_from.address.clone(),
            ),
            reply_to: Some(ordering.clone()),
            to: Mailbox::new(c.to_name.clone(), c.email.to.as_str()),
            web_order_id: line.web_order_id.to_string(),
            subscription_ref: line.line.sub_ref.to_string(),
            end_customer: line.end_customer.clone(),
            partner: line.partner.name.clone(),
            offer: line.line.offer.to_string(),
            quantity: line.line.quantity,
            requested_start_date: line.line.requested_start_date,
            deadline,
            time_zone: config.time_zone.clone(),
            setup_url: format!(
                "{}/setup/{token}",
                config.public_url.as_str().trim_end_matches('/')
            ),
            admin_portal_url: self.app.admin_portal(),
            help_contact: ordering,
        };
        let mut message = render(&email)?;
        if let Some(dkim) = &config.dkim {
            dkim.sign(&mut message);
        }
        Ok(message)
    }

    /// Gives up this instance's leases so another instance (or the next start) sends them,
    /// and says goodbye to the SMTP server (briefly: the process must end within 5 s).
    pub async fn shutdown(&self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.transport.close()).await;
        match self.app.store.release_leases(Some(&self.owner)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "released leases of emails in flight"),
            Err(e) => tracing::error!("releasing leases: {e}"),
        }
    }
}
