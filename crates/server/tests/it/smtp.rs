//! A real SMTP server for the tests: [`SmtpPeer`] listens on 127.0.0.1 (a free port), speaks
//! SMTP through the `mailin` state machine on its own threads (so it answers whatever runtime,
//! or blocking client, talks to it), answers RCPT TO per recipient with 250, 451 or 550, and
//! keeps every accepted message as a [`Received`] to look at with `mail-parser`. It offers no
//! extensions (no SMTPUTF8, no STARTTLS); [`SmtpPeer::start_with_auth`] makes one that wants
//! AUTH PLAIN and refuses every password (535) until told otherwise. It records the EHLO
//! names, and [`SmtpPeer::stall_after`] makes it hold back its reply to further messages.
//!
//! It is stopped on drop: the port is closed and open sessions are cut.
// Not every test uses every helper yet.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use mail_parser::{Message, MessageParser};
use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::sync::Notify;

/// How long [`SmtpPeer::wait_for`] waits before failing the test.
const WAIT: Duration = Duration::from_secs(10);
/// The name the peer gives itself in its greeting.
const NAME: &str = "smtp-peer.test";
/// A session idle this long is dropped (a client that hangs must not keep a thread forever).
const IDLE: Duration = Duration::from_secs(60);

/// How the peer answers RCPT TO for a recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `250 2.1.5 Ok`
    Accept,
    /// `451 4.3.0 Try again later`: a transient refusal; the client should retry later.
    TempFail,
    /// `550 5.1.1 No such user`: a permanent refusal.
    PermFail,
}

impl Answer {
    fn response(self) -> Response {
        match self {
            Answer::Accept => Response::custom(250, "2.1.5 Ok".to_owned()),
            Answer::TempFail => Response::custom(451, "4.3.0 Try again later".to_owned()),
            Answer::PermFail => Response::custom(550, "5.1.1 No such user".to_owned()),
        }
    }
}

/// A message the peer accepted (after the final `.` got its 250).
#[derive(Clone, Debug)]
pub struct Received {
    /// The envelope sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// The envelope recipients the peer accepted (RCPT TO), as the client spelled them.
    pub to: Vec<String>,
    /// The message as sent after DATA, dot-unstuffed, CRLF line ends, without the final `.`.
    pub raw: Vec<u8>,
}

impl Received {
    /// The decoded Subject; panics when there is none.
    #[track_caller]
    pub fn subject(&self) -> String {
        let message = self.parsed();
        let subject = message.subject().map(str::to_owned);
        subject.unwrap_or_else(|| panic!("no Subject in\n{}", self.raw_text()))
    }

    /// The decoded text/plain body (the first one); panics when there is none.
    #[track_caller]
    pub fn text_body(&self) -> String {
        self.body(false)
    }

    /// The decoded text/html body (the first one); panics when there is none.
    #[track_caller]
    pub fn html_body(&self) -> String {
        self.body(true)
    }

    /// A top-level header's value as on the wire (unfolded and trimmed, not RFC 2047-decoded);
    /// the name is case-insensitive. The first one when it occurs more than once.
    pub fn header(&self, name: &str) -> Option<String> {
        let message = self.parsed();
        message
            .headers_raw()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| {
                value
                    .replace("\r\n", "")
                    .replace('\n', "")
                    .trim()
                    .to_owned()
            })
    }

    /// The line of the text part that contains "/setup/", trimmed; panics when there is none.
    #[track_caller]
    pub fn setup_link(&self) -> String {
        let text = self.text_body();
        let line = text.lines().find(|l| l.contains("/setup/")).map(str::trim);
        match line {
            Some(line) => line.to_owned(),
            None => panic!("no line with /setup/ in the text part:\n{text}"),
        }
    }

    /// The raw message as text, for failure messages.
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    #[track_caller]
    fn parsed(&self) -> Message<'_> {
        match MessageParser::default().parse(&self.raw) {
            Some(message) => message,
            None => panic!("not a parsable message:\n{}", self.raw_text()),
        }
    }

    #[track_caller]
    fn body(&self, html: bool) -> String {
        let message = self.parsed();
        // mail-parser lists an HTML part among the text bodies (and the reverse) when the
        // message lacks that kind: only a part of the asked type counts.
        let part = if html {
            message.html_bodies().find(|p| p.is_text_html())
        } else {
            message
                .text_bodies()
                .find(|p| p.is_text() && !p.is_text_html())
        };
        let body = part.and_then(|p| p.text_contents()).map(str::to_owned);
        let kind = if html { "text/html" } else { "text/plain" };
        body.unwrap_or_else(|| panic!("no {kind} part in\n{}", self.raw_text()))
    }

    /// One line for failure messages: envelope and subject.
    fn summary(&self) -> String {
        let parsed = MessageParser::default().parse(&self.raw);
        let subject = parsed.as_ref().and_then(|m| m.subject()).unwrap_or("?");
        format!("from {} to {:?}: {subject:?}", self.from, self.to)
    }
}

