//! A real SMTP peer on loopback (mailin-embedded), scriptable by recipient:
//! `busy@…` gets 451, `nobody@…` gets 550, everyone else 250.

use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};

use mailin_embedded::{AuthMechanism, Handler, Response, Server, SslConfig, response};

#[derive(Debug, Default)]
pub struct Seen {
    /// EHLO/HELO commands: one per plain connection.
    pub hellos: usize,
    pub messages: Vec<Vec<u8>>,
    pub envelopes: Vec<(String, Vec<String>)>,
    pub logins: Vec<(String, String)>,
}

#[derive(Clone)]
struct Recorder {
    seen: Arc<Mutex<Seen>>,
    data: Vec<u8>,
}

impl Handler for Recorder {
    fn helo(&mut self, _ip: std::net::IpAddr, _domain: &str) -> Response {
        self.seen.lock().unwrap().hellos += 1;
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if to.contains("busy@") {
            Response::custom(451, "4.3.0 try later".to_owned())
        } else if to.contains("nobody@") {
            Response::custom(550, "5.1.1 no such user".to_owned())
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.data.clear();
        self.seen
            .lock()
            .unwrap()
            .envelopes
            .push((from.to_owned(), to.to_vec()));
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mut seen = self.seen.lock().unwrap();
        seen.messages.push(std::mem::take(&mut self.data));
        Response::custom(250, format!("2.0.0 Ok: queued as Q{}", seen.messages.len()))
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        self.seen
            .lock()
            .unwrap()
            .logins
            .push((user.to_owned(), password.to_owned()));
        if password == "s3cret:pw" {
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
}

pub struct Peer {
    pub port: u16,
    seen: Arc<Mutex<Seen>>,
}

impl Peer {
    /// A plain SMTP peer (no STARTTLS, no AUTH).
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// A peer offering STARTTLS with the test certificate for localhost, and AUTH PLAIN
    /// after it (password "s3cret:pw").
    pub fn start_tls() -> Self {
        Self::start_with(|server| {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/certs");
            server
                .with_ssl(SslConfig::SelfSigned {
                    cert_path: format!("{dir}/localhost.pem"),
                    key_path: format!("{dir}/localhost.key"),
                })
                .unwrap()
                .with_auth(AuthMechanism::Plain);
        })
    }

    fn start_with(configure: impl FnOnce(&mut Server<Recorder>)) -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut server = Server::new(Recorder {
            seen: Arc::clone(&seen),
            data: Vec::new(),
        });
        server.with_name("peer.test").with_tcp_listener(listener);
        configure(&mut server);
        // The peer lives as long as the test process.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, seen }
    }

    pub fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }
}

pub fn ca_pem() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/certs/ca.pem"
    ))
    .unwrap()
}
