//! `provisio-bench`: the two benchmarks of README's "Performance" section, run against a built
//! `provisio` binary and Postfix's `smtp-sink` / `smtp-source`.
//!
//! - dispatch: N lines due on one requested start date; the test clock is advanced and the time
//!   runs from that request until the sink has accepted all N emails. In the same run,
//!   `smtp-source` sends N messages of the same size into the same sink (20 sessions, reused
//!   connections) as the raw baseline.
//! - resend latency: on those N sent lines, 32 clients resend distinct lines, each line once;
//!   `/healthz` is measured the same way just before, as the floor.
//!
//! Each run measures every backend asked for (`--backends sqlite,pg1,pg3`), one after the
//! other: SQLite in a data directory, or a fresh PostgreSQL database with one or more `serve`
//! processes on it (the lines imported once, the clock advanced through the first instance,
//! the latency clients spread over all of them round-robin).

// A benchmark measures wall time; the service's Clock rule does not apply here.
#![allow(clippy::disallowed_methods)]

mod database;
mod instance;
mod latency;
mod postfix;
mod scale;
mod signin;
mod sweeps;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;

use database::BenchDatabase;
use instance::Instance;
use latency::{Auth, Call, measure};
use postfix::Postfix;

#[derive(Parser)]
#[command(
    name = "provisio-bench",
    about = "Benchmarks of a built provisio binary (see README, Performance)."
)]
struct Args {
    /// Lines due on the one requested start date (and resends made).
    #[arg(long, default_value_t = 10_000)]
    lines: usize,
    /// Runs; each figure is reported per run and as the median.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Concurrent HTTP clients in the latency benchmark.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Parallel smtp-source sessions for the raw baseline.
    #[arg(long, default_value_t = 20)]
    sessions: usize,
    /// The provisio binary [default: provisio beside this program, e.g. target/release].
    #[arg(long)]
    provisio: Option<PathBuf>,
    /// A directory with Debian's postfix package unpacked (dpkg -x), if smtp-sink and
    /// smtp-source are not on PATH.
    #[arg(long, env = "PROVISIO_BENCH_POSTFIX")]
    postfix: Option<PathBuf>,
    /// Where the sink writes its message files. The default, tmpfs, keeps this shared
    /// machine's noisy disk out of the figures (measured here: the raw rate into a disk
    /// directory varied from 1,600 to 5,700 messages/s between identical runs, into tmpfs
    /// 14,000–14,500/s).
    #[arg(long, default_value = "/dev/shm")]
    sink_dir: PathBuf,
    /// What each run measures, in this order: `sqlite` (one `serve` on SQLite), `pgN` (N
    /// `serve` processes on one PostgreSQL database; `pg` is `pg1`). A list, e.g.
    /// `sqlite,pg1,pg3`, or the option repeated.
    #[arg(long, value_delimiter = ',', default_value = "sqlite", value_parser = parse_backend)]
    backends: Vec<Backend>,
    /// The PostgreSQL server for the `pg` backends: a `postgres://` URL of a database the
    /// benchmark may create databases from. Each run gets a fresh one (`provisio_bench_<uuid>`),
    /// dropped after it.
    #[arg(
        long,
        env = "PROVISIO_BENCH_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,
    /// Exit 1 unless the medians meet the targets: on SQLite ≥ 2,000 emails/s, ≥ 0.5 of raw
    /// and resend p99 < 10 ms; on each PostgreSQL backend resend p99 < 10 ms; three
    /// instances on PostgreSQL dispatch at least as fast as one on SQLite (when both ran).
    #[arg(long)]
    check: bool,
    /// Instead of dispatch and resend: the reads (an order, a line, searches, Subscriptions,
    /// attention; through the API and as web pages, signed in) and the import at these numbers
    /// of stored lines, e.g. `10000,100000,1000000`, on each backend of `--backends` (one
    /// instance). See README, Performance, At scale.
    #[arg(long, value_delimiter = ',')]
    scale: Vec<usize>,
    /// Instead of dispatch and resend: the sweeps over these numbers of lines due at once, e.g.
    /// `100000,1000000`, on each backend of `--backends` (one instance): first sends queued and
    /// delivered, an offer-policy change's preview, effect and stored deadlines, all closed by
    /// policy. Needs `--postfix` (or smtp-sink on PATH). See README, Performance, Sweeps.
    #[arg(long, value_delimiter = ',', conflicts_with = "scale")]
    sweeps: Vec<usize>,
}

