//! What the SMTP transport says on the wire, seen by a minimal peer that records every command
//! (mailin answers NOOP itself and does not report it).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use provisio_domain::{EmailKind, Locale};
use provisio_mail::{SmtpTransport, Transport};
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::{email, render};

/// Accepts connections and records each command's verb (upper case), answering like a
/// permissive server.
async fn recording_peer() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let verbs = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&verbs);
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
                    seen.lock().unwrap().push(verb.clone());
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250 peer\r\n",
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
    (port, verbs)
}

#[tokio::test]
async fn a_connection_used_a_moment_ago_is_reused_without_a_noop() {
    let (port, verbs) = recording_peer().await;
    let smtp = SmtpTransport::from_url(&SecretString::from(format!("smtp://127.0.0.1:{port}")), 1)
        .unwrap()
        .with_timeout(Duration::from_secs(5));
    let message = render(&email(Locale::En, EmailKind::Initial)).unwrap();
    for _ in 0..3 {
        smtp.send(&message).await.unwrap();
    }
    assert_eq!(smtp.connections_opened(), 1);
    let verbs = verbs.lock().unwrap().clone();
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
