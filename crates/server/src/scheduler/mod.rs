//! The scheduler: due first sends (R1), closure by offer policy (R6), and delivery of the
//! outbox with retries. It runs beside the HTTP server, wakes when mail is queued or the test
//! clock moves, and otherwise looks for due work every second.

mod delivery;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use provisio_domain::{EmailKind, OfferPolicies};
use provisio_mail::{FileTransport, SmtpTransport, Transport};
use provisio_store::{ContactUpdate, LineChange, LineContext};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::app::App;
use crate::app::lines::queued_event;
use crate::app::orders::IDEMPOTENCY_TTL;

pub use delivery::Delivery;

/// How often the scheduler looks for due work when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);
/// The shortest pause between planning rounds that found nothing more to do.
const MIN_PLAN_GAP: Duration = Duration::from_millis(20);
/// Lines queued or closed per transaction.
const BATCH: u32 = 500;

/// The transport the configuration asks for: SMTP when `smtp_url` is set, else `.eml` files
/// in the data directory.
pub fn transport(app: &App) -> anyhow::Result<Arc<dyn Transport>> {
    Ok(match &app.config.smtp_url {
        Some(url) => Arc::new(
            SmtpTransport::from_url(url, app.config.smtp_connections)
                .map_err(|e| anyhow::anyhow!("PROVISIO_SMTP_URL: {e}"))?,
        ),
        None => Arc::new(FileTransport::new(app.config.data_dir().join("mail"))),
    })
}

/// Starts the scheduler; it stops (finishing or releasing in-flight sends) when `stop` turns true.
///
/// Two tasks: the planner (due first sends, closure, purges) and delivery, which keeps up to
/// its concurrency of sends in flight while it claims the next emails and records results
/// in batches, so sending never waits for planning or bookkeeping.
pub fn start(
    app: App,
    transport: Arc<dyn Transport>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tracing::info!("mail goes to {}", transport.describe());
    let delivery = Delivery::new(app.clone(), transport);
    let deliver = Arc::clone(&app.deliver);
    let planner = tokio::spawn(plan(app, Arc::clone(&deliver), stop.clone()));
    tokio::spawn(async move {
        deliver_loop(delivery, deliver, stop).await;
        let _ = planner.await;
    })
}

/// Waits until woken, the poll interval passes, or stop.
async fn idle(wake: &Notify, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = wake.notified() => {}
        _ = tokio::time::sleep(POLL) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

async fn plan(app: App, deliver: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    let mut last_purge: Option<Timestamp> = None;
    while !*stop.borrow() {
        let busy = match tick(&app, &mut last_purge).await {
            Ok(busy) => busy,
            Err(e) => {
                tracing::error!("scheduler: {e:#}");
                false
            }
        };
        deliver.notify_one();
        if busy {
            continue;
        }
        // Wakes may come in bursts (orders); planning more often than this gains nothing.
        tokio::time::sleep(MIN_PLAN_GAP).await;
        idle(&app.wake, &mut stop).await;
    }
}

async fn deliver_loop(delivery: Delivery, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        match delivery.run_once(&stop).await {
            // Something was sent: look again at once (more may have become due meanwhile).
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!("delivery: {e:#}"),
        }
        idle(&wake, &mut stop).await;
    }
    delivery.shutdown().await;
}

/// One planning round; true when there may be more due work right away.
async fn tick(app: &App, last_purge: &mut Option<Timestamp>) -> anyhow::Result<bool> {
    if app.clock.is_test_clock() {
        let micros = app.store.clock_offset().await?;
        app.clock
            .set_offset(jiff::SignedDuration::from_micros(micros));
    }
    let now = app.clock.now();
    let queued = queue_first_sends(app, now).await?;
    let closed = close_lapsed(app, now).await?;
    if last_purge.is_none_or(|t| now.duration_since(t).as_secs() > 600) {
        app.store
            .purge_idempotency_keys(now - IDEMPOTENCY_TTL)
            .await?;
        *last_purge = Some(now);
    }
    Ok(queued == BATCH as usize || closed == BATCH as usize)
}

/// R1: the initial email of every line whose RSD has started.
pub async fn queue_first_sends(app: &App, now: Timestamp) -> anyhow::Result<usize> {
    let rule = |line: &LineContext| -> Option<LineChange> {
        if !line.line.state.first_send_due(now, false) {
            return None;
        }
        let to = ContactUpdate::current(&line.line);
        let email = app.new_email(EmailKind::Initial, &to, None);
        let mut change = LineChange::new(line.line.state.clone());
        change.events.push(queued_event(&email));
        change.email = Some(email);
        Some(change)
    };
    let n = app.store.queue_first_sends(now, BATCH, &rule).await?;
    if n > 0 {
        tracing::info!(count = n, "queued first provisioning emails");
        metrics::counter!("provisio_emails_queued_total", "kind" => "initial").increment(n as u64);
    }
    Ok(n)
}

/// R6: close open lines whose provisioning window has lapsed.
pub async fn close_lapsed(app: &App, now: Timestamp) -> anyhow::Result<usize> {
    let policies = OfferPolicies::from_entries(app.store.offer_policies().await?);
    let rule = |line: &LineContext| -> Option<LineChange> {
        let window = policies.window(&line.line.offer);
        let t = line.line.state.close_if_lapsed(now, window)?;
        let mut change = LineChange::new(t.line);
        change.events = t.events;
        Some(change)
    };
    let n = app.store.close_lapsed(now, BATCH, &rule).await?;
    if n > 0 {
        tracing::info!(count = n, "closed lines whose provisioning window lapsed");
        metrics::counter!("provisio_lines_closed_total").increment(n as u64);
    }
    Ok(n)
}
