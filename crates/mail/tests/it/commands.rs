//! What the SMTP transport says on the wire, seen by a minimal peer that records every command
//! (mailin answers NOOP itself and does not report it).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Fault, SmtpTransport, Transport};
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::{email, parse, render};

/// The verbs of the commands seen, upper case.
fn verbs(seen: &Mutex<Seen>) -> Vec<String> {
    let seen = seen.lock().unwrap();
    let verb = |l: &String| l.split([' ', ':']).next().unwrap_or("").to_uppercase();
    seen.commands.iter().map(verb).collect()
}

fn transport(port: u16) -> SmtpTransport {
    SmtpTransport::from_url(&SecretString::from(format!("smtp://127.0.0.1:{port}")), 1)
        .unwrap()
        .with_timeout(Duration::from_secs(5))
}

/// What a scripted peer saw.
#[derive(Default)]
struct Seen {
    /// Every command line, as sent.
    commands: Vec<String>,
    /// The commands that arrived with the next already behind them (pipelined).
    grouped: Vec<String>,
    /// Each message's content as the peer took it (transparency undone), CRLF line ends.
    messages: Vec<String>,
}

/// Records every command line as sent; answers MAIL FROM with `mail_reply` and everything
/// else like a permissive server that offers no extensions (no SMTPUTF8, no 8BITMIME) but
/// PIPELINING when `pipelining`.
async fn peer(mail_reply: &'static [u8], pipelining: bool) -> (u16, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let all = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = Arc::clone(&all);
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                write.write_all(b"220 peer ready\r\n").await.unwrap();
                let mut data: Option<String> = None;
                let mut line = String::new();
                loop {
                    line.clear();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let text = line.trim_end_matches(['\r', '\n']).to_owned();
                    if let Some(content) = data.as_mut() {
                        if text == "." {
                            seen.lock().unwrap().messages.push(std::mem::take(content));
                            data = None;
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            content.push_str(text.strip_prefix('.').unwrap_or(&text));
                            content.push_str("\r\n");
                        }
                        continue;
                    }
                    let verb = text.split([' ', ':']).next().unwrap_or("").to_uppercase();
                    {
                        let mut seen = seen.lock().unwrap();
                        seen.commands.push(text.clone());
                        if !read.buffer().is_empty() {
                            seen.grouped.push(text.clone());
                        }
                    }
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" if pipelining => b"250-peer\r\n250 PIPELINING\r\n",
                        "EHLO" => b"250 peer\r\n",
                        "MAIL" => mail_reply,
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn a_connection_used_a_moment_ago_is_reused_without_a_noop() {
    let (port, lines) = peer(b"250 ok\r\n", false).await;
    let smtp = SmtpTransport::from_url(&SecretString::from(format!("smtp://127.0.0.1:{port}")), 1)
        .unwrap()
        .with_timeout(Duration::from_secs(5));
    let message = render(&email(Locale::En, EmailKind::Initial)).unwrap();
    for _ in 0..3 {
        smtp.send(&message).await.unwrap();
    }
    assert_eq!(smtp.connections_opened(), 1);
    let verbs = verbs(&lines);
    assert_eq!(
        verbs.iter().filter(|v| *v == "MAIL").count(),
        3,
        "three transactions: {verbs:?}"
    );
    assert!(
        !verbs.iter().any(|v| v == "NOOP"),
        "no NOOP before reusing a connection just used: {verbs:?}"
    );
}

#[tokio::test]
async fn ehlo_carries_the_configured_name() {
    let (port, lines) = peer(b"250 ok\r\n", false).await;
    let message = render(&email(Locale::En, EmailKind::Initial)).unwrap();
    transport(port)
        .with_hello_name("mail.provisio.example")
        .send(&message)
        .await
        .unwrap();
    let lines = lines.lock().unwrap().commands.clone();
    assert_eq!(
        lines.first().map(String::as_str),
        Some("EHLO mail.provisio.example")
    );
}

#[tokio::test]
async fn an_internationalized_domain_goes_out_as_a_labels_to_a_relay_without_smtputf8() {
    let (port, lines) = peer(b"250 ok\r\n", false).await;
    let mut idn = email(Locale::En, EmailKind::Initial);
    idn.envelope.to.address = "kim@bücher.example".to_owned();
    let message = render(&idn).unwrap();
    let to = parse(&message.formatted())
        .to()
        .unwrap()
        .first()
        .unwrap()
        .address()
        .unwrap()
        .to_owned();
    assert_eq!(to, "kim@xn--bcher-kva.example", "the To header");
    let accepted = transport(port).send(&message).await.unwrap();
    assert!(accepted.reply.starts_with("250"), "{}", accepted.reply);
    let lines = lines.lock().unwrap().commands.clone();
    assert!(lines.iter().all(|l| !l.contains("SMTPUTF8")), "{lines:?}");
    assert!(
        lines.contains(&"RCPT TO:<kim@xn--bcher-kva.example>".to_owned()),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_relay_that_wants_authentication_is_a_fault_of_the_transport() {
    // 530 to MAIL FROM: the relay needs AUTH that is not configured. Every message would get
    // it, so none is to blame (it used to fail each email permanently).
    let (port, _) = peer(b"530 5.7.0 Authentication required\r\n", true).await;
    let message = render(&email(Locale::En, EmailKind::Initial)).unwrap();
    let error = transport(port).send(&message).await.unwrap_err();
    assert_eq!(error.fault, Fault::Transport, "{error:?}");
    assert!(error.reply.starts_with("530 "), "{}", error.reply);

    let (port, _) = peer(b"550 5.1.0 sender rejected\r\n", false).await;
    let error = transport(port).send(&message).await.unwrap_err();
    assert_eq!(
        error.fault,
        Fault::Permanent,
        "another 5xx is the message's: {error:?}"
    );
}

#[tokio::test]
async fn a_server_that_offers_pipelining_gets_the_envelope_in_one_write_and_the_whole_message() {
    let (port, seen) = peer(b"250 ok\r\n", true).await;
    let smtp = transport(port);
    let message = render(&email(Locale::Sv, EmailKind::Initial)).unwrap();
    for _ in 0..2 {
        let accepted = smtp.send(&message).await.unwrap();
        assert_eq!(accepted.reply, "250 queued");
    }
    assert_eq!(smtp.connections_opened(), 1);
    let seen = seen.lock().unwrap();
    let verbs: Vec<&str> = seen.commands.iter().map(|c| &c[..4]).collect();
    assert_eq!(
        verbs,
        ["EHLO", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA"]
    );
    let grouped: Vec<&str> = seen.grouped.iter().map(|c| &c[..4]).collect();
    assert_eq!(
        grouped,
        ["MAIL", "RCPT", "MAIL", "RCPT"],
        "MAIL and RCPT came with DATA behind them"
    );
    // The content as lettre's own send writes it: the message, then an empty line.
    let expected = format!("{}\r\n", String::from_utf8(message.formatted()).unwrap());
    assert_eq!(seen.messages, [expected.clone(), expected]);
}

#[tokio::test]
async fn a_server_that_does_not_offer_pipelining_gets_one_command_at_a_time() {
    let (port, seen) = peer(b"250 ok\r\n", false).await;
    let message = render(&email(Locale::Sv, EmailKind::Initial)).unwrap();
    transport(port).send(&message).await.unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.grouped.is_empty(), "{:?}", seen.grouped);
    assert_eq!(seen.messages.len(), 1);
}

#[tokio::test]
async fn a_refusal_in_a_pipelined_envelope_fails_that_message_and_the_next_goes_on_a_new_connection()
 {
    let (port, _) = peer(b"550 5.1.0 sender rejected\r\n", true).await;
    let smtp = transport(port);
    let message = render(&email(Locale::En, EmailKind::Initial)).unwrap();
    for attempt in 1..=2 {
        let error = smtp.send(&message).await.unwrap_err();
        assert_eq!(error.fault, Fault::Permanent, "{error:?}");
        assert!(error.reply.starts_with("550 "), "{}", error.reply);
        assert_eq!(smtp.connections_opened(), attempt);
    }
}
