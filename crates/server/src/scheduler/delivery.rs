//! Delivery of the outbox: claim due emails with a real-time lease, render each with a fresh
//! setup token, give them to the transport concurrently, and record each result as soon as
//! its attempt ends.
//!
//! Recording per attempt bounds the duplicates a crash can cause (SPEC §9: delivery is at
//! least once): a send's slot is freed only once its result is committed, so at any moment
//! at most `sends_in_flight` emails have been handed over without being recorded. (Results
//! used to be recorded in batches of 64 before their slots were freed, with no bound of their
//! own; a `kill -9` then sent up to 91 emails twice.) The records of concurrent sends still
//! share commits: the [`Recorder`] writes all that arrived meanwhile at once.
//!
//! A send gives its SMTP connection back as soon as the server has answered, before its result
//! is committed, so `sends_in_flight` can be larger than `smtp_connections`: the connections
//! carry the next emails while the results of the last ones are being committed. With both at
//! 20, every send waited for its commit holding a slot, and that wait, not the cores, set the
//! delivery rate (README, Performance: "Sends in flight beyond the connections").
//!
//! A fault of the transport itself (the relay refuses our credentials, TLS fails, it cannot
//! be reached, the mail directory cannot be written) is not the email's: the round stops
//! sending, the emails it claimed go back to the queue uncharged, and delivery pauses
//! (`App::pause_delivery`); after the backoff one email probes the transport, and the first
//! attempt the transport answers resumes full speed.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use provisio_domain::OfferPolicies;
use provisio_domain::delivery::{AttemptResult, Outcome, outcome};
use provisio_domain::values::mask_email;
use provisio_mail::{Fault, Transport, render};
use provisio_store::Finished;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::app::App;
use crate::app::outbox::Claimed;
use crate::scheduler::recorder::Recorder;

/// Emails claimed at a time (at most).
const CLAIM: usize = 128;
/// What a claim brought, and how many it asked for.
type ClaimRound = (Vec<Claimed>, usize);

/// Sends in flight while HTTP requests are being served, and while a paused delivery probes.
const GIVE_WAY: usize = 1;
/// After a stop signal, how long sends in flight may take before their leases are released.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// How one attempt ended for the round.
enum Handed {
    /// Its result is recorded. `answered`: the transport took part (accepted or refused the
    /// message), which proves it works.
    Recorded { answered: bool },
    /// The transport failed as a whole; nothing was recorded, the email's lease is released
    /// with the round's.
    TransportFault(String),
    /// Not tried: the round had halted (the transport failed, or the store) by the time a
    /// connection was free for it. Its lease is released with the round's.
    NotTried,
}

/// Cheap to clone: each send runs as its own task, so rendering and SMTP work spread over the
/// runtime's threads.
#[derive(Clone)]
pub struct Delivery {
    app: App,
    transport: Arc<dyn Transport>,
    owner: String,
    recorder: Recorder,
    /// One permit per SMTP connection (`smtp_connections`): a send takes one before it hands
    /// its email over and gives it back once answered, before its result is committed. A send
    /// that gets one after its round halted does not try: a relay refusing our credentials
    /// sees one round of connections, not one login per send in flight.
    connections: Arc<Semaphore>,
    /// The emails this instance claimed and has not finished in the current round: the leases
    /// it renews. Emails left over when a round ends (the store failed, the transport broke)
    /// are dropped from it, so their leases run out and any instance takes them again.
    held: Arc<std::sync::Mutex<std::collections::HashSet<uuid::Uuid>>>,
}

