//! Request latency under concurrent clients: each client has its own keep-alive connection and
//! takes the next unsent request until none is left, so every request is made exactly once.
//! With several instances, the clients are spread over them round-robin (client i talks to
//! instance i mod n).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;

/// How each request proves who makes it: an API key (`Authorization: Bearer`) or a signed-in
/// web session (its `Cookie` header).
#[derive(Clone)]
pub enum Auth {
    Bearer(String),
    Cookie(String),
}

/// One request: method POST or GET and the path (on whichever instance the client talks to).
#[derive(Clone)]
pub struct Call {
    pub post: bool,
    pub path: String,
}

pub struct Latencies {
    sorted: Vec<Duration>,
}

impl Latencies {
    pub fn percentile(&self, p: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }
}

/// Runs `calls` with `clients` concurrent clients spread over the instances at `bases` (base
/// URLs), each authorized by `auth`; every answer must have status `expect`. A `Set-Cookie` in
/// an answer is ignored: every request carries the same `auth`.
pub async fn measure(
    calls: Vec<Call>,
    bases: &[String],
    clients: usize,
    auth: &Auth,
    expect: u16,
) -> anyhow::Result<Latencies> {
    if bases.is_empty() {
        bail!("no instance to measure");
    }
    let calls = Arc::new(calls);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (_, base) in (0..clients).zip(bases.iter().cycle()) {
        let (calls, next, auth) = (Arc::clone(&calls), Arc::clone(&next), auth.clone());
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            // A redirect is an answer, not followed: a page that sends a signed-out client
            // to the sign-in page must not count as read.
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(call) = calls.get(i) else { break };
                let url = format!("{base}{}", call.path);
                let req = if call.post {
                    http.post(&url)
                } else {
                    http.get(&url)
                };
                let req = match &auth {
                    Auth::Bearer(key) => req.bearer_auth(key),
                    Auth::Cookie(cookie) => req.header(reqwest::header::COOKIE, cookie),
                };
                let started = Instant::now();
                let reply = req.send().await?;
                let status = reply.status().as_u16();
                let body = reply.bytes().await?;
                times.push(started.elapsed());
                if status != expect {
                    bail!(
                        "{url} answered {status}, not {expect}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
            }
            anyhow::Ok(times)
        }));
    }
    let mut sorted = Vec::new();
    for task in tasks {
        let times = task.await??;
        sorted.extend(times);
    }
    sorted.sort();
    Ok(Latencies { sorted })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latencies { sorted };
        assert_eq!(l.percentile(50.0), Duration::from_millis(50));
        assert_eq!(l.percentile(99.0), Duration::from_millis(99));
        assert_eq!(l.percentile(100.0), Duration::from_millis(100));
        let empty = Latencies { sorted: vec![] };
        assert_eq!(empty.percentile(99.0), Duration::ZERO);
    }
}
