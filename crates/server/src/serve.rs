//! `provisio serve`: open the store, migrate, listen, and stop cleanly on SIGTERM / Ctrl-C.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, bail};
use provisio_store::Store;
use provisio_store_postgres::{PgOptions, PgStore};
use provisio_store_sqlite::SqliteStore;

use crate::app::App;
use crate::clock::Clock;
use crate::config::{Config, redact_url};
use crate::http_server::{self, Limits};
use crate::{demo, router, scheduler};

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

/// Opens the store `DATABASE_URL` names (default: the SQLite file in the data directory) and
/// applies pending migrations (on PostgreSQL, of several instances starting at once one
/// migrates and the others wait for it).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match sqlite_file(config)? {
        Some(path) => {
            if config.database_url().is_none() {
                std::fs::create_dir_all(config.data_dir()).with_context(|| {
                    format!(
                        "creating the data directory {}",
                        config.data_dir().display()
                    )
                })?;
            }
            Arc::new(
                SqliteStore::open(&path)
                    .await
                    .with_context(|| format!("opening {}", path.display()))?,
            )
        }
        None => {
            let url = config.database_url().unwrap_or_default();
            let options = PgOptions {
                max_connections: config.db_pool_size,
                ..PgOptions::default()
            };
            Arc::new(
                PgStore::open_with(url, options)
                    .await
                    .with_context(|| format!("opening {}", redact_url(url)))?,
            )
        }
    };
    store
        .migrate()
        .await
        .with_context(|| match config.database_url() {
            Some(url) => format!("applying database migrations to {}", redact_url(url)),
            None => "applying database migrations".to_owned(),
        })?;
    Ok(store)
}

/// The SQLite file this configuration uses (`None` for PostgreSQL).
fn sqlite_file(config: &Config) -> anyhow::Result<Option<PathBuf>> {
    match config.database_url() {
        Some(url) if url.starts_with("postgres") => Ok(None),
        Some(url) => Ok(Some(
            SqliteStore::file_of_url(url)
                .with_context(|| format!("reading {}", redact_url(url)))?,
        )),
        None => Ok(Some(config.sqlite_path())),
    }
}

/// The lock on the database file, held until the process ends. It is never closed earlier:
/// closing any descriptor of the file would also drop SQLite's own locks on it.
static SERVE_LOCK: OnceLock<File> = OnceLock::new();

/// One `serve` per SQLite file (SPEC §9), however the file is named (data directory or
/// `DATABASE_URL`): an exclusive `flock` on the database file itself, which SQLite's own
/// (POSIX record) locks and the CLI's connections do not see. A second server refuses to
/// start; the OS releases the lock when the process ends, however it ends.
fn lock_single_instance(config: &Config) -> anyhow::Result<()> {
    let Some(path) = sqlite_file(config)? else {
        return Ok(());
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            let _ = SERVE_LOCK.set(file);
            Ok(())
        }
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another provisio serve is already running on {}; one server per SQLite database \
             (use PostgreSQL via DATABASE_URL to run several)",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// `demo`: see [`demo`] (demo data on the first start, fresh credentials on every start).
pub async fn serve(mut config: Config, test_clock: bool, demo: bool) -> anyhow::Result<()> {
    if demo {
        demo::mail_to_files(&mut config);
    }
    tracing::info!(config = ?config, "starting provisio {}", env!("CARGO_PKG_VERSION"));
    std::fs::create_dir_all(config.data_dir()).with_context(|| {
        format!(
            "creating the data directory {}",
            config.data_dir().display()
        )
    })?;
    lock_single_instance(&config)?;
    let clock = if test_clock {
        Clock::test()
    } else {
        Clock::system()
    };
    if test_clock {
        tracing::warn!("test clock enabled: admins can move this service's time");
    }
    let store = open_store(&config).await?;
    store.warm_up();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let app = App::new(store, clock, config);
    // Leases that can no longer be live (the store decides which: on SQLite, every one left
    // by the previous run) are taken over; another live instance's never are.
    let taken = app.take_over_leases().await?;
    if taken > 0 {
        tracing::info!(count = taken, "took over leases left by an earlier run");
    }
    // Business time continues where the test clock was left (SPEC §9).
    app.sync_test_clock().await?;
    if demo {
        demo::start(&app).await.context("preparing the demo")?;
    }
    tracing::info!(
        "listening on http://{} (public URL {}), data in {}",
        listener.local_addr()?,
        app.config.public_url,
        app.config.data_dir().display()
    );
    run(listener, app.clone(), shutdown_signal()).await?;
    app.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves (with the scheduler beside) until `shutdown` resolves, then gives in-flight requests
/// and sends a short grace period; sends not done by then are released for the next start.
/// Everything ends within [`SHUTDOWN_GRACE`] of the signal (the process exits within 5 s of
/// SIGTERM, its leases handed back).
pub async fn run(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let transport = scheduler::transport(&app)?;
    let scheduler = scheduler::start(app.clone(), transport, rx.clone());
    let limits = Limits {
        header_read_timeout: app.config.header_read_timeout,
        max_connections: app.config.max_connections,
    }
    .fitted();
    let service = router::service(app);
    let stopped_at = Arc::new(OnceLock::new());
    let stop_instant = Arc::clone(&stopped_at);
    let server = http_server::serve(listener, service, limits, async move {
        shutdown.await;
        let _ = stop_instant.set(tokio::time::Instant::now());
        let _ = tx.send(true);
    });
    let mut rx2 = rx.clone();
    tokio::select! {
        () = server => {}
        _ = async move {
            let _ = rx2.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; stopping anyway"),
    }
    drop(rx);
    // The scheduler stops beside the server, from the same signal: what is left of the grace.
    let deadline = stopped_at
        .get()
        .map_or_else(tokio::time::Instant::now, |at| *at)
        + SHUTDOWN_GRACE;
    if tokio::time::timeout_at(deadline, scheduler).await.is_err() {
        tracing::warn!("the scheduler did not stop in time");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received");
}
