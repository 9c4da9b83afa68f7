//! `--sweeps`: issue 22's fourth target measured from outside — the scheduler's sweeps over
//! many lines at once and an offer-policy change over all of them. For each size and backend
//! (one `serve`), a fresh installation gets N lines due tomorrow through the real import path
//! (orders of 1,000, offer A-FLEX, whose window is 7 days), and one `serve --test-clock` sends
//! into `smtp-sink` (counting the messages, keeping none). Then, one after the other:
//!
//! 1. **first sends**: the test clock is advanced to tomorrow; the time from that request
//!    until `/metrics` counts N initial emails queued
//!    (`provisio_emails_queued_total{kind="initial"}`), and until the sink has accepted N.
//! 2. **offer-policy change**, A-FLEX 7 → 14 days, now that every line's window runs. Its
//!    preview exists only in the web administration: `GET /admin/policies/preview`, signed in
//!    as the admin through the real sign-in form, timed until the whole page (how many lines'
//!    deadlines move, and the first 100) has arrived. The change is `PUT /api/v1/offer-policies/A-FLEX`
//!    as the admin; it is timed until the last line of the last order shows its new deadline
//!    (`GET /api/v1/lines/{ref}`, polled), and until the stored deadlines have followed (the
//!    scheduler's batches: the policies page no longer says they are being moved).
//! 3. **closed by policy**: the clock is advanced in one step past every new deadline (14 days,
//!    plus the real time since the first advance, plus 60 s); the time from that request until
//!    `provisio_lines_closed_total` counts N.
//!
//! `/metrics` and the line are polled every [`POLL`]; a phase that has not ended after
//! [`LIMIT`] fails with what it reached.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::instance::{ADMIN, ADMIN_PASSWORD};
use crate::postfix::Postfix;
use crate::{Backend, thousands};

/// How often `/metrics` (or the line) is read while a phase runs.
const POLL: Duration = Duration::from_millis(10);
/// How long a phase may take before the benchmark gives up (delivering 1,000,000 emails on
/// PostgreSQL here takes ~10 minutes).
const LIMIT: Duration = Duration::from_secs(1_200);
/// Progress on stderr at most this often while a phase runs.
const PROGRESS: Duration = Duration::from_secs(10);
/// Every imported line's offer, and its window before and after the change.
const OFFER: &str = "A-FLEX";
const OLD_DAYS: i64 = 7;
const NEW_DAYS: i64 = 14;

pub const HEADER: [&str; 9] = [
    "backend",
    "lines",
    "import",
    "first sends queued (s)",
    "all delivered (s)",
    "policy preview (ms)",
    "policy change in effect / stored (s)",
    "all closed (s)",
    "RSS after",
];

/// Every size on every backend, a row each: the table on stdout, each row also on stderr as
/// it is measured (a later failure keeps the earlier rows).
pub async fn run(
    bin: &Path,
    postgres: &str,
    postfix: &Postfix,
    backends: &[Backend],
    sizes: &[usize],
) -> anyhow::Result<()> {
    if let Some(b) = backends.iter().find(|b| b.instances() > 1) {
        bail!("--sweeps runs one instance: give sqlite and/or pg in --backends, not {b}");
    }
    let mut table = Vec::new();
    for &lines in sizes {
        for &backend in backends {
            let row = one_size(bin, postgres, postfix, backend, lines).await?;
            eprintln!("{backend}, {lines} lines: | {} |", row.join(" | "));
            table.push(row);
        }
    }
    println!("\n| {} |", HEADER.join(" | "));
    println!("|{}", "---|".repeat(HEADER.len()));
    for r in &table {
        println!("| {} |", r.join(" | "));
    }
    Ok(())
}