/// A real SMTP server on 127.0.0.1; see the module doc.
pub struct SmtpPeer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl SmtpPeer {
    /// Starts a peer on a free port that accepts every recipient.
    pub fn start() -> SmtpPeer {
        Self::start_with(false)
    }

    /// A peer that requires AUTH PLAIN (offered without TLS) and answers every attempt with
    /// `535 Invalid credentials` until [`Self::accept_passwords`].
    pub fn start_with_auth() -> SmtpPeer {
        Self::start_with(true)
    }

    fn start_with(auth: bool) -> SmtpPeer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the SMTP peer");
        let addr = listener.local_addr().expect("the SMTP peer's address");
        let shared = Arc::new(Shared {
            auth,
            ..Shared::default()
        });
        let acceptor = std::thread::Builder::new()
            .name("smtp-peer".to_owned())
            .spawn({
                let shared = shared.clone();
                move || accept(&listener, &shared)
            })
            .expect("start the SMTP peer");
        SmtpPeer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// "smtp://127.0.0.1:PORT"
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, RCPT TO this address (case-insensitive) gets this answer.
    pub fn answer(&self, recipient: &str, answer: Answer) {
        self.shared.lock().rules.insert(
            key(recipient),
            Rule {
                answer,
                times: None,
            },
        );
    }

    /// The next `times` RCPT TO this address (case-insensitive) get this answer, later ones 250.
    pub fn answer_times(&self, recipient: &str, answer: Answer, times: usize) {
        self.shared.lock().rules.insert(
            key(recipient),
            Rule {
                answer,
                times: Some(times),
            },
        );
    }

    /// How many messages were accepted so far (without copying them).
    pub fn count(&self) -> usize {
        self.shared.lock().received.len()
    }

    /// Waits (up to `limit`) until at least `count` messages were accepted; returns how many
    /// were, or panics saying how many arrived. Copies nothing: for thousands of messages.
    pub async fn wait_for_count(&self, count: usize, limit: Duration) -> usize {
        let arrived = async {
            loop {
                let notified = self.shared.arrived.notified();
                let mut notified = std::pin::pin!(notified);
                notified.as_mut().enable();
                let n = self.count();
                if n >= count {
                    return n;
                }
                notified.await;
            }
        };
        match tokio::time::timeout(limit, arrived).await {
            Ok(n) => n,
            Err(_) => panic!(
                "SMTP peer: expected at least {count} message(s) within {limit:?}, {} arrived",
                self.count()
            ),
        }
    }

    /// The messages accepted so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// Waits until at least `count` messages were accepted (10 s at most, then panics with what
    /// did arrive); returns all accepted so far.
    #[track_caller]
    pub fn wait_for(&self, count: usize) -> impl Future<Output = Vec<Received>> + '_ {
        self.wait_for_within(count, WAIT)
    }

    /// [`Self::wait_for`] with another time limit.
    #[track_caller]
    pub fn wait_for_within(
        &self,
        count: usize,
        limit: Duration,
    ) -> impl Future<Output = Vec<Received>> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            let arrived = async {
                loop {
                    let notified = self.shared.arrived.notified();
                    let mut notified = std::pin::pin!(notified);
                    // Registered before looking, so an arrival in between is not missed.
                    notified.as_mut().enable();
                    let received = self.received();
                    if received.len() >= count {
                        return received;
                    }
                    notified.await;
                }
            };
            match tokio::time::timeout(limit, arrived).await {
                Ok(received) => received,
                Err(_) => {
                    let received = self.received();
                    let list: String = received
                        .iter()
                        .map(|r| format!("\n  {}", r.summary()))
                        .collect();
                    panic!(
                        "SMTP peer: expected at least {count} message(s) within {limit:?} \
                         (waited at {caller}), {} arrived:{list}",
                        received.len()
                    )
                }
            }
        }
    }

    /// From now on AUTH succeeds (the relay's password was fixed).
    pub fn accept_passwords(&self) {
        self.shared.lock().passwords_accepted = true;
    }

    /// AUTH attempts so far.
    pub fn auth_attempts(&self) -> usize {
        self.shared.lock().auth_attempts
    }

    /// The names clients gave in EHLO/HELO, one per session.
    pub fn hellos(&self) -> Vec<String> {
        self.shared.lock().hellos.clone()
    }

    /// Accepts `count` messages in all; the final `.` of any later one gets no reply until the
    /// peer is dropped (sends hang in flight, as with a crash mid-delivery).
    pub fn stall_after(&self, count: usize) {
        self.shared.lock().stall_after = Some(count);
    }

    /// Ends a stall: held and later messages are accepted again.
    pub fn resume(&self) {
        self.shared.lock().stall_after = None;
    }

    /// TCP sessions accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// How many times RCPT TO this address (case-insensitive) was tried, refused ones included.
    pub fn rcpt_attempts(&self, recipient: &str) -> usize {
        let state = self.shared.lock();
        state.attempts.get(&key(recipient)).copied().unwrap_or(0)
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept so it sees the flag and closes the listener.
        let woken = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(acceptor) = self.acceptor.take()
            && woken
        {
            let _ = acceptor.join();
        }
        for (_, stream) in self.shared.lock().open.drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn key(recipient: &str) -> String {
    recipient.trim().to_lowercase()
}

struct Rule {
    answer: Answer,
    /// None: for good; Some(n): for the next n attempts.
    times: Option<usize>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    arrived: Notify,
    stopping: AtomicBool,
    /// Sessions offer AUTH PLAIN and require it.
    auth: bool,
}

#[derive(Default)]
struct State {
    rules: HashMap<String, Rule>,
    attempts: HashMap<String, usize>,
    received: Vec<Received>,
    connections: usize,
    hellos: Vec<String>,
    auth_attempts: usize,
    passwords_accepted: bool,
    stall_after: Option<usize>,
    /// Open sessions, to cut on drop.
    open: HashMap<usize, TcpStream>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking thread must not hide what arrived before it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts the attempt and applies (and uses up) the recipient's rule.
    fn answer_rcpt(&self, recipient: &str) -> Answer {
        let key = key(recipient);
        let mut state = self.lock();
        *state.attempts.entry(key.clone()).or_default() += 1;
        let Some(rule) = state.rules.get_mut(&key) else {
            return Answer::Accept;
        };
        match &mut rule.times {
            None => rule.answer,
            Some(0) => Answer::Accept,
            Some(left) => {
                *left -= 1;
                rule.answer
            }
        }
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let id = {
            let mut state = shared.lock();
            state.connections += 1;
            let id = state.connections;
            if let Ok(clone) = stream.try_clone() {
                state.open.insert(id, clone);
            }
            id
        };
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("smtp-peer-{id}"))
            .spawn(move || {
                let _ = serve(stream, &shared);
                shared.lock().open.remove(&id);
            });
        if spawned.is_err() {
            return;
        }
    }
}

