//! Postfix's test programs as a real SMTP peer: `smtp-sink` (writing every message to its own
//! file) and `smtp-source` for the raw baseline into that same sink.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdout, Command};

/// Where `smtp-sink` / `smtp-source` are: on PATH, or unpacked from Debian's `postfix` package
/// (`apt-get download postfix && dpkg -x postfix_*.deb DIR`), whose programs need
/// `DIR/usr/lib/postfix` on the library path.
#[derive(Clone, Debug)]
pub struct Postfix {
    sink: PathBuf,
    source: PathBuf,
    lib_dir: Option<PathBuf>,
}

impl Postfix {
    pub fn find(unpacked: Option<&Path>) -> anyhow::Result<Self> {
        if let Some(root) = unpacked {
            let p = Postfix {
                sink: root.join("usr/sbin/smtp-sink"),
                source: root.join("usr/sbin/smtp-source"),
                lib_dir: Some(root.join("usr/lib/postfix")),
            };
            if !p.sink.is_file() || !p.source.is_file() {
                bail!(
                    "{} has no usr/sbin/smtp-sink and smtp-source; unpack Debian's postfix \
                     package there: apt-get download postfix && dpkg -x postfix_*.deb {}",
                    root.display(),
                    root.display()
                );
            }
            return Ok(p);
        }
        let on_path = |name: &str| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        };
        match (on_path("smtp-sink"), on_path("smtp-source")) {
            (Some(sink), Some(source)) => Ok(Postfix {
                sink,
                source,
                lib_dir: None,
            }),
            _ => bail!(
                "smtp-sink / smtp-source not found on PATH; give --postfix DIR with Debian's \
                 postfix package unpacked (apt-get download postfix && dpkg -x postfix_*.deb DIR)"
            ),
        }
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        if let Some(lib) = &self.lib_dir {
            cmd.env("LD_LIBRARY_PATH", lib);
        }
        cmd.kill_on_drop(true);
        cmd
    }

    /// Starts `smtp-sink` on a free loopback port, dumping each message into its own file in
    /// `dump_dir`.
    pub async fn start_sink(&self, dump_dir: &Path) -> anyhow::Result<Sink> {
        self.start(Some(dump_dir)).await
    }

    /// Starts `smtp-sink` on a free loopback port, counting the messages and keeping none (a
    /// million message files would fill a tmpfs).
    pub async fn start_discarding_sink(&self) -> anyhow::Result<Sink> {
        self.start(None).await
    }

    async fn start(&self, dump_dir: Option<&Path>) -> anyhow::Result<Sink> {
        let port = free_port()?;
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let mut cmd = self.command(&self.sink);
        cmd.arg("-c").arg("-u").arg(&user);
        if let Some(dir) = dump_dir {
            // %H%M%S keeps the sink's random file-name suffixes from colliding across seconds.
            cmd.arg("-d").arg(dir.join("%H%M%S."));
        }
        let mut child = cmd
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", self.sink.display()))?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let counters = child.stdout.take().context("smtp-sink's stdout")?;
        tokio::spawn(follow_counters(counters, Arc::clone(&accepted)));
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(&addr).await.is_err() {
            if Instant::now() > deadline {
                bail!("smtp-sink does not listen on {addr}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Sink {
            _child: child,
            addr,
            dump_dir: dump_dir.map(Path::to_owned),
            accepted,
        })
    }

    /// Sends `count` copies of `message` into the sink over `sessions` parallel sessions that
    /// each reuse their connection; returns the wall time.
    pub async fn raw(
        &self,
        sink: &Sink,
        message: &Path,
        count: usize,
        sessions: usize,
    ) -> anyhow::Result<Duration> {
        let before = sink.accepted()?;
        let started = Instant::now();
        let status = self
            .command(&self.source)
            .arg("-d")
            .args(["-s", &sessions.to_string(), "-m", &count.to_string()])
            .args(["-f", "provisio@localhost", "-t", "someone@customer.example"])
            .arg("-F")
            .arg(message)
            .arg(&sink.addr)
            .status()
            .await
            .context("running smtp-source")?;
        let took = started.elapsed();
        if !status.success() {
            bail!("smtp-source failed: {status}");
        }
        // The sink reports its count on its output as it goes: the last messages' count may
        // arrive a moment after smtp-source has ended (seen in CI: 489 of 500).
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut accepted = sink.accepted()? - before;
        while accepted < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
            accepted = sink.accepted()? - before;
        }
        if accepted < count {
            bail!("smtp-source ended but the sink holds {accepted} of {count} messages after 10 s");
        }
        Ok(took)
    }
}

pub struct Sink {
    _child: Child,
    pub addr: String,
    /// Where it writes each message; `None`: it keeps none.
    dump_dir: Option<PathBuf>,
    accepted: Arc<AtomicUsize>,
}

/// Follows `smtp-sink -c`'s running counters ("sess=… quit=… mesg=N", one per received
/// final dot, separated by carriage returns). Counting the dump files instead was measured
/// to slow the sink down: listing a directory holds the lock that creating a file needs.
async fn follow_counters(mut out: ChildStdout, accepted: Arc<AtomicUsize>) {
    let mut buf = [0u8; 4096];
    let mut line = Vec::new();
    while let Ok(n) = out.read(&mut buf).await {
        if n == 0 {
            return;
        }
        for &b in &buf[..n] {
            if b == b'\r' || b == b'\n' {
                if let Some(m) = messages_in(&String::from_utf8_lossy(&line)) {
                    accepted.store(m, Ordering::Release);
                }
                line.clear();
            } else {
                line.push(b);
            }
        }
    }
}

/// The `mesg=N` of one counter line.
fn messages_in(counters: &str) -> Option<usize> {
    counters
        .split_whitespace()
        .find_map(|f| f.strip_prefix("mesg="))
        .and_then(|m| m.parse().ok())
}

impl Sink {
    /// Messages the sink has accepted so far (final dots received).
    pub fn accepted(&self) -> anyhow::Result<usize> {
        Ok(self.accepted.load(Ordering::Acquire))
    }

    /// One message as the sink stored it, without the sink's own trace lines (its `X-…`
    /// envelope record and the `Received:` header it adds), for `smtp-source -F`.
    pub fn sample_message(&self) -> anyhow::Result<Vec<u8>> {
        let dir = self
            .dump_dir
            .as_ref()
            .context("the sink keeps no message")?;
        let entry = std::fs::read_dir(dir)?
            .next()
            .context("the sink holds no message")??;
        let text = std::fs::read_to_string(entry.path())?;
        let mut lines = text.lines().peekable();
        while lines.peek().is_some_and(|l| l.starts_with("X-")) {
            lines.next();
        }
        if lines.peek().is_some_and(|l| l.starts_with("Received:")) {
            lines.next();
            while lines.peek().is_some_and(|l| l.starts_with([' ', '\t'])) {
                lines.next();
            }
        }
        let mut out = lines.collect::<Vec<_>>().join("\n");
        out.push('\n');
        Ok(out.into_bytes())
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding port 0")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    #[test]
    fn counter_lines_give_the_messages_accepted() {
        assert_eq!(super::messages_in("sess=2 quit=1 mesg=7"), Some(7));
        assert_eq!(super::messages_in("sess=0 quit=0"), None);
        assert_eq!(super::messages_in(""), None);
    }
}