async fn one_size(
    bin: &Path,
    postgres: &str,
    postfix: &Postfix,
    backend: Backend,
    lines: usize,
) -> anyhow::Result<Vec<String>> {
    if lines == 0 {
        bail!("--sweeps: a size of at least one line");
    }
    let (db, instance, import) = crate::scale::installation(bin, postgres, backend, lines).await?;
    let sink = postfix.start_discarding_sink().await?;
    let fleet = instance.serve(&format!("smtp://{}", sink.addr), 1).await?;
    let server = fleet.first()?;
    let http = reqwest::Client::builder()
        .timeout(LIMIT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let base = server.base.as_str();
    let n = lines as f64;

    eprintln!("{backend}, {lines} lines: 1. advancing the clock to tomorrow …");
    let seconds = server.seconds_to_tomorrow().await?;
    let advanced = Instant::now();
    server.advance(seconds).await?;
    let (mut queued, mut delivered) = (None, None);
    wait("first sends", advanced, async || {
        let count = match queued {
            Some(_) => n,
            None => metric(&http, base, QUEUED).await?,
        };
        if queued.is_none() && count >= n {
            queued = Some(advanced.elapsed());
        }
        let accepted = sink.accepted()?;
        if delivered.is_none() && accepted >= lines {
            delivered = Some(advanced.elapsed());
        }
        let progress = format!("{count} of {lines} initial emails queued, {accepted} delivered");
        Ok((queued.is_some() && delivered.is_some(), progress))
    })
    .await?;
    // Set by the closure before it reports the phase done.
    let queued = queued.context("first sends queued")?;
    let delivered = delivered.context("first sends delivered")?;

    eprintln!(
        "{backend}, {lines} lines: 2. the policy's preview and change, {OFFER} {OLD_DAYS} → {NEW_DAYS} days …"
    );
    let last_order = instance.order_ids.last().context("an imported order")?;
    let last = server.sub_refs(last_order).await?;
    let last = last.last().context("the last order's last line")?;
    // The admin, signed in once through the real form, reads the preview and the policies page.
    let cookie = crate::signin::sign_in(base, ADMIN, ADMIN_PASSWORD).await?;
    let preview = preview(&http, base, &cookie, lines).await?;
    let (change, changed) = change(&http, base, &instance.admin_key, last).await?;
    let change = format!(
        "{change} / {}",
        stored(&http, base, &cookie, changed).await?
    );

    eprintln!("{backend}, {lines} lines: 3. advancing the clock past every new deadline …");
    let seconds = (NEW_DAYS * 86_400) as f64 + advanced.elapsed().as_secs_f64() + 60.0;
    let started = Instant::now();
    server.advance(seconds).await?;
    let closed = wait("closed by policy", started, async || {
        let count = metric(&http, base, CLOSED).await?;
        Ok((count >= n, format!("{count} of {lines} lines closed")))
    })
    .await?;

    let rss = crate::scale::rss(&fleet);
    fleet.stop().await?;
    drop(sink);
    if let Some(db) = db {
        db.drop_now().await?;
    }
    Ok(vec![
        backend.to_string(),
        thousands(n),
        format!("{}/s", thousands(import)),
        secs(queued),
        secs(delivered),
        preview,
        change,
        secs(closed),
        rss,
    ])
}

/// Calls `reached` every [`POLL`] until it says so; the time from `started` until then. Its
/// second answer says how far it got (on stderr every [`PROGRESS`], and in the error after
/// [`LIMIT`]).
async fn wait(
    phase: &str,
    started: Instant,
    mut reached: impl AsyncFnMut() -> anyhow::Result<(bool, String)>,
) -> anyhow::Result<Duration> {
    let mut reported = Instant::now();
    loop {
        let (done, progress) = reached().await?;
        if done {
            let took = started.elapsed();
            eprintln!("  {phase}: {progress} after {:.3} s", took.as_secs_f64());
            return Ok(took);
        }
        if started.elapsed() > LIMIT {
            bail!("{phase}: after {} s, {progress}", LIMIT.as_secs());
        }
        if reported.elapsed() > PROGRESS {
            eprintln!(
                "  {phase}: {progress} after {:.0} s",
                started.elapsed().as_secs_f64()
            );
            reported = Instant::now();
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A counter of `/metrics` and the label its samples must have (`None`: every sample).
type Counter = (&'static str, Option<&'static str>);
const QUEUED: Counter = ("provisio_emails_queued_total", Some(r#"kind="initial""#));
const CLOSED: Counter = ("provisio_lines_closed_total", None);

async fn metric(http: &reqwest::Client, base: &str, (name, label): Counter) -> anyhow::Result<f64> {
    let reply = http.get(format!("{base}/metrics")).send().await?;
    let status = reply.status();
    if !status.is_success() {
        bail!("GET /metrics answered {status}");
    }
    Ok(counter(&reply.text().await?, name, label))
}

/// The sum of the samples of counter `name` in Prometheus' text format whose labels include
/// `label` (e.g. `kind="initial"`; `None`: all of them); 0 before the first is counted.
fn counter(text: &str, name: &str, label: Option<&str>) -> f64 {
    text.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix(name)?;
            let (labels, value) = match rest.strip_prefix('{') {
                Some(r) => r.split_once('}')?,
                None if rest.starts_with([' ', '\t']) => ("", rest),
                // Another metric whose name starts with this one's.
                None => return None,
            };
            let wanted = label.is_none_or(|want| labels.split(',').any(|p| p.trim() == want));
            let value = value.split_whitespace().next()?.parse::<f64>().ok()?;
            wanted.then_some(value)
        })
        .sum()
}

/// The policy's preview as the admin sees it, signed in on the web: the time until the whole
/// page has arrived, in ms (with its status when it is not 200).
async fn preview(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    lines: usize,
) -> anyhow::Result<String> {
    let url = format!("{base}/admin/policies/preview?offer={OFFER}&window_days={NEW_DAYS}");
    let started = Instant::now();
    let reply = http.get(url).header(COOKIE, cookie).send().await?;
    let status = reply.status();
    let body = reply.bytes().await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    // The first 100 lines whose deadline moves are rows `<tr id="move-{ref}">`; beyond them
    // the page counts them all.
    let page = String::from_utf8_lossy(&body);
    let listed = page.matches(r#"id="move-"#).count();
    let counted = format!("The deadlines of {lines} lines move");
    eprintln!(
        "  preview: {status} after {ms:.1} ms, {} bytes, {listed} of {lines} lines listed",
        body.len()
    );
    if !status.is_success() {
        return Ok(format!("{status} after {ms:.1}"));
    }
    if listed != lines.min(100) || (lines > 100 && !page.contains(&counted)) {
        eprintln!("  warning: the preview does not say that {lines} lines' deadlines move");
    }
    Ok(format!("{ms:.1}"))
}

/// The change itself, as the admin through the API: the time (in s) from the request until
/// the line `sub_ref` shows the new deadline, and when the request started.
async fn change(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    sub_ref: &str,
) -> anyhow::Result<(String, Instant)> {
    let line = read_line(http, base, key, sub_ref).await?;
    let first: Timestamp = line["first_sent_at"]
        .as_str()
        .context("the line's first_sent_at: not sent?")?
        .parse()?;
    let deadline = |days: i64| first.checked_add(SignedDuration::from_hours(days * 24));
    let (old, new) = (deadline(OLD_DAYS)?, deadline(NEW_DAYS)?);
    let before = closes_at(&line)?;
    if before != Some(old) {
        eprintln!("  warning: {sub_ref} closes at {before:?} before the change, not {old}");
    }
    let url = format!("{base}/api/v1/offer-policies/{OFFER}");
    let started = Instant::now();
    let reply = http
        .put(url)
        .bearer_auth(key)
        .json(&json!({ "window_days": NEW_DAYS }))
        .send()
        .await?;
    let answered = started.elapsed();
    let status = reply.status();
    let body = reply.text().await.unwrap_or_default();
    eprintln!(
        "  change: PUT answered {status} after {:.3} s",
        answered.as_secs_f64()
    );
    // Refused (403, 422, …): nothing will change. Timed out (503): it may still be applied.
    if status.is_client_error() {
        bail!("PUT /api/v1/offer-policies/{OFFER} answered {status}: {body}");
    }
    let in_effect = wait("the policy change", started, async || {
        let now = closes_at(&read_line(http, base, key, sub_ref).await?)?;
        let progress = format!("{sub_ref} closes at {now:?}, the new deadline is {new}");
        Ok((now == Some(new), progress))
    })
    .await?;
    let text = if status.is_success() {
        secs(in_effect)
    } else {
        format!("{} (PUT: {status})", secs(in_effect))
    };
    Ok((text, started))
}

/// Until the policies page no longer says the deadlines are being moved: the time, in s,
/// from the change's request (`started`).
async fn stored(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    started: Instant,
) -> anyhow::Result<String> {
    const MOVING: &str = "The deadlines of running lines are being moved";
    let done = wait("the stored deadlines", started, async || {
        let reply = http
            .get(format!("{base}/admin/policies"))
            .header(COOKIE, cookie)
            .send()
            .await?;
        let status = reply.status();
        if !status.is_success() {
            bail!("GET /admin/policies answered {status}");
        }
        let moving = reply.text().await?.contains(MOVING);
        Ok((
            !moving,
            "the policies page says they are being moved".to_owned(),
        ))
    })
    .await?;
    Ok(secs(done))
}

async fn read_line(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    sub_ref: &str,
) -> anyhow::Result<Value> {
    let reply = http
        .get(format!("{base}/api/v1/lines/{sub_ref}"))
        .bearer_auth(key)
        .send()
        .await?;
    let status = reply.status();
    if !status.is_success() {
        bail!("GET /api/v1/lines/{sub_ref} answered {status}");
    }
    Ok(reply.json().await?)
}

fn closes_at(line: &Value) -> anyhow::Result<Option<Timestamp>> {
    match line["closes_at"].as_str() {
        Some(t) => Ok(Some(t.parse().context("the line's closes_at")?)),
        None => Ok(None),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_from_prometheus_text() {
        let text = "# TYPE provisio_emails_queued_total counter\n\
            provisio_emails_queued_total{kind=\"initial\"} 20000\n\
            provisio_emails_queued_total{kind=\"resend\"} 7\n\
            provisio_lines_closed_total 1500\n\
            provisio_lines_closed_total_other 9\n";
        assert_eq!(counter(text, QUEUED.0, QUEUED.1), 20000.0);
        assert_eq!(counter(text, QUEUED.0, None), 20007.0);
        assert_eq!(counter(text, CLOSED.0, CLOSED.1), 1500.0);
        assert_eq!(counter("", CLOSED.0, CLOSED.1), 0.0);
    }
}