impl Delivery {
    pub fn new(app: App, transport: Arc<dyn Transport>) -> Self {
        // Exported from the start, so a dashboard sees 0 rather than nothing.
        metrics::gauge!("provisio_delivery_paused").set(0.0);
        Self {
            recorder: Recorder::start(app.clone()),
            connections: Arc::new(Semaphore::new(app.config.smtp_connections)),
            held: Arc::default(),
            app,
            transport,
            owner: format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple()),
        }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Delivers everything due now: keeps up to `sends_in_flight` sends in flight (one
    /// while delivery is paused: a probe), claims the next emails while they run, and each
    /// send records its result before its slot is freed. Returns how many emails were
    /// attempted. A transport fault ends the round and pauses delivery.
    pub async fn run_once(&self, stop: &watch::Receiver<bool>) -> anyhow::Result<usize> {
        let policies = Arc::new(self.app.policies().await?);
        let full = self.app.config.sends_in_flight;
        let mut waiting: VecDeque<Claimed> = VecDeque::new();
        let mut more = true;
        // The next claim runs beside the sends, so connections never idle while the
        // database works.
        let mut claiming: Option<JoinHandle<anyhow::Result<ClaimRound>>> = None;
        let mut running: JoinSet<anyhow::Result<Handed>> = JoinSet::new();
        let mut attempted = 0;
        // Once set, nothing more is sent this round: the transport is broken (`fault`) or
        // the store failed to record (`failed`).
        let mut fault: Option<String> = None;
        let mut failed: Option<anyhow::Error> = None;
        // The same for the sends in flight: set by the send that meets the fault, or here
        // when a send could not record; those still waiting for a connection then do not try.
        let halt = Arc::new(AtomicBool::new(false));
        let mut stop = stop.clone();
        let stopping = async {
            let _ = stop.wait_for(|s| *s).await;
            tokio::time::sleep(STOP_GRACE).await;
        };
        tokio::pin!(stopping);
        loop {
            let halted = fault.is_some() || failed.is_some();
            // Background work gives way to people waiting for an answer: while HTTP requests
            // are being served, one send at a time (so mail still moves), all of them otherwise.
            // A paused delivery probes with one email until the transport answers.
            let busy = self.app.requests_in_flight.load(Ordering::Relaxed) > 0;
            let probing = self.app.delivery_paused().is_some();
            let concurrency = if busy || probing { GIVE_WAY } else { full };
            let claim_done = claiming.as_ref().is_some_and(JoinHandle::is_finished)
                || (claiming.is_some() && waiting.is_empty() && running.is_empty());
            if claim_done && let Some(handle) = claiming.take() {
                let (claimed, asked) = handle.await??;
                // A short batch took everything due; what is queued meanwhile wakes us again.
                more = claimed.len() == asked;
                self.hold(claimed.iter().map(|c| c.email.email.id), true);
                waiting.extend(claimed);
            }
            if !halted && more && claiming.is_none() && waiting.len() < 2 * concurrency {
                // Each claimed email needs a freshly minted token: while giving way, claim
                // only what the single send can use soon.
                let asked = if busy || probing { 2 * GIVE_WAY } else { CLAIM };
                let this = self.clone();
                claiming = Some(tokio::spawn(async move {
                    Ok((this.app.claim_emails(&this.owner, asked).await?, asked))
                }));
            }
            while !halted && running.len() < concurrency {
                let Some(claimed) = waiting.pop_front() else {
                    break;
                };
                attempted += 1;
                let (this, policies, halt) =
                    (self.clone(), Arc::clone(&policies), Arc::clone(&halt));
                running.spawn(async move { this.hand_off(claimed, &policies, &halt).await });
            }
            if running.is_empty() {
                if claiming.is_some() && !halted {
                    continue;
                }
                break;
            }
            tokio::select! {
                Some(joined) = running.join_next() => match joined {
                    // A send task only ends early by panicking; its lease then runs out and
                    // the email is attempted again.
                    Err(e) => tracing::error!("a send task failed: {e:?}"),
                    Ok(Err(e)) => {
                        halt.store(true, Ordering::Relaxed);
                        failed.get_or_insert(e);
                    }
                    Ok(Ok(Handed::Recorded { answered })) => {
                        if answered && probing {
                            self.app.resume_delivery();
                        }
                    }
                    Ok(Ok(Handed::TransportFault(reason))) => {
                        fault.get_or_insert(reason);
                    }
                    Ok(Ok(Handed::NotTried)) => attempted -= 1,
                },
                _ = &mut stopping => {
                    tracing::warn!(in_flight = running.len(), "stopping: releasing sends still in flight");
                    break;
                }
            }
        }
        // Aborts the sends still running (only when stopping).
        drop(running);
        // Claimed but not sent (when stopping or halted): their leases are released below
        // or at shutdown.
        if let Some(handle) = claiming {
            handle.await??;
        }
        if let Some(reason) = fault {
            // Every send of the round has ended and recorded what it did: what is still
            // leased was not handed over. It goes back to the queue, due at once, uncharged.
            let released = self.app.release_leases(&self.owner).await?;
            let pause = self.app.pause_delivery(&reason);
            tracing::debug!(released, retry_at = %pause.retry_at, "emails back in the queue");
        }
        if let Some(e) = failed {
            // The store failed (the database went away, say): every send of the round has
            // ended; what is still leased was not handed over. Back to the queue at once if
            // the database answers, else its leases run out.
            if let Err(release) = self.app.release_leases(&self.owner).await {
                tracing::debug!("releasing the round's leases: {release}");
            }
            return Err(e);
        }
        // What is left was not handed over: no longer renewed.
        self.held.lock().unwrap_or_else(|p| p.into_inner()).clear();
        if attempted > 0 {
            tracing::info!(attempted, "delivered a round of provisioning emails");
        }
        Ok(attempted)
    }

    /// Adds emails to (or takes them from) those whose leases this instance renews.
    fn hold(&self, emails: impl IntoIterator<Item = uuid::Uuid>, held: bool) {
        let mut set = self.held.lock().unwrap_or_else(|p| p.into_inner());
        for id in emails {
            if held {
                set.insert(id);
            } else {
                set.remove(&id);
            }
        }
    }

    /// Hands one email over and records the result (a transport fault records nothing).
    async fn hand_off(
        &self,
        claimed: Claimed,
        policies: &OfferPolicies,
        halt: &AtomicBool,
    ) -> anyhow::Result<Handed> {
        let id = claimed.email.email.id;
        let handed = self.hand_over(claimed, policies, halt).await;
        if matches!(handed, Ok(Handed::Recorded { .. })) {
            self.hold([id], false);
        }
        handed
    }

    async fn hand_over(
        &self,
        claimed: Claimed,
        policies: &OfferPolicies,
        halt: &AtomicBool,
    ) -> anyhow::Result<Handed> {
        let message = match self.message(&claimed, policies) {
            Ok(message) => message,
            Err(e) => {
                let reply = format!("could not render the message: {e}");
                let finished = self.finished(&claimed, AttemptResult::Permanent { reply });
                self.recorder.record(finished).await?;
                return Ok(Handed::Recorded { answered: false });
            }
        };
        // The semaphore is never closed; a send waits here for a free connection.
        let Ok(connection) = self.connections.acquire().await else {
            return Ok(Handed::NotTried);
        };
        if halt.load(Ordering::Relaxed) {
            return Ok(Handed::NotTried);
        }
        let sent = self.transport.send(&message).await;
        drop(connection);
        let result = match sent {
            Ok(accepted) => AttemptResult::Accepted {
                reply: accepted.reply,
            },
            Err(e) => match e.fault {
                Fault::Transport => {
                    halt.store(true, Ordering::Relaxed);
                    metrics::counter!("provisio_email_attempts_total", "result" => "transport_fault")
                        .increment(1);
                    tracing::debug!(email = %claimed.email.email.id, reply = e.reply, "the transport failed; the email stays queued");
                    return Ok(Handed::TransportFault(e.reply));
                }
                Fault::Permanent => AttemptResult::Permanent { reply: e.reply },
                Fault::Transient => AttemptResult::Transient { reply: e.reply },
            },
        };
        let finished = self.finished(&claimed, result);
        self.recorder.record(finished).await?;
        Ok(Handed::Recorded { answered: true })
    }

    /// The attempt's outcome, counted and logged.
    fn finished(&self, claimed: &Claimed, result: AttemptResult) -> Finished {
        let c = &claimed.email;
        let attempt = c.email.attempts + 1;
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

    /// Renews the leases of the emails this instance is working on every third of a lease, so
    /// a send that takes long (a slow SMTP server) keeps its email: another instance takes it
    /// over only when this one stopped renewing (it died, or gave the email up).
    pub async fn renew_leases(&self, mut stop: watch::Receiver<bool>) {
        let every = Duration::from_secs(self.app.config.lease_secs.max(3) / 3);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let held: Vec<uuid::Uuid> = {
                let set = self.held.lock().unwrap_or_else(|p| p.into_inner());
                set.iter().copied().collect()
            };
            if held.is_empty() {
                continue;
            }
            if let Err(e) = self.app.renew_leases(&self.owner, &held).await {
                tracing::warn!("renewing leases: {e}");
            }
        }
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
