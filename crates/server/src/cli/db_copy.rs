//! `provisio db copy --from sqlite:PATH --to postgres://…`: moves a whole installation from
//! its SQLite file into a new PostgreSQL database, every row of every table with its ids and
//! `seq` values, the counters of subscription references and web order ids, the test
//! clock's offset and the offer policies.
//!
//! All or nothing: the rows are read from one snapshot of the file (`SqliteStore::copy_out`)
//! and written in one PostgreSQL transaction (`PgStore::copy_in`), committed only when every
//! table counts the same rows (and attachment bytes) on both sides and nothing wrote to the
//! source meanwhile. A target that holds anything its migrations did not write is refused,
//! so a copy never mixes two installations. No `serve` may run on the source: the copy
//! takes the file's `serve` lock (see `serve.rs`) for its whole run, so a running server
//! refuses the copy and a server started meanwhile refuses to start.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use provisio_store::Maintenance;
use provisio_store::copy::{CopyError, Seeded, TableCheck};
use provisio_store_postgres::PgStore;
use provisio_store_sqlite::SqliteStore;

use crate::cli::Failure;
use crate::config::redact_url;

pub async fn run(from: &str, to: &str) -> Result<(), Failure> {
    let path = SqliteStore::file_of_url(from).with_context(|| format!("reading --from {from}"))?;
    let shown_to = redact_url(to);
    eprintln!(
        "Copying {} into {shown_to}. Nothing may write to {0} meanwhile: stop `provisio serve` \
         on it first (a running one is refused, and none can start until the copy ends) and \
         run no other command on it.",
        path.display()
    );
    if !path.is_file() {
        return Err(Failure::new(
            1,
            anyhow!("there is no SQLite database at {}", path.display()),
        ));
    }
    // Held until the end, after every SQLite connection of this process is closed: closing
    // a descriptor of the file would also drop SQLite's own locks on it.
    let lock = lock_source(&path)?;
    let source = SqliteStore::open(&path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let target = PgStore::open(to)
        .await
        .with_context(|| format!("opening {shown_to}"))?;
    let copied = migrate_and_copy(&source, &path, &target, &shown_to).await;
    target.close().await;
    drop(source);
    drop(lock);
    copied
}

async fn migrate_and_copy(
    source: &SqliteStore,
    path: &Path,
    target: &PgStore,
    shown_to: &str,
) -> Result<(), Failure> {
    source
        .migrate()
        .await
        .with_context(|| format!("applying database migrations to {}", path.display()))?;
    target
        .migrate()
        .await
        .with_context(|| format!("applying database migrations to {shown_to}"))?;
    let checks = copy(source, target)
        .await
        .map_err(|e| failed(e, path, shown_to))?;
    // A fresh database's planner knows nothing of what was just copied into it.
    target
        .refresh_statistics()
        .await
        .with_context(|| format!("analyzing {shown_to} after the copy"))?;
    let copied = checks.iter().filter(|c| c.table.seeded != Seeded::Equal);
    let rows: u64 = copied.map(|c| c.target.rows).sum();
    println!(
        "copied {rows} rows of {} tables from {} into {shown_to}: every table matches",
        checks.len(),
        path.display()
    );
    Ok(())
}

/// The copy itself; the summary of every table is printed once the target is counted.
async fn copy(source: &SqliteStore, target: &PgStore) -> Result<Vec<TableCheck>, CopyError> {
    let mut pages = source.copy_out()?;
    let total: u64 = pages.tables().iter().map(|t| t.tally.rows).sum();
    let mut copy = target.copy_in(pages.tables()).await?;
    let progress = ProgressBar::new(total);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    while let Some(page) = pages.next_page().await {
        let page = page?;
        progress.set_message(page.table.name);
        let rows = page.rows.len() as u64;
        copy.write(page).await?;
        progress.inc(rows);
    }
    progress.finish_and_clear();
    let changed = pages.source_changed()?;
    drop(pages);
    let checks = copy.verify().await?;
    print_summary(&checks);
    if checks.iter().any(|c| !c.matches()) {
        return Err(CopyError::Mismatch(checks));
    }
    if changed {
        return Err(CopyError::SourceChanged);
    }
    copy.commit().await?;
    Ok(checks)
}

/// Exit 1, saying that the target was left as it was (the transaction was never committed).
fn failed(e: CopyError, path: &Path, shown_to: &str) -> Failure {
    let error = anyhow::Error::new(e).context(format!(
        "copying {} into {shown_to}: nothing was copied (the target holds what it held)",
        path.display()
    ));
    Failure::new(1, error)
}

/// One line per table: the rows (and the files' bytes) on each side.
fn print_summary(checks: &[TableCheck]) {
    let width = checks
        .iter()
        .map(|c| c.table.name.len())
        .max()
        .unwrap_or(0)
        .max(5);
    println!("{:<width$}  {:>10}  {:>10}", "TABLE", "SOURCE", "TARGET");
    for c in checks {
        let mut note = match c.table.seeded {
            Seeded::No => String::new(),
            Seeded::Replaced => "  (the target's defaults replaced)".to_owned(),
            Seeded::Equal => "  (written by the migrations on both sides; compared)".to_owned(),
        };
        if c.source.blob_bytes > 0 || c.target.blob_bytes > 0 {
            note = format!(
                "  ({} / {} bytes of files){note}",
                c.source.blob_bytes, c.target.blob_bytes
            );
        }
        let verdict = if c.matches() { "" } else { "  MISMATCH" };
        println!(
            "{:<width$}  {:>10}  {:>10}{verdict}{note}",
            c.table.name, c.source.rows, c.target.rows
        );
    }
}

/// Takes the lock `provisio serve` holds on the database file (an exclusive `flock`), so
/// that no server runs on the source while it is copied; refuses when one does.
fn lock_source(path: &Path) -> Result<File, Failure> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::new(
            1,
            anyhow!(
                "a provisio serve is running on {} (or another copy is): stop it first; \
                 nothing was copied",
                path.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Failure::from(
            anyhow::Error::new(e).context(format!("locking {}", path.display())),
        )),
    }
}
