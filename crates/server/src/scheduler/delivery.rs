//! Delivery of the outbox: claim due emails with a real-time lease, render each with a fresh
//! setup token, hand them to the transport concurrently, and record the results in one
//! transaction per batch.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use provisio_domain::OfferPolicies;
use provisio_domain::delivery::{AttemptResult, Outcome, outcome};
use provisio_domain::values::mask_email;
use provisio_mail::{Transport, render};
use provisio_store::Finished;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::app::App;
use crate::app::outbox::Claimed;

/// Emails claimed at a time (at most).
const CLAIM: usize = 128;
/// What a claim brought, and how many it asked for.
type ClaimRound = (Vec<Claimed>, usize);

/// Sends in flight while HTTP requests are being served.
const GIVE_WAY: usize = 1;
/// Attempt results recorded per transaction.
const RECORD: usize = 64;
/// After a stop signal, how long sends in flight may take before their leases are released.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Cheap to clone: each send runs as its own task, so rendering and SMTP work spread over the
/// runtime's threads.
#[derive(Clone)]
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

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Delivers everything due now: keeps up to `smtp_connections` sends in flight, claims the
    /// next emails while they run and records results in batches. Returns how many emails
    /// were attempted.
    pub async fn run_once(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<usize> {
        let policies = Arc::new(self.app.policies().await?);
        let full = self.app.config.smtp_connections;
        let mut waiting: VecDeque<Claimed> = VecDeque::new();
        let mut more = true;
        // The next claim and the recording of results run beside the sends, so connections
        // never idle while the database works.
        let mut claiming: Option<JoinHandle<anyhow::Result<ClaimRound>>> = None;
        let mut recording: JoinSet<anyhow::Result<()>> = JoinSet::new();
        let mut running = JoinSet::new();
        let mut results = Vec::with_capacity(RECORD);
        let mut attempted = 0;
        let mut stop = stop.clone();
        let stopping = async {
            let _ = stop.wait_for(|s| *s).await;
            tokio::time::sleep(STOP_GRACE).await;
        };
        tokio::pin!(stopping);
        loop {
            // Background work gives way to people waiting for an answer: while HTTP requests
            // are being served, one send at a time (so mail still moves), all of them otherwise.
            let busy = self.app.requests_in_flight.load(Ordering::Relaxed) > 0;
            let concurrency = if busy { GIVE_WAY } else { full };
            let claim_done = claiming.as_ref().is_some_and(JoinHandle::is_finished)
                || (claiming.is_some() && waiting.is_empty() && running.is_empty());
            if claim_done && let Some(handle) = claiming.take() {
                let (claimed, asked) = handle.await??;
                // A short batch took everything due; what is queued meanwhile wakes us again.
                more = claimed.len() == asked;
                waiting.extend(claimed);
            }
            if more && claiming.is_none() && waiting.len() < 2 * concurrency {
                // Each claimed email needs a freshly minted token: while giving way, claim
                // only what the single send can use soon.
                let asked = if busy { 2 * GIVE_WAY } else { CLAIM };
                let this = self.clone();
                claiming = Some(tokio::spawn(async move {
                    Ok((this.app.claim_emails(&this.owner, asked).await?, asked))
                }));
            }
            while running.len() < concurrency {
                let Some(claimed) = waiting.pop_front() else {
                    break;
                };
                attempted += 1;
                let (this, policies) = (self.clone(), Arc::clone(&policies));
                running.spawn(async move { this.attempt(claimed, &policies).await });
            }
            if running.is_empty() {
                if claiming.is_some() {
                    continue;
                }
                break;
            }
            tokio::select! {
                Some(joined) = running.join_next() => {
                    // A send task only ends early by panicking; its lease then runs out and
                    // the email is attempted again.
                    let Ok(f) = joined else {
                        tracing::error!("a send task failed: {joined:?}");
                        continue;
                    };
                    results.push(f);
                    if results.len() >= RECORD {
                        let (app, batch) = (self.app.clone(), std::mem::take(&mut results));
                        recording.spawn(async move { Ok(app.finish_emails(batch).await?) });
                    }
                }
                _ = &mut stopping => {
                    tracing::warn!(in_flight = running.len(), "stopping: releasing sends still in flight");
                    break;
                }
            }
        }
        // Aborts the sends still running (only when stopping).
        drop(running);
        // Claimed but not sent (only when stopping): their leases are released at shutdown.
        if let Some(handle) = claiming {
            handle.await??;
        }
        self.app.finish_emails(results).await?;
        while let Some(done) = recording.join_next().await {
            done??;
        }
        if attempted > 0 {
            tracing::info!(attempted, "delivered a round of provisioning emails");
        }
        Ok(attempted)
    }

    async fn attempt(&self, claimed: Claimed, policies: &OfferPolicies) -> Finished {
        let c = &claimed.email;
        let attempt = c.email.attempts + 1;
        let result = match self.message(&claimed, policies) {
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
        // Each success at debug (a mass send would flood the log; the summary of the round
        // and the line's events tell the rest); a retry at info, a failure as a warning.
        // (Field values are computed only when the level is enabled.)
        let (email, to, reply) = (c.email.id, c.email.to.as_str(), outcome.reply());
        match (&outcome, level_error) {
            (_, true) => {
                tracing::warn!(%email, to = %mask_email(to), attempt, reply, "provisioning email failed")
            }
            (Outcome::Sent { .. }, _) => {
                tracing::debug!(%email, to = %mask_email(to), attempt, reply, "provisioning email sent")
            }
            _ => {
                tracing::info!(%email, to = %mask_email(to), attempt, reply, "provisioning email {label}")
            }
        }
        Finished {
            email_id: c.email.id,
            kind: c.email.kind,
            to: c.email.to.clone(),
            attempt,
            owner: self.owner.clone(),
            at,
            outcome,
        }
    }

    /// The message of this attempt, composed by its kind's composer, DKIM-signed if configured.
    fn message(
        &self,
        claimed: &Claimed,
        policies: &OfferPolicies,
    ) -> Result<lettre::Message, provisio_mail::RenderError> {
        let mut message = render(&self.app.outbound(claimed, policies))?;
        if let Some(dkim) = &self.app.config.dkim {
            dkim.sign(&mut message);
        }
        Ok(message)
    }

    /// Gives up this instance's leases so another instance (or the next start) sends them,
    /// and says goodbye to the SMTP server (briefly: the process must end within 5 s).
    pub async fn shutdown(&self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.transport.close()).await;
        match self.app.release_leases(&self.owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "released leases of emails in flight"),
            Err(e) => tracing::error!("releasing leases: {e}"),
        }
    }
}
