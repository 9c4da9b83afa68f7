//! `--scale`: how the reads cost as the stored lines grow (issue 22's first measurement). For
//! each size and backend, a fresh installation gets N lines through the real import path
//! (`provisio order import`, orders of 1,000 lines whose requested start date is tomorrow, so
//! nothing is sent meanwhile), one `serve` starts on it, and each read below is made by
//! [`CLIENTS`] concurrent clients [`CALLS`] times: p50 and p99 per read, the import's rate,
//! the server's resident memory after the reads and how long it took to answer `/readyz`.
//! The API reads carry Pia's key; the web pages her session, signed in once through the real
//! sign-in form and shared by the clients.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use crate::database::BenchDatabase;
use crate::instance::{Fleet, Instance, PIA, PIA_PASSWORD};
use crate::latency::{Auth, Call, measure};
use crate::{Backend, ms, thousands};

/// Concurrent clients of each read.
const CLIENTS: usize = 4;
/// Requests per read.
const CALLS: usize = 400;

/// Whom a read is made as: Pia's API key, or her signed-in web session.
#[derive(Clone, Copy)]
enum Via {
    Api,
    Web,
}

/// The reads measured, by name (see [`calls`] for how each is made from an installation's
/// first order, its id and its lines' references), and whom each is made as.
const READS: [(&str, Via); 12] = [
    ("order of 1,000 lines", Via::Api),
    ("a line", Via::Api),
    ("search: a whole reference", Via::Api),
    ("search: part of a contact", Via::Api),
    ("search: an end customer", Via::Api),
    ("search: nothing found", Via::Api),
    ("orders search: part of a contact", Via::Api),
    ("Subscriptions page (incomplete)", Via::Api),
    ("attention list", Via::Api),
    ("web order page", Via::Web),
    ("web Subscriptions page", Via::Web),
    // Once signed in, `/` is what needs attention.
    ("web attention page", Via::Web),
];

fn calls(read: &str, order: &str, refs: &[String]) -> Vec<Call> {
    (0..CALLS)
        .map(|i| {
            let sub = &refs[(i * 37) % refs.len()];
            let path = match read {
                "order of 1,000 lines" => format!("/api/v1/orders/{order}"),
                "a line" => format!("/api/v1/lines/{sub}"),
                "search: a whole reference" => format!("/api/v1/subscriptions?q={sub}"),
                // Contacts are c{i}@{order}.customer.example: a part that names one order.
                "search: part of a contact" => format!("/api/v1/subscriptions?q=@{order}.cust"),
                "search: an end customer" => "/api/v1/subscriptions?q=kund".to_owned(),
                "search: nothing found" => "/api/v1/subscriptions?q=nobody@nowhere".to_owned(),
                "orders search: part of a contact" => {
                    format!("/api/v1/orders?q=@{order}.cust")
                }
                "Subscriptions page (incomplete)" => {
                    "/api/v1/subscriptions?provisioning=incomplete".to_owned()
                }
                "attention list" => "/api/v1/attention".to_owned(),
                "web order page" => format!("/orders/{order}"),
                "web Subscriptions page" => "/subscriptions?provisioning=incomplete".to_owned(),
                _ => "/".to_owned(),
            };
            Call { post: false, path }
        })
        .collect()
}

/// A fresh installation of `lines` imported lines on `backend` (its own PostgreSQL database,
/// dropped by the caller), and the import's rate in lines per second.
pub async fn installation(
    bin: &Path,
    postgres: &str,
    backend: Backend,
    lines: usize,
) -> anyhow::Result<(Option<BenchDatabase>, Instance, f64)> {
    let db = match backend {
        Backend::Sqlite => None,
        Backend::Postgres(_) => Some(BenchDatabase::create(postgres).await?),
    };
    eprintln!("{backend}, {lines} lines: importing …");
    let started = Instant::now();
    let instance = Instance::prepare(bin, lines, db.as_ref().map(BenchDatabase::url)).await?;
    let import = lines as f64 / started.elapsed().as_secs_f64();
    Ok((db, instance, import))
}

/// One size on one backend: its row of the table.
pub async fn one_size(
    bin: &Path,
    postgres: &str,
    backend: Backend,
    lines: usize,
) -> anyhow::Result<Vec<String>> {
    let (db, instance, import) = installation(bin, postgres, backend, lines).await?;
    // Nothing is due before tomorrow: the SMTP server is never called.
    let started = Instant::now();
    let fleet = instance.serve("smtp://127.0.0.1:9", 1).await?;
    let ready = started.elapsed();
    let first = fleet.first()?;
    let order = instance
        .order_ids
        .first()
        .context("an imported order")?
        .clone();
    let refs = first.sub_refs(&order).await?;
    let bases = fleet.bases();
    let mut row = vec![
        backend.to_string(),
        thousands(lines as f64),
        format!("{}/s", thousands(import)),
        ms(ready),
    ];
    let api = Auth::Bearer(instance.pia_key.clone());
    let web = Auth::Cookie(crate::signin::sign_in(&first.base, PIA, PIA_PASSWORD).await?);
    for (read, via) in READS {
        let rss = rss(&fleet);
        eprintln!("{backend}, {lines} lines: {read} … (server RSS before: {rss})");
        let auth = match via {
            Via::Api => &api,
            Via::Web => &web,
        };
        let l = measure(calls(read, &order, &refs), &bases, CLIENTS, auth, 200).await?;
        row.push(format!(
            "{} / {}",
            ms(l.percentile(50.0)),
            ms(l.percentile(99.0))
        ));
    }
    row.push(rss(&fleet));
    fleet.stop().await?;
    if let Some(db) = db {
        db.drop_now().await?;
    }
    Ok(row)
}

/// The table's header: the installation, then each read's p50 / p99.
pub fn header() -> Vec<String> {
    let mut h: Vec<String> = ["backend", "lines", "import", "start to ready"]
        .map(str::to_owned)
        .to_vec();
    h.extend(READS.map(|(r, _)| format!("{r} p50 / p99")));
    h.push("RSS after".to_owned());
    h
}

/// The (first) server's resident memory, e.g. "37 MB".
pub fn rss(fleet: &Fleet) -> String {
    let kb = fleet.pids().first().and_then(|pid| rss_of(*pid));
    kb.map_or("–".to_owned(), |kb| format!("{} MB", kb / 1024))
}

/// A process's resident memory in KiB (Linux `/proc`).
fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}
