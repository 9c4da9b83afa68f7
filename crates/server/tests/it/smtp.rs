//! A real SMTP server for the tests: [`SmtpPeer`] listens on 127.0.0.1 (a free port), speaks
//! SMTP through the `mailin` state machine on its own threads (so it answers whatever runtime,
//! or blocking client, talks to it), answers RCPT TO per recipient with 250, 451 or 550, and
//! keeps every accepted message as a [`Received`] to look at with `mail-parser`.
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
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the SMTP peer");
        let addr = listener.local_addr().expect("the SMTP peer's address");
        let shared = Arc::new(Shared::default());
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
}

#[derive(Default)]
struct State {
    rules: HashMap<String, Rule>,
    attempts: HashMap<String, usize>,
    received: Vec<Received>,
    connections: usize,
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
    let mut session = SessionBuilder::new(NAME).build(remote, handler);
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
        let queued = {
            let mut state = self.shared.lock();
            state.received.push(message);
            state.received.len()
        };
        self.shared.arrived.notify_waiters();
        Response::custom(250, format!("2.0.0 Ok: queued as {queued}"))
    }
}

// ---- Tests of the peer itself, through a plain SMTP client over TCP ----

mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpStream;
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

    use super::{Answer, SmtpPeer};

    /// A bare SMTP client: one command, one (possibly multi-line) reply.
    struct Client {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    impl Client {
        /// Connects, reads the 220 greeting and says EHLO.
        async fn connect(peer: &SmtpPeer) -> Client {
            let stream = TcpStream::connect(peer.addr()).await.unwrap();
            let (read, writer) = stream.into_split();
            let mut client = Client {
                reader: BufReader::new(read),
                writer,
            };
            let (code, text) = client.reply().await;
            assert_eq!(code, 220, "{text}");
            let (code, text) = client.cmd("EHLO client.test").await;
            assert_eq!(code, 250, "{text}");
            client
        }

        /// Reads one reply: lines "NNN-..." up to the last "NNN ...". Code 0 on EOF.
        async fn reply(&mut self) -> (u16, String) {
            let mut text = String::new();
            loop {
                let mut line = String::new();
                if self.reader.read_line(&mut line).await.unwrap() == 0 {
                    return (0, text);
                }
                text.push_str(&line);
                if line.as_bytes().get(3) != Some(&b'-') {
                    let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
                    return (code, text);
                }
            }
        }

        async fn cmd(&mut self, line: &str) -> (u16, String) {
            self.writer
                .write_all(format!("{line}\r\n").as_bytes())
                .await
                .unwrap();
            self.reply().await
        }

        async fn rcpt(&mut self, to: &str) -> (u16, String) {
            self.cmd(&format!("RCPT TO:<{to}>")).await
        }

        /// DATA with this message (LF or CRLF line ends; dot-stuffed here); the final reply.
        async fn data(&mut self, message: &str) -> (u16, String) {
            let (code, text) = self.cmd("DATA").await;
            assert_eq!(code, 354, "{text}");
            let mut wire = String::new();
            for line in message.lines() {
                if line.starts_with('.') {
                    wire.push('.');
                }
                wire.push_str(line);
                wire.push_str("\r\n");
            }
            wire.push_str(".\r\n");
            self.writer.write_all(wire.as_bytes()).await.unwrap();
            self.reply().await
        }

        async fn quit(mut self) {
            let (code, text) = self.cmd("QUIT").await;
            assert_eq!(code, 221, "{text}");
        }
    }

    const WELCOME: &str = "\
From: Provisio <noreply@provisio.test>
To: alice@example.test
Subject: =?UTF-8?Q?Willkommen_=E2=80=93_Ihr_Zugang?=
Message-ID: <m1@provisio.test>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=\"b1\"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hallo Alice,
=20 https://provisio.test/setup/abc123=20
.a line that starts with a dot
--b1
Content-Type: text/html; charset=utf-8

<p>Hallo Alice, <a href=\"https://provisio.test/setup/abc123\">los</a></p>
--b1--
";

    /// One transaction to `to`; the reply codes of RCPT (each), and of the final dot if any
    /// recipient was accepted.
    async fn send(peer: &SmtpPeer, to: &[&str], message: &str) -> (Vec<u16>, Option<u16>) {
        let mut client = Client::connect(peer).await;
        let (code, text) = client.cmd("MAIL FROM:<noreply@provisio.test>").await;
        assert_eq!(code, 250, "{text}");
        let mut codes = Vec::new();
        for to in to {
            codes.push(client.rcpt(to).await.0);
        }
        let end = if codes.contains(&250) {
            Some(client.data(message).await.0)
        } else {
            None
        };
        client.quit().await;
        (codes, end)
    }

    #[tokio::test]
    async fn accepts_a_message_and_reads_it() {
        let peer = SmtpPeer::start();
        assert!(
            peer.url().starts_with("smtp://127.0.0.1:"),
            "{}",
            peer.url()
        );

        let mut client = Client::connect(&peer).await;
        let (code, text) = client.cmd("MAIL FROM:<noreply@provisio.test>").await;
        assert_eq!((code, text.as_str()), (250, "250 2.1.0 Ok\r\n"));
        let (code, text) = client.rcpt("Alice@Example.test").await;
        assert_eq!((code, text.as_str()), (250, "250 2.1.5 Ok\r\n"));
        let (code, text) = client.data(WELCOME).await;
        assert_eq!(code, 250, "{text}");
        assert!(text.starts_with("250 2.0.0 Ok: queued"), "{text}");
        client.quit().await;

        let received = peer.wait_for(1).await;
        assert_eq!(received.len(), 1);
        let mail = &received[0];
        assert_eq!(mail.from, "noreply@provisio.test");
        assert_eq!(mail.to, ["Alice@Example.test"]);
        assert_eq!(mail.subject(), "Willkommen – Ihr Zugang");
        assert_eq!(
            mail.header("message-id").as_deref(),
            Some("<m1@provisio.test>")
        );
        assert_eq!(mail.header("X-Nothing"), None);
        assert!(
            mail.text_body().starts_with("Hallo Alice,"),
            "{}",
            mail.text_body()
        );
        assert!(
            mail.text_body()
                .contains("\n.a line that starts with a dot"),
            "dot-unstuffed: {}",
            mail.text_body()
        );
        assert!(
            mail.html_body().contains("<a href="),
            "{}",
            mail.html_body()
        );
        assert_eq!(mail.setup_link(), "https://provisio.test/setup/abc123");
        assert_eq!(peer.connections(), 1);
        assert_eq!(peer.rcpt_attempts("alice@example.test"), 1);
    }

    #[tokio::test]
    async fn refuses_recipients_as_told() {
        let peer = SmtpPeer::start();
        peer.answer("Later@Example.test", Answer::TempFail);
        peer.answer("gone@example.test", Answer::PermFail);

        let mut client = Client::connect(&peer).await;
        client.cmd("MAIL FROM:<noreply@provisio.test>").await;
        let later = client.rcpt("later@example.test").await;
        assert_eq!(
            (later.0, later.1.as_str()),
            (451, "451 4.3.0 Try again later\r\n")
        );
        let gone = client.rcpt("GONE@example.test").await;
        assert_eq!(
            (gone.0, gone.1.as_str()),
            (550, "550 5.1.1 No such user\r\n")
        );
        assert_eq!(client.rcpt("bob@example.test").await.0, 250);
        assert_eq!(client.data(WELCOME).await.0, 250);
        // The answers hold for the next transaction too; with no recipient left, no DATA.
        client.cmd("MAIL FROM:<noreply@provisio.test>").await;
        assert_eq!(client.rcpt("later@example.test").await.0, 451);
        assert_eq!(client.cmd("DATA").await.0, 503);
        client.quit().await;

        let received = peer.wait_for(1).await;
        assert_eq!(received.len(), 1);
        assert_eq!(
            received[0].to,
            ["bob@example.test"],
            "only the accepted one"
        );
        assert_eq!(peer.rcpt_attempts("LATER@example.test"), 2);
        assert_eq!(peer.rcpt_attempts("gone@example.test"), 1);
        assert_eq!(peer.rcpt_attempts("nobody@example.test"), 0);
        assert_eq!(peer.connections(), 1);
    }

    #[tokio::test]
    async fn answer_times_refuses_then_accepts() {
        let peer = SmtpPeer::start();
        peer.answer_times("flaky@example.test", Answer::TempFail, 2);

        let mut codes = Vec::new();
        for _ in 0..3 {
            codes.push(send(&peer, &["flaky@example.test"], WELCOME).await);
        }
        assert_eq!(
            codes,
            [(vec![451], None), (vec![451], None), (vec![250], Some(250))]
        );
        let received = peer.wait_for(1).await;
        assert_eq!(received[0].to, ["flaky@example.test"]);
        assert_eq!(peer.rcpt_attempts("flaky@example.test"), 3);
        assert_eq!(peer.connections(), 3);

        // A later `answer` replaces the rule.
        peer.answer("flaky@example.test", Answer::PermFail);
        assert_eq!(
            send(&peer, &["flaky@example.test"], WELCOME).await,
            (vec![550], None)
        );
    }

    #[tokio::test]
    async fn wait_for_waits_for_a_later_message() {
        let peer = SmtpPeer::start();
        let waiting = peer.wait_for(2);
        let sending = async {
            send(&peer, &["a@example.test"], WELCOME).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            send(&peer, &["b@example.test"], WELCOME).await;
        };
        let (received, ()) = tokio::join!(waiting, sending);
        let to: Vec<_> = received.iter().map(|r| r.to.join(",")).collect();
        assert_eq!(to, ["a@example.test", "b@example.test"]);
    }

    #[tokio::test]
    #[should_panic(expected = "expected at least 2 message(s) within 200ms (waited at ")]
    async fn wait_for_fails_naming_what_arrived() {
        let peer = SmtpPeer::start();
        send(&peer, &["a@example.test"], WELCOME).await;
        peer.wait_for_within(2, Duration::from_millis(200)).await;
    }

    #[tokio::test]
    async fn stops_on_drop() {
        let peer = SmtpPeer::start();
        let addr = peer.addr();
        let mut open = Client::connect(&peer).await;
        drop(peer);
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the port is closed"
        );
        assert_eq!(
            open.reply().await,
            (0, String::new()),
            "the open session is cut"
        );
    }
}
