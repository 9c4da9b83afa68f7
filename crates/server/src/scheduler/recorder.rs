//! Group commit of attempt results: the sends in flight hand their results to one recorder,
//! which writes all that arrived meanwhile in one call (one transaction; on PostgreSQL one
//! statement for many rows), so the database's round trips do not become the delivery rate.
//!
//! A send still waits until its own result is committed before its slot is freed: at any
//! moment at most `sends_in_flight` emails have been handed to the SMTP server without a
//! recorded result, so a crash sends at most that many twice (SPEC §9), batches included.

use provisio_store::Finished;
use tokio::sync::{mpsc, oneshot};

use crate::app::App;

/// Results written together at most.
const BATCH: usize = 128;

type Waiter = oneshot::Sender<Result<(), String>>;

/// Cheap to clone; the recording task ends when the last clone is dropped.
#[derive(Clone)]
pub struct Recorder {
    results: mpsc::UnboundedSender<(Finished, Waiter)>,
}

impl Recorder {
    /// Starts the recording task on `app`'s store.
    pub fn start(app: App) -> Self {
        let (results, rx) = mpsc::unbounded_channel();
        tokio::spawn(record(app, rx));
        Self { results }
    }

    /// Records one attempt's result; returns once it is committed (with those of the sends
    /// that finished meanwhile).
    pub async fn record(&self, finished: Finished) -> anyhow::Result<()> {
        let (done, committed) = oneshot::channel();
        self.results
            .send((finished, done))
            .map_err(|_| anyhow::anyhow!("the result recorder stopped"))?;
        committed
            .await
            .map_err(|_| anyhow::anyhow!("the result recorder stopped"))?
            .map_err(|e| anyhow::anyhow!("recording delivery results: {e}"))
    }
}

async fn record(app: App, mut rx: mpsc::UnboundedReceiver<(Finished, Waiter)>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let (finished, waiters): (Vec<Finished>, Vec<Waiter>) = batch.drain(..).unzip();
        metrics::histogram!("provisio_results_per_commit").record(finished.len() as f64);
        #[allow(clippy::disallowed_methods)] // how long a commit takes is real time
        let started = std::time::Instant::now();
        let done = app.finish_emails(finished).await.map_err(|e| e.to_string());
        metrics::histogram!("provisio_results_commit_seconds")
            .record(started.elapsed().as_secs_f64());
        for waiter in waiters {
            // A send that stopped waiting (its round was aborted) needs no answer.
            let _ = waiter.send(done.clone());
        }
    }
}
