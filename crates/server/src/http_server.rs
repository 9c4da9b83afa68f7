//! The HTTP listener under the router: HTTP/1.1 connections (hyper) with a header-read
//! timeout and a cap on open connections, so slow or idle clients cannot hold the service.
//!
//! - A connection that has not sent a whole request head within `header_read_timeout` (also
//!   an idle keep-alive connection between requests) is closed.
//! - At most `max_connections` are open at once; one over the cap is answered at once with a
//!   `503` problem document and closed (a fast, honest answer instead of a silent backlog),
//!   or, while many are being refused at the same moment, closed unanswered.
//!   The process's open-file limit is raised to its hard limit at start, and the cap is kept
//!   below it, so the store, the SMTP pool and the mail files always find descriptors.
//! - On shutdown, the listener closes and every connection finishes its request in progress.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Descriptors kept free for everything that is not an HTTP connection.
const RESERVED_DESCRIPTORS: u64 = 256;

/// Connections over the cap being answered at once, at most; more are closed unanswered (a
/// flood must not hold descriptors through its refusals either).
const REFUSING_AT_MOST: usize = 64;

/// What one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// The cap that fits this process: the configured one, but never more than the open-file
    /// limit (raised to its hard limit first) minus a reserve.
    pub fn fitted(self) -> Self {
        let descriptors = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        let room = descriptors.saturating_sub(RESERVED_DESCRIPTORS).max(16);
        let max_connections = usize::try_from(room)
            .unwrap_or(usize::MAX)
            .min(self.max_connections);
        if max_connections < self.max_connections {
            tracing::warn!(
                configured = self.max_connections,
                max_connections,
                open_file_limit = descriptors,
                "the open-file limit allows fewer HTTP connections than configured"
            );
        }
        Self {
            max_connections,
            ..self
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(REFUSING_AT_MOST));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: wait a
                    // moment instead of spinning, and keep serving the connections we have.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            metrics::counter!("provisio_http_connections_refused_total").increment(1);
            if let Ok(answering) = Arc::clone(&refusing).try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(answering);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Errors here are the client's (reset, timed out, malformed); hyper answered what
            // could still be answered.
            if let Err(e) = connection.await {
                tracing::debug!("connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The answer to a connection over the cap.
async fn refuse(mut stream: TcpStream) {
    let body =
        crate::http::problem::for_status(axum::http::StatusCode::SERVICE_UNAVAILABLE).to_string();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {}\r\ncontent-length: {}\r\n\
         retry-after: 1\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        crate::http::problem::PROBLEM_JSON,
        body.len()
    );
    let write = async {
        // Read what the client sent first, so closing does not reset the connection before
        // the client has read the answer.
        let mut request = [0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut request)).await;
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), write).await;
}
