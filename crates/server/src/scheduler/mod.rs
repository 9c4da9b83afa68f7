//! The scheduler: due first sends (R1), closure by offer policy (R6), and delivery of the
//! outbox with retries. It runs beside the HTTP server, wakes when the store signals (mail
//! queued, an order placed, the test clock moved; from any instance sharing the store), and
//! otherwise looks for due work every second. Every step is a use case of the app layer
//! (`app/outbox.rs`); this module owns the loops, the concurrency and the transport.

mod delivery;
mod recorder;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use provisio_mail::{FileTransport, SmtpTransport, Transport};
use provisio_store::Wake;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::app::admin::MOVE_BATCH;

pub use delivery::Delivery;

/// How often the scheduler looks for due work when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);
/// The shortest pause between planning rounds that found nothing more to do.
const MIN_PLAN_GAP: Duration = Duration::from_millis(20);
/// Lines queued or closed per transaction.
const BATCH: u32 = 500;
/// How long a planning round moves deadlines after a policy change before it plans again.
const MOVE_PER_TICK: Duration = Duration::from_millis(250);

/// The transport the configuration asks for: SMTP when `smtp_url` is set, else `.eml` files
/// in the data directory.
pub fn transport(app: &App) -> anyhow::Result<Arc<dyn Transport>> {
    Ok(match &app.config.smtp_url {
        Some(url) => Arc::new(
            SmtpTransport::from_url(url, app.config.smtp_connections)
                .map_err(|e| anyhow::anyhow!("PROVISIO_SMTP_URL: {e}"))?
                .with_hello_name(app.config.smtp_helo_name.clone()),
        ),
        None => Arc::new(FileTransport::new(app.config.data_dir().join("mail"))),
    })
}

/// Starts the scheduler; it stops (finishing or releasing in-flight sends) when `stop` turns true.
///
/// Two tasks: the planner (due first sends, closure, purges) and delivery, which keeps up to
/// its concurrency of sends in flight while it claims the next emails, each send recording
/// its own result, so sending never waits for planning. A broken transport pauses delivery
/// (with backoff) instead of charging the emails attempts.
pub fn start(
    app: App,
    transport: Arc<dyn Transport>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tracing::info!("mail goes to {}", transport.describe());
    let delivery = Delivery::new(app.clone(), transport);
    let planner = tokio::spawn(plan(app, stop.clone()));
    let renewer = {
        let (delivery, stop) = (delivery.clone(), stop.clone());
        tokio::spawn(async move { delivery.renew_leases(stop).await })
    };
    tokio::spawn(async move {
        deliver_loop(delivery, stop).await;
        let _ = planner.await;
        let _ = renewer.await;
    })
}

/// Waits until woken, the poll interval passes, or stop.
async fn idle(app: &App, what: Wake, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = app.woken(what) => {}
        _ = tokio::time::sleep(POLL) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

async fn plan(app: App, mut stop: watch::Receiver<bool>) {
    let mut last_purge: Option<Timestamp> = None;
    while !*stop.borrow() {
        let (queued, busy) = match tick(&app, &mut last_purge).await {
            Ok(round) => round,
            Err(e) => {
                tracing::error!("scheduler: {e:#}");
                (0, false)
            }
        };
        // A wake-up reaches every instance sharing the store: only when there is new mail.
        if queued > 0 {
            app.wake(Wake::Delivery);
        }
        if busy {
            continue;
        }
        // Wakes may come in bursts (orders); planning more often than this gains nothing.
        tokio::time::sleep(MIN_PLAN_GAP).await;
        idle(&app, Wake::Planner, &mut stop).await;
    }
}

async fn deliver_loop(delivery: Delivery, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        if let Some(pause) = delivery.app().delivery_paused() {
            // Paused by a broken transport: wait out the backoff on the service clock (a
            // wake-up, e.g. the test clock moving, makes it look again), then probe.
            let left = pause.retry_at.duration_since(delivery.app().clock.now());
            if left.is_positive() {
                let left = Duration::try_from(left).unwrap_or(POLL);
                tokio::select! {
                    _ = delivery.app().woken(Wake::Delivery) => {}
                    _ = tokio::time::sleep(left) => {}
                    _ = stop.wait_for(|s| *s) => {}
                }
                continue;
            }
        }
        match delivery.run_once(&stop).await {
            // Something was sent: look again at once (more may have become due meanwhile).
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!("delivery: {e:#}"),
        }
        idle(delivery.app(), Wake::Delivery, &mut stop).await;
    }
    delivery.shutdown().await;
}

/// One planning round: how many first sends it queued, and whether there may be more due work
/// right away.
async fn tick(app: &App, last_purge: &mut Option<Timestamp>) -> anyhow::Result<(usize, bool)> {
    app.sync_test_clock().await?;
    let now = app.clock.now();
    let queued = queue_first_sends(app, now).await?;
    // Deadlines a policy change moved first: the sweep then finds lines by their new ones.
    let (_, moved_all) = app.move_deadlines(MOVE_BATCH, MOVE_PER_TICK).await?;
    let closed = close_lapsed(app, now).await?;
    if last_purge.is_none_or(|t| now.duration_since(t).as_secs() > 600) {
        app.purge_idempotency_keys(now).await?;
        app.purge_web_sessions().await?;
        *last_purge = Some(now);
    }
    let busy = queued == BATCH as usize || closed == BATCH as usize || !moved_all;
    Ok((queued, busy))
}

/// R1: the initial email of every line whose RSD has started.
pub async fn queue_first_sends(app: &App, now: Timestamp) -> anyhow::Result<usize> {
    let n = app.queue_first_sends(now, BATCH).await?;
    if n > 0 {
        tracing::info!(count = n, "queued first provisioning emails");
        metrics::counter!("provisio_emails_queued_total", "kind" => "initial").increment(n as u64);
    }
    Ok(n)
}

/// R6: close open lines whose provisioning window has lapsed.
pub async fn close_lapsed(app: &App, now: Timestamp) -> anyhow::Result<usize> {
    let n = app.close_lapsed(now, BATCH).await?;
    if n > 0 {
        tracing::info!(count = n, "closed lines whose provisioning window lapsed");
        metrics::counter!("provisio_lines_closed_total").increment(n as u64);
    }
    Ok(n)
}