/// Where provisio keeps its data in one benchmark: SQLite, or PostgreSQL with this many
/// `serve` processes on the one database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres(usize),
}

impl Backend {
    fn instances(self) -> usize {
        match self {
            Backend::Sqlite => 1,
            Backend::Postgres(n) => n,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Sqlite => write!(f, "sqlite"),
            Backend::Postgres(n) => write!(f, "pg ×{n}"),
        }
    }
}

fn parse_backend(s: &str) -> Result<Backend, String> {
    let s = s.trim().to_ascii_lowercase();
    let count = match s.as_str() {
        "sqlite" => return Ok(Backend::Sqlite),
        "pg" | "postgres" => "1",
        _ => s
            .strip_prefix("pg")
            .ok_or_else(|| format!("{s}: expected sqlite, pg or pgN (N instances, 1–8)"))?,
    };
    match count.parse::<usize>() {
        Ok(n @ 1..=8) => Ok(Backend::Postgres(n)),
        _ => Err(format!(
            "{s}: expected sqlite, pg or pgN (N instances, 1–8)"
        )),
    }
}

struct Run {
    dispatch: f64,
    /// The servers' CPU time (all instances) per email dispatched and per resend (incl. its
    /// delivery).
    cpu_per_email: Duration,
    cpu_per_resend: Duration,
    /// The same for the PostgreSQL backends serving the database (`None` on SQLite).
    pg_cpu_per_email: Option<Duration>,
    pg_cpu_per_resend: Option<Duration>,
    raw: f64,
    /// dispatch / raw (of the same run; in a median row, the median of the runs' ratios).
    ratio: f64,
    resend_p50: Duration,
    resend_p99: Duration,
    healthz_p99: Duration,
}

