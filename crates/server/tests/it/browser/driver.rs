//! chromedriver and Chromium as processes: the chromedriver child on a free port of 127.0.0.1
//! (killed on drop), the WebDriver session that starts Chromium (its flags, profile, language,
//! JavaScript) and the plain request that ends it, and locating the two binaries (a missing one
//! fails saying how to install it).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::time::Instant;

use super::{INSTALL, Options, POLL};

/// How long chromedriver and Chromium may take to start (a cold start on a busy machine).
const START: Duration = Duration::from_secs(60);

/// The flags every browser starts with (besides its profile and language).
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
];

/// A chromedriver child on a free port of 127.0.0.1, killed on drop.
pub(super) struct Driver {
    child: Child,
    pub(super) port: u16,
    log: PathBuf,
}

impl Driver {
    pub(super) async fn start(program: &Path, log: &Path) -> Driver {
        let mut last = String::new();
        // A free port can be taken by someone else before chromedriver binds it: try again.
        for _ in 0..3 {
            let port = free_port();
            let out = std::fs::File::create(log).unwrap();
            let err = out.try_clone().unwrap();
            let spawned = Command::new(program)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn();
            let child = match spawned {
                Ok(child) => child,
                Err(e) => panic!("could not run {}: {e}; {INSTALL}", program.display()),
            };
            let mut driver = Driver {
                child,
                port,
                log: log.to_owned(),
            };
            let deadline = Instant::now() + START;
            loop {
                if let Ok(Some(status)) = driver.child.try_wait() {
                    last = format!("chromedriver exited ({status}):\n{}", driver.log());
                    break;
                }
                if driver.ready() {
                    return driver;
                }
                if Instant::now() >= deadline {
                    panic!(
                        "chromedriver did not answer on port {port} within {START:?}:\n{}",
                        driver.log()
                    );
                }
                tokio::time::sleep(POLL).await;
            }
        }
        panic!("chromedriver did not start: {last}")
    }

    pub(super) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Its status endpoint answers.
    fn ready(&self) -> bool {
        request(self.port, "GET", "/status").is_some_and(|r| r.starts_with("HTTP/1.1 200"))
    }

    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a headless Chromium through `driver` (a WebDriver session): [`FLAGS`], a fresh profile
/// at `profile`, the language of `options` (`--lang` and the `intl.accept_languages` pref) and,
/// when it is off, JavaScript blocked for every site. Fails saying how to install Chromium.
pub(super) async fn new_session(
    driver: &Driver,
    chromium: &Path,
    profile: &Path,
    options: &Options,
) -> Client {
    let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--lang={}", options.lang));
    let mut prefs = json!({ "intl.accept_languages": options.lang });
    if !options.javascript {
        prefs["profile.managed_default_content_settings.javascript"] = json!(2);
    }
    let mut caps = Capabilities::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args, "prefs": prefs }),
    );
    let connect = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url())
        .await;
    match connect {
        Ok(client) => client,
        Err(e) => panic!(
            "could not start Chromium ({}) through chromedriver: {e}\n\
             chromedriver's log:\n{}\nIf Chromium is not installed: {INSTALL}",
            chromium.display(),
            driver.log()
        ),
    }
}

/// Ends a WebDriver session (chromedriver closes Chromium), blocking, for drop.
pub(super) fn end_session(port: u16, session: &str) {
    let _ = request(port, "DELETE", &format!("/session/{session}"));
}

/// One plain HTTP/1.1 request to chromedriver; its status line once it answers, or None.
/// (chromedriver keeps the connection open, so the answer is not read to its end.)
fn request(port: u16, method: &str, path: &str) -> Option<String> {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    answer.lines().next().map(str::to_owned)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// The binary `what`: the path in `env` when set, else `default`, else the first of `names` on
/// PATH; a missing one fails the test saying how to install it.
pub(super) fn binary(what: &str, env: &str, default: &str, names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    match locate(what, env, std::env::var_os(env), default, names, &path) {
        Ok(found) => found,
        Err(message) => panic!("{message}"),
    }
}

pub(super) fn locate(
    what: &str,
    env: &str,
    configured: Option<OsString>,
    default: &str,
    names: &[&str],
    path: &OsString,
) -> Result<PathBuf, String> {
    if let Some(configured) = configured.filter(|c| !c.is_empty()) {
        let configured = PathBuf::from(configured);
        return if configured.is_file() {
            Ok(configured)
        } else {
            Err(format!(
                "{env}={} is not a file: the browser tests need {what}; {INSTALL}",
                configured.display()
            ))
        };
    }
    if Path::new(default).is_file() {
        return Ok(default.into());
    }
    for dir in std::env::split_paths(path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "the browser tests need {what}, which is not installed (not at {default}, and none of \
         {names:?} on PATH): {INSTALL}"
    ))
}
