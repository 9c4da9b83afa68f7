//! Tests of the SMTP peer itself, through a plain SMTP client over TCP.

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