#[tokio::main]
async fn main() -> ExitCode {
    match bench(Args::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn bench(mut args: Args) -> anyhow::Result<bool> {
    let bin = match &args.provisio {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("this program's directory")?
            .join("provisio"),
    };
    if !bin.is_file() {
        bail!(
            "{} not found: build it first (cargo build --release --workspace)",
            bin.display()
        );
    }
    let mut backends = Vec::new();
    for b in std::mem::take(&mut args.backends) {
        if !backends.contains(&b) {
            backends.push(b);
        }
    }
    if !args.scale.is_empty() {
        let mut table = Vec::new();
        for lines in &args.scale {
            for backend in &backends {
                table.push(scale::one_size(&bin, &args.postgres, *backend, *lines).await?);
            }
        }
        println!("\n| {} |", scale::header().join(" | "));
        println!("|{}", "---|".repeat(scale::header().len()));
        for r in &table {
            println!("| {} |", r.join(" | "));
        }
        return Ok(true);
    }
    let postfix = Postfix::find(args.postfix.as_deref())?;
    if !args.sweeps.is_empty() {
        sweeps::run(&bin, &args.postgres, &postfix, &backends, &args.sweeps).await?;
        return Ok(true);
    }
    // Per backend, its runs.
    let mut runs: Vec<Vec<Run>> = backends.iter().map(|_| Vec::new()).collect();
    for n in 1..=args.runs {
        let mut table = Vec::new();
        for (backend, of_backend) in backends.iter().zip(runs.iter_mut()) {
            let run = one_run(&args, &bin, &postfix, n, *backend).await?;
            table.push(row(&backend.to_string(), &run));
            of_backend.push(run);
        }
        println!(
            "\nrun {n} of {}, {} lines:\n",
            args.runs,
            thousands(args.lines as f64)
        );
        print_table(&table);
    }

    let medians: Vec<Run> = runs.iter().map(|r| median_run(r)).collect();
    println!(
        "\nmedian of {} runs, {} lines:\n",
        args.runs,
        thousands(args.lines as f64)
    );
    let table: Vec<Vec<String>> = backends
        .iter()
        .zip(&medians)
        .map(|(b, m)| row(&format!("**{b}**"), m))
        .collect();
    print_table(&table);
    println!();

    // Each target: its name and whether the medians meet it (`None`: not measured).
    let mut checks: Vec<(String, Option<bool>)> = Vec::new();
    let ten_ms = Duration::from_millis(10);
    for (backend, m) in backends.iter().zip(&medians) {
        if *backend == Backend::Sqlite {
            checks.push((
                format!("{backend}: dispatch ≥ 2,000 emails/s"),
                Some(m.dispatch >= 2000.0),
            ));
            checks.push((
                format!("{backend}: dispatch ≥ 0.5 of raw"),
                Some(m.ratio >= 0.5),
            ));
        }
        checks.push((
            format!("{backend}: resend p99 < 10 ms"),
            Some(m.resend_p99 < ten_ms),
        ));
    }
    let of = |b: Backend| {
        backends
            .iter()
            .position(|x| *x == b)
            .and_then(|i| medians.get(i))
    };
    if let Some(pg3) = of(Backend::Postgres(3)) {
        checks.push((
            format!("{}: dispatch ≥ sqlite's", Backend::Postgres(3)),
            of(Backend::Sqlite).map(|sqlite| pg3.dispatch >= sqlite.dispatch),
        ));
    }
    for (name, ok) in &checks {
        let verdict = match ok {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured (add sqlite to --backends)",
        };
        println!("target {name}: {verdict}");
    }
    Ok(!args.check || checks.iter().all(|(_, ok)| *ok != Some(false)))
}

async fn one_run(
    args: &Args,
    bin: &std::path::Path,
    postfix: &Postfix,
    n: usize,
    backend: Backend,
) -> anyhow::Result<Run> {
    let lines = args.lines;
    let db = match backend {
        Backend::Sqlite => None,
        Backend::Postgres(_) => Some(BenchDatabase::create(&args.postgres).await?),
    };
    eprintln!("run {n}, {backend}: importing {lines} lines due tomorrow …");
    let instance = Instance::prepare(bin, lines, db.as_ref().map(BenchDatabase::url)).await?;
    let dump = tempfile::tempdir_in(&args.sink_dir)
        .with_context(|| format!("creating a dump directory in {}", args.sink_dir.display()))?;
    let sink = postfix.start_sink(dump.path()).await?;
    let fleet = instance
        .serve(&format!("smtp://{}", sink.addr), backend.instances())
        .await?;
    let first = fleet.first()?;
    let pids: Vec<String> = fleet.pids().iter().map(u32::to_string).collect();
    eprintln!(
        "run {n}, {backend}: serve pid {}; advancing the clock to the requested start date …",
        pids.join(", ")
    );
    let seconds = first.seconds_to_tomorrow().await?;
    let cpu_before = fleet.cpu_time();
    let pg_before = match &db {
        Some(db) => Some(db.backend_cpu().await?),
        None => None,
    };
    let started = Instant::now();
    first.advance(seconds).await?;
    let deadline = started + Duration::from_secs(600);
    while sink.accepted()? < lines {
        if Instant::now() > deadline {
            bail!(
                "the sink holds {} of {lines} emails after 600 s",
                sink.accepted()?
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let dispatch = lines as f64 / started.elapsed().as_secs_f64();
    let cpu_per_email = fleet.cpu_time().saturating_sub(cpu_before) / lines as u32;
    let pg_cpu_per_email = match (&db, &pg_before) {
        (Some(db), Some(before)) => Some(db.backend_cpu().await?.since(before) / lines as u32),
        _ => None,
    };

    let sample = dump
        .path()
        .join("..")
        .join(format!("provisio-bench-message-{}.eml", std::process::id()));
    std::fs::write(&sample, sink.sample_message()?)?;
    let raw_time = postfix.raw(&sink, &sample, lines, args.sessions).await;
    let _ = std::fs::remove_file(&sample);
    let raw = lines as f64 / raw_time?.as_secs_f64();

    eprintln!("run {n}, {backend}: latency of /healthz and of {lines} resends …");
    let bases = fleet.bases();
    let healthz = vec![
        Call {
            post: false,
            path: "/healthz".to_owned(),
        };
        lines
    ];
    let admin = Auth::Bearer(instance.admin_key.clone());
    let healthz = measure(healthz, &bases, args.clients, &admin, 200).await?;
    let mut resends = Vec::with_capacity(lines);
    for order in &instance.order_ids {
        for sub_ref in first.sub_refs(order).await? {
            resends.push(Call {
                post: true,
                path: format!("/api/v1/lines/{sub_ref}/resend"),
            });
        }
    }
    let cpu_before = fleet.cpu_time();
    let pg_before = match &db {
        Some(db) => Some(db.backend_cpu().await?),
        None => None,
    };
    let accepted_before = sink.accepted()?;
    let pia = Auth::Bearer(instance.pia_key.clone());
    let resend = measure(resends, &bases, args.clients, &pia, 202).await?;
    // Include delivering the resent emails: wait until the sink has them all.
    let deadline = Instant::now() + Duration::from_secs(600);
    while sink.accepted()? < accepted_before + lines && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu_per_resend = fleet.cpu_time().saturating_sub(cpu_before) / lines as u32;
    let pg_cpu_per_resend = match (&db, &pg_before) {
        (Some(db), Some(before)) => Some(db.backend_cpu().await?.since(before) / lines as u32),
        _ => None,
    };
    fleet.stop().await?;
    drop(instance);
    if let Some(db) = db {
        db.drop_now().await?;
    }
    Ok(Run {
        dispatch,
        cpu_per_email,
        cpu_per_resend,
        pg_cpu_per_email,
        pg_cpu_per_resend,
        raw,
        ratio: dispatch / raw,
        resend_p50: resend.percentile(50.0),
        resend_p99: resend.percentile(99.0),
        healthz_p99: healthz.percentile(99.0),
    })
}

/// Each figure's median over `runs` (the CPU figures too).
fn median_run(runs: &[Run]) -> Run {
    let of = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let secs = |f: fn(&Run) -> Duration| {
        Duration::from_secs_f64(median(runs.iter().map(|r| f(r).as_secs_f64()).collect()).max(0.0))
    };
    let pg = |f: fn(&Run) -> Option<Duration>| {
        let values: Vec<f64> = runs.iter().filter_map(f).map(|d| d.as_secs_f64()).collect();
        (!values.is_empty()).then(|| Duration::from_secs_f64(median(values).max(0.0)))
    };
    Run {
        dispatch: of(|r| r.dispatch),
        raw: of(|r| r.raw),
        // The median of each run's ratio (dispatch and raw of the same moment), not the ratio
        // of the medians.
        ratio: of(|r| r.ratio),
        cpu_per_email: secs(|r| r.cpu_per_email),
        cpu_per_resend: secs(|r| r.cpu_per_resend),
        pg_cpu_per_email: pg(|r| r.pg_cpu_per_email),
        pg_cpu_per_resend: pg(|r| r.pg_cpu_per_resend),
        resend_p50: secs(|r| r.resend_p50),
        resend_p99: secs(|r| r.resend_p99),
        healthz_p99: secs(|r| r.healthz_p99),
    }
}

const HEADER: [&str; 9] = [
    "backend",
    "dispatch",
    "raw `smtp-source`",
    "ratio",
    "resend p50",
    "resend p99",
    "`/healthz` p99",
    "server CPU per email / per resend",
    "PostgreSQL CPU per email / per resend",
];

fn row(name: &str, run: &Run) -> Vec<String> {
    let pg = match (run.pg_cpu_per_email, run.pg_cpu_per_resend) {
        (Some(e), Some(r)) => format!("{} µs / {} µs", e.as_micros(), r.as_micros()),
        _ => "–".to_owned(),
    };
    vec![
        name.to_owned(),
        format!("{}/s", thousands(run.dispatch)),
        format!("{}/s", thousands(run.raw)),
        format!("{:.2}", run.ratio),
        ms(run.resend_p50),
        ms(run.resend_p99),
        ms(run.healthz_p99),
        format!(
            "{} µs / {} µs",
            run.cpu_per_email.as_micros(),
            run.cpu_per_resend.as_micros()
        ),
        pg,
    ]
}

/// A Markdown table (as README's "Performance" shows them); the PostgreSQL column only when a
/// row has a figure in it.
fn print_table(rows: &[Vec<String>]) {
    let pg_column = HEADER.len() - 1;
    let with_pg = rows
        .iter()
        .any(|r| r.get(pg_column).is_some_and(|c| c != "–"));
    let columns = if with_pg { HEADER.len() } else { pg_column };
    println!("| {} |", HEADER[..columns].join(" | "));
    println!("|{}", "---|".repeat(columns));
    for r in rows {
        println!("| {} |", r[..columns.min(r.len())].join(" | "));
    }
}

/// 12345.6 → "12,346".
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_sqlite_or_pg_with_a_count() {
        assert_eq!(parse_backend("sqlite"), Ok(Backend::Sqlite));
        assert_eq!(parse_backend("pg"), Ok(Backend::Postgres(1)));
        assert_eq!(parse_backend("postgres"), Ok(Backend::Postgres(1)));
        assert_eq!(parse_backend("pg3"), Ok(Backend::Postgres(3)));
        assert!(parse_backend("pg0").is_err());
        assert!(parse_backend("pg9").is_err());
        assert!(parse_backend("mysql").is_err());
        assert_eq!(Backend::Postgres(3).to_string(), "pg ×3");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(7356.6), "7,357");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }
}