/// One SMTP session: lines in, the mailin session's replies out, until QUIT or EOF.
fn serve(stream: TcpStream, shared: &Arc<Shared>) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE))?;
    stream.set_nodelay(true)?;
    let remote = stream
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |a| a.ip());
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let handler = Session {
        shared: shared.clone(),
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
    };
    let mut builder = SessionBuilder::new(NAME);
    if shared.auth {
        builder
            .enable_auth(mailin::AuthMechanism::Plain)
            .insecure_enable_plaintext_auth();
    }
    let mut session = builder.build(remote, handler);
    // One write per reply (write_to writes it piecewise, which Nagle would delay).
    writer.write_all(&session.greeting().buffer()?)?;
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::NoReply => {}
            Action::Reply => writer.write_all(&response.buffer()?)?,
            // STARTTLS is not offered, so UpgradeTls does not come.
            Action::Close | Action::UpgradeTls => {
                writer.write_all(&response.buffer()?)?;
                return Ok(());
            }
        }
    }
}

/// The mailin handler of one session: answers RCPT by the rules, keeps the message.
struct Session {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Session {
    fn helo(&mut self, _ip: IpAddr, domain: &str) -> Response {
        self.shared.lock().hellos.push(domain.to_owned());
        mailin::response::OK
    }

    fn auth_plain(&mut self, _authz: &str, _user: &str, _password: &str) -> Response {
        let mut state = self.shared.lock();
        state.auth_attempts += 1;
        if state.passwords_accepted {
            mailin::response::AUTH_OK
        } else {
            mailin::response::INVALID_CREDENTIALS
        }
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        Response::custom(250, "2.1.0 Ok".to_owned())
    }

    fn rcpt(&mut self, to: &str) -> Response {
        self.shared.answer_rcpt(to).response()
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        from.clone_into(&mut self.from);
        self.to = to.to_vec();
        self.data.clear();
        // mailin replies with its own 354 to a non-error answer here.
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = Received {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
        };
        let mut message = Some(message);
        // Stalled: hold the reply (this session's thread) until the peer stops. The check and
        // the count are one step under the lock: two sessions finishing at once never both
        // take the last place before a stall (which made a test see 101 of 100 accepted).
        let queued = loop {
            {
                let mut state = self.shared.lock();
                let stalled = state.stall_after.is_some_and(|n| state.received.len() >= n);
                if !stalled || self.shared.stopping.load(Ordering::SeqCst) {
                    state.received.extend(message.take());
                    break state.received.len();
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.shared.arrived.notify_waiters();
        Response::custom(250, format!("2.0.0 Ok: queued as {queued}"))
    }
}

// Tests of the peer itself, through a plain SMTP client over TCP.
#[path = "smtp_tests.rs"]
mod tests;
