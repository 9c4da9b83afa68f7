//! Messages as `.eml` files: the default when no SMTP server is configured (SPEC §4), and
//! what the demo always uses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::{Accepted, SendError, Transport};

/// Writes each message to `<dir>/<date>_<message-id>.eml`, atomically: a reader never sees
/// half a message, and names sort by the message's `Date`.
#[derive(Debug)]
pub struct FileTransport {
    dir: PathBuf,
    /// Makes temporary names unique when the same message is written twice at once.
    counter: AtomicU64,
}

impl FileTransport {
    /// Messages go under `dir`, which is created on the first send if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            counter: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Transport for FileTransport {
    async fn send(&self, message: &lettre::Message) -> Result<Accepted, SendError> {
        let name = file_name(message);
        let path = self.dir.join(&name);
        let temp = self.dir.join(format!(
            ".{name}.{}-{}.tmp",
            std::process::id(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        ));
        let bytes = message.formatted();
        let (dir, target) = (self.dir.clone(), path.clone());
        let written =
            tokio::task::spawn_blocking(move || write_atomically(&dir, &temp, &target, &bytes))
                .await
                .map_err(|e| SendError::transient(format!("writing the message failed: {e}")))?;
        // A directory that cannot be written (missing rights, a full disk) fails every
        // message alike: a fault of the transport, not of this message.
        match written {
            // A file has no reply: the file name is not one (the start-up log names the
            // directory, the `Message-ID` names the file).
            Ok(()) => Ok(Accepted {
                reply: String::new(),
            }),
            Err(e) => Err(SendError::transport(format!(
                "could not write {name} to the mail directory: {e}"
            ))),
        }
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }
}

fn write_atomically(dir: &Path, temp: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let result = (|| {
        let mut file = std::fs::File::create(temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(temp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(temp);
    }
    result
}

/// `20250314T080000Z_0190f3a1-…@provisio.eml`: the Date in UTC, then the Message-ID with
/// anything unsafe in a file name replaced.
fn file_name(message: &lettre::Message) -> String {
    let headers = message.headers();
    let date = headers
        .get_raw("Date")
        .and_then(|raw| jiff::fmt::rfc2822::parse(raw.trim()).ok())
        .map(|zoned| zoned.timestamp().strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| "undated".to_owned());
    let id: String = headers
        .get_raw("Message-ID")
        .unwrap_or("no-message-id")
        .trim()
        .trim_matches(['<', '>'])
        .chars()
        .take(150)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{date}_{id}.eml")
}
