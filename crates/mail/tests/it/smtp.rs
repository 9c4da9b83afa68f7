use std::sync::Arc;
use std::time::Duration;

use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Fault, SmtpTransport, Transport};
use secrecy::SecretString;
use tokio_rustls::rustls::{
    self,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
};

use crate::peer::{Peer, ca_pem};
use crate::{email, parse, render};

fn transport(url: &str) -> SmtpTransport {
    SmtpTransport::from_url(&SecretString::from(url.to_owned()), 2)
        .unwrap()
        .with_timeout(Duration::from_secs(5))
}

fn message_to(address: &str) -> lettre::Message {
    let mut email = email(Locale::En, EmailKind::Initial);
    email.envelope.to.address = address.to_owned();
    render(&email).unwrap()
}

#[tokio::test]
async fn a_message_is_accepted_and_arrives_and_connections_are_reused() {
    let peer = Peer::start();
    let smtp = transport(&format!("smtp://127.0.0.1:{}", peer.port));
    assert_eq!(smtp.describe(), format!("smtp://127.0.0.1:{}", peer.port));

    let accepted = smtp.send(&message_to("kim@kund.example")).await.unwrap();
    assert_eq!(accepted.reply, "250 2.0.0 Ok: queued as Q1");
    let second = smtp.send(&message_to("kim@kund.example")).await.unwrap();
    assert_eq!(second.reply, "250 2.0.0 Ok: queued as Q2");

    assert_eq!(smtp.connections_opened(), 1);
    let seen = peer.seen();
    assert_eq!(seen.hellos, 1, "both messages went over one connection");
    assert_eq!(seen.messages.len(), 2);
    let (from, to) = &seen.envelopes[0];
    assert!(from.contains("provisio@provisio.example"), "{from}");
    assert_eq!(to.len(), 1);
    assert!(to[0].contains("kim@kund.example"), "{to:?}");
    let arrived = parse(&seen.messages[0]);
    assert_eq!(
        arrived.subject(),
        Some("Provisioning information required for order W123 (Sub1000042, Kund AB)")
    );
    assert_eq!(
        arrived.message_id(),
        Some("0190f3a1-7c2e-7000-8000-000000000001@provisio")
    );
}

#[tokio::test]
async fn a_4xx_reply_is_transient_and_a_5xx_reply_permanent() {
    let peer = Peer::start();
    let smtp = transport(&format!("smtp://127.0.0.1:{}", peer.port));

    let busy = smtp
        .send(&message_to("busy@kund.example"))
        .await
        .unwrap_err();
    assert_eq!(busy.fault, Fault::Transient);
    assert_eq!(busy.reply, "451 4.3.0 try later");

    let nobody = smtp
        .send(&message_to("nobody@kund.example"))
        .await
        .unwrap_err();
    assert_eq!(nobody.fault, Fault::Permanent);
    assert_eq!(nobody.reply, "550 5.1.1 no such user");

    // lettre closes a connection after a negative reply: each failure cost one.
    smtp.send(&message_to("kim@kund.example")).await.unwrap();
    assert_eq!(smtp.connections_opened(), 3);
    assert_eq!(peer.seen().messages.len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_a_fault_of_the_transport() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let smtp = transport(&format!("smtp://127.0.0.1:{port}"));
    let error = smtp
        .send(&message_to("kim@kund.example"))
        .await
        .unwrap_err();
    assert_eq!(error.fault, Fault::Transport);
    assert!(
        error
            .reply
            .starts_with(&format!("cannot connect to 127.0.0.1:{port}")),
        "{}",
        error.reply
    );
}

#[tokio::test]
async fn a_silent_server_is_a_fault_of_the_transport() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let smtp =
        transport(&format!("smtp://127.0.0.1:{port}")).with_timeout(Duration::from_millis(300));
    let error = smtp
        .send(&message_to("kim@kund.example"))
        .await
        .unwrap_err();
    assert_eq!(error.fault, Fault::Transport);
    assert!(
        error.reply.contains("greeting") && error.reply.contains("timed out"),
        "{}",
        error.reply
    );
    silent.abort();
}

#[tokio::test]
async fn starttls_and_auth_with_percent_encoded_credentials() {
    let peer = Peer::start_tls();
    let url = format!(
        "smtp://relay%40example.com:s3cret%3Apw@localhost:{}?tls=required",
        peer.port
    );
    let smtp = transport(&url).with_root_certificates(&ca_pem()).unwrap();
    assert_eq!(
        smtp.describe(),
        format!("smtp://localhost:{}?tls=required (with AUTH)", peer.port)
    );
    let accepted = smtp.send(&message_to("kim@kund.example")).await.unwrap();
    assert!(accepted.reply.starts_with("250 "), "{}", accepted.reply);
    let seen = peer.seen();
    assert_eq!(
        seen.logins,
        vec![("relay@example.com".to_owned(), "s3cret:pw".to_owned())]
    );
    assert_eq!(seen.messages.len(), 1);
}

#[tokio::test]
async fn wrong_credentials_and_an_untrusted_certificate_are_faults_of_the_transport() {
    let peer = Peer::start_tls();
    let wrong = transport(&format!(
        "smtp://relay:wrong@localhost:{}?tls=required",
        peer.port
    ))
    .with_root_certificates(&ca_pem())
    .unwrap();
    let error = wrong
        .send(&message_to("kim@kund.example"))
        .await
        .unwrap_err();
    assert_eq!(error.fault, Fault::Transport, "{error:?}");
    assert!(error.reply.starts_with("535 "), "{}", error.reply);

    let untrusted = transport(&format!(
        "smtp://relay:s3cret%3Apw@localhost:{}?tls=required",
        peer.port
    ));
    let error = untrusted
        .send(&message_to("kim@kund.example"))
        .await
        .unwrap_err();
    assert_eq!(error.fault, Fault::Transport);
    assert!(!error.reply.contains("s3cret"));
}

#[tokio::test]
async fn starttls_required_refuses_a_server_without_it() {
    let peer = Peer::start();
    let smtp = transport(&format!("smtp://127.0.0.1:{}?tls=required", peer.port));
    let error = smtp
        .send(&message_to("kim@kund.example"))
        .await
        .unwrap_err();
    assert_eq!(error.fault, Fault::Transport);
    assert!(error.reply.contains("STARTTLS"), "{}", error.reply);
    assert!(peer.seen().messages.is_empty());
}

#[tokio::test]
async fn smtps_wraps_the_connection_in_tls_first() {
    let peer = Peer::start();
    let port = tls_proxy(peer.port).await;
    let smtp = transport(&format!("smtps://localhost:{port}"))
        .with_root_certificates(&ca_pem())
        .unwrap();
    assert_eq!(smtp.describe(), format!("smtps://localhost:{port}"));
    smtp.send(&message_to("kim@kund.example")).await.unwrap();
    smtp.send(&message_to("kim@kund.example")).await.unwrap();
    assert_eq!(smtp.connections_opened(), 1);
    assert_eq!(peer.seen().messages.len(), 2);
}

/// Implicit TLS in front of a plain peer, as a relay on port 465 would be.
async fn tls_proxy(upstream: u16) -> u16 {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/certs");
    let certs = CertificateDer::pem_file_iter(format!("{dir}/localhost.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/localhost.key")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut tls = acceptor.accept(tcp).await.unwrap();
                let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", upstream))
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}
