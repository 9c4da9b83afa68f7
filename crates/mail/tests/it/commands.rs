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
fn verbs(lines: &Mutex<Vec<String>>) -> Vec<String> {
    let lines = lines.lock().unwrap();
    let verb = |l: &String| l.split([' ', ':']).next().unwrap_or("").to_uppercase();
    lines.iter().map(verb).collect()
}

fn transport(port: u16) -> SmtpTransport {
    SmtpTransport::from_url(&SecretString::from(format!("smtp://127.0.0.1:{port}")), 1)
        .unwrap()
        .with_timeout(Duration::from_secs(5))
}

/// Records every command line as sent; answers MAIL FROM with `mail_reply` and everything
/// else like a permissive server that offers no extensions (no SMTPUTF8, no 8BITMIME).
async fn scripted_peer(mail_reply: &'static [u8]) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&lines);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 peer ready\r\n").await.unwrap();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        }
                        continue;
                    }
                    let verb = line.split([' ', ':']).next().unwrap_or("").to_uppercase();
                    seen.lock().unwrap().push(line.clone());
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250 peer\r\n",
                        "MAIL" => mail_reply,
                        "DATA" => {
                            in_data = true;
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
    (port, lines)
}

#[tokio::test]
async fn a_connection_used_a_moment_ago_is_reused_without_a_noop() {
    let (port, lines) = scripted_peer(b"250 ok\r\n").await;
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
    let (port, lines) = scripted_peer(b"250 ok\r\n").await;
    let message = render(&email(Locale::En, EmailKind::Initial)).unwrap();
    transport(port)
        .with_hello_name("mail.provisio.example")
        .send(&message)
        .await
        .unwrap();
    let lines = lines.lock().unwrap().clone();
    assert_eq!(
        lines.first().map(String::as_str),
        Some("EHLO mail.provisio.example")
    );
}

#[tokio::test]
async fn an_internationalized_domain_goes_out_as_a_labels_to_a_relay_without_smtputf8() {
    let (port, lines) = scripted_peer(b"250 ok\r\n").await;
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
    let lines = lines.lock().unwrap().clone();
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
    let (port, _) = scripted_peer(b"530 5.7.0 Authentication required\r\n").await;
    let message = render(&email(Locale::En, EmailKind::Initial)).unwrap();
    let error = transport(port).send(&message).await.unwrap_err();
    assert_eq!(error.fault, Fault::Transport, "{error:?}");
    assert!(error.reply.starts_with("530 "), "{}", error.reply);

    let (port, _) = scripted_peer(b"550 5.1.0 sender rejected\r\n").await;
    let error = transport(port).send(&message).await.unwrap_err();
    assert_eq!(
        error.fault,
        Fault::Permanent,
        "another 5xx is the message's: {error:?}"
    );
}
