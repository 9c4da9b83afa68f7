//! SMTP PIPELINING (RFC 2920) on top of lettre's connection, which sends each command and
//! waits for its reply: MAIL, RCPT and DATA, then the content and the final dot, were five
//! writes and four round trips per message. Where the server offers PIPELINING, MAIL, every
//! RCPT and DATA go in one write and the content with its dot in another: two round trips.
//! A `perf record` of `serve` during dispatch put lettre's writes (the loopback's syscalls and
//! the task switches they cause on both ends) at 11 % of its CPU.
//!
//! lettre does not keep PIPELINING among the extensions it knows, so the stream under it
//! watches the server's replies while the connection is set up ([`Watched`]) for the keyword
//! in the EHLO reply (asking again with a second EHLO instead upset a real server after AUTH).
//! After STARTTLS the reply that counts comes encrypted, beyond the watch: such connections do
//! not pipeline. The bytes on the wire are those of lettre's `send`: the same commands and the
//! same transparency (a line starting with `.` gets another).

use std::fmt::{self, Display, Formatter};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use lettre::address::Envelope;
use lettre::transport::smtp::Error;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection with what its server offers.
pub(super) struct Pipelined {
    pub(super) inner: AsyncSmtpConnection,
    /// The server's EHLO reply offered PIPELINING.
    pub(super) pipelining: bool,
}

impl Pipelined {
    /// One mail transaction; pipelined when the server offers it and the message needs none
    /// of the extensions lettre's own `send` chooses parameters for (SMTPUTF8, 8BITMIME):
    /// provisio's messages are 7-bit with ASCII addresses, so that is every one of ours.
    /// After an error the connection must be dropped: replies may still be on their way.
    pub(super) async fn send(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Response, Error> {
        let content = match std::str::from_utf8(message) {
            Ok(text) if self.pipelining && text.is_ascii() && ascii_addresses(envelope) => text,
            _ => return self.inner.send(envelope, message).await,
        };
        let recipients = envelope.to().len();
        // MAIL's reply; a negative one ends the transaction here.
        self.inner.command(Transaction(envelope)).await?;
        for _ in 0..recipients {
            self.inner.read_response().await?;
        }
        // DATA's 354.
        self.inner.read_response().await?;
        self.inner.command(with_transparency(content)).await
    }
}

fn ascii_addresses(envelope: &Envelope) -> bool {
    let ascii = |a: &lettre::Address| AsRef::<str>::as_ref(a).is_ascii();
    let from = envelope.from().is_none_or(ascii);
    from && envelope.to().iter().all(ascii)
}

/// What the watch of a connection's setup found.
#[derive(Debug)]
pub(super) struct Watch {
    /// Still watching (the setup's replies); off for good once `finish`ed.
    on: AtomicBool,
    scan: Mutex<Scan>,
}

#[derive(Debug, Default)]
struct Scan {
    /// The reply line read so far (at most [`LONGEST_LINE`] octets of it).
    line: Vec<u8>,
    pipelining: bool,
}

/// Longer reply lines are not keyword lines and are not kept.
const LONGEST_LINE: usize = 512;

impl Watch {
    /// A watch that looks (`on`) or, for a connection whose EHLO reply cannot be seen in the
    /// clear (STARTTLS), finds nothing.
    pub(super) fn new(on: bool) -> Arc<Self> {
        Arc::new(Self {
            on: AtomicBool::new(on),
            scan: Mutex::default(),
        })
    }

    /// Stops watching; whether a reply offered PIPELINING.
    pub(super) fn finish(&self) -> bool {
        self.on.store(false, Ordering::Relaxed);
        self.scan().pipelining
    }

    fn scan(&self) -> MutexGuard<'_, Scan> {
        self.scan.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self, bytes: &[u8]) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        let mut scan = self.scan();
        for &b in bytes {
            if b != b'\n' {
                if scan.line.len() < LONGEST_LINE {
                    scan.line.push(b);
                }
                continue;
            }
            let line = std::mem::take(&mut scan.line);
            scan.pipelining |= offers_pipelining(&line);
        }
    }
}

/// `250-PIPELINING` or `250 PIPELINING` (any case, any parameters after it).
fn offers_pipelining(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    let Some(rest) = text
        .strip_prefix("250-")
        .or_else(|| text.strip_prefix("250 "))
    else {
        return false;
    };
    rest.split_whitespace()
        .next()
        .is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
}

/// The stream under lettre, with a [`Watch`] on what the server says.
#[derive(Debug)]
pub(super) struct Watched<S> {
    inner: S,
    watch: Arc<Watch>,
}

impl<S> Watched<S> {
    pub(super) fn new(inner: S, watch: &Arc<Watch>) -> Self {
        Self {
            inner,
            watch: Arc::clone(watch),
        }
    }
}

impl<S: AsyncTokioStream> AsyncTokioStream for Watched<S> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.watch.read(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// MAIL FROM, a RCPT TO per recipient and DATA, as one group (RFC 2920: DATA ends it).
struct Transaction<'a>(&'a Envelope);

impl Display for Transaction<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Mail::new(self.0.from().cloned(), vec![]).fmt(f)?;
        for to in self.0.to() {
            Rcpt::new(to.clone(), vec![]).fmt(f)?;
        }
        Data.fmt(f)
    }
}

/// The message with SMTP's transparency (RFC 5321 §4.5.2) and the end of data, as lettre's
/// `message` writes it, in one string of the right size (lettre's `command` writes what it
/// is given as one; a `Display` grew its string a doubling at a time).
fn with_transparency(message: &str) -> String {
    // A dot at the start of a line is rare (a line of the text part): room for a few.
    let mut out = String::with_capacity(message.len() + 16);
    let mut rest = message;
    if rest.starts_with('.') {
        out.push('.');
    }
    while let Some(at) = rest.find("\r\n.") {
        out.push_str(&rest[..at + 3]);
        out.push('.');
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out.push_str("\r\n.\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_finds_the_keyword_in_an_ehlo_reply_read_in_pieces() {
        let watch = Watch::new(true);
        watch.read(b"220 ready\r\n250-relay.example\r\n250-SIZE 1000\r\n250-pipe");
        watch.read(b"lining\r\n250 8BITMIME\r\n");
        assert!(watch.finish());
        let watch = Watch::new(true);
        watch.read(b"250-relay.example\r\n250-XPIPELINING\r\n250 HELP PIPELINING\r\n");
        assert!(!watch.finish());
        let blind = Watch::new(false);
        blind.read(b"250 PIPELINING\r\n");
        assert!(!blind.finish());
    }

    #[test]
    fn content_doubles_a_leading_dot_and_ends_with_the_dot_line() {
        assert_eq!(
            with_transparency(".a\r\n.b\r\nc.\r\n..d"),
            "..a\r\n..b\r\nc.\r\n...d\r\n.\r\n"
        );
        assert_eq!(with_transparency("x"), "x\r\n.\r\n");
    }

    #[test]
    fn the_group_is_mail_rcpt_data() {
        let envelope = Envelope::new(
            Some("a@x.example".parse().unwrap()),
            vec![
                "b@y.example".parse().unwrap(),
                "c@y.example".parse().unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(
            Transaction(&envelope).to_string(),
            "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nRCPT TO:<c@y.example>\r\nDATA\r\n"
        );
    }
}
