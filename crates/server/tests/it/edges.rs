//! The HTTP edge under abuse: slow and idle clients, too many connections, stalled and
//! oversized bodies, forged request ids, invented methods, and the headers every answer
//! carries.

use std::time::Duration;

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// The longest any test here waits for something the server must do on its own.
const GUARD: Duration = Duration::from_secs(15);

fn addr(t: &TestApp) -> String {
    t.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; returns what it sent.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(GUARD, stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&got).into_owned()
}

/// Sends `head` (and `body`) on a new connection and returns the whole answer (the server
/// closes the connection after it).
pub(crate) async fn raw(t: &TestApp, head: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr(t)).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    read_until_closed(&mut stream).await
}

#[tokio::test]
async fn unfinished_and_idle_connections_are_closed() {
    let t = TestApp::spawn_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    // Half a request head, then silence.
    let mut slow = TcpStream::connect(addr(&t)).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // Connected, and nothing sent at all.
    let mut idle = TcpStream::connect(addr(&t)).await.unwrap();
    let (slow_got, idle_got) =
        tokio::join!(read_until_closed(&mut slow), read_until_closed(&mut idle));
    assert!(!slow_got.contains("200 OK"), "{slow_got}");
    assert!(!idle_got.contains("200 OK"), "{idle_got}");
    // The service itself is fine.
    let r = t.send(Method::GET, "/healthz", None, None).await;
    r.ok(200);
}

#[tokio::test]
async fn many_idle_connections_do_not_lock_others_out() {
    let t = TestApp::spawn().await;
    let mut held = Vec::new();
    for _ in 0..1_500 {
        let mut s = TcpStream::connect(addr(&t)).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        held.push(s);
    }
    let healthz = tokio::time::timeout(GUARD, t.send(Method::GET, "/healthz", None, None))
        .await
        .expect("/healthz answers beside 1,500 unfinished requests");
    healthz.ok(200);
    let fresh = raw(
        &t,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"",
    )
    .await;
    assert!(fresh.starts_with("HTTP/1.1 200"), "{fresh}");
    drop(held);
}

#[tokio::test]
async fn a_connection_over_the_cap_is_refused_at_once_with_a_problem() {
    let t = TestApp::spawn_with(|c| c.max_connections = 16).await;
    let mut held = Vec::new();
    for _ in 0..16 {
        held.push(TcpStream::connect(addr(&t)).await.unwrap());
    }
    // The listener accepts in order: once the 16 above are accepted, the next is over the cap.
    let mut tries = 0;
    let answer = loop {
        tries += 1;
        assert!(tries < 200, "never refused: there is no cap");
        let got = raw(
            &t,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            b"",
        )
        .await;
        if !got.starts_with("HTTP/1.1 200") {
            break got;
        }
        // An earlier connection was not accepted yet when this one came; try again.
        tokio::task::yield_now().await;
    };
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"unavailable\""), "{answer}");
    drop(held);
    // Room again: served.
    let r = until("a free connection", || async {
        let r = t.send(Method::GET, "/healthz", None, None).await;
        (r.status == 200).then_some(r)
    })
    .await;
    r.ok(200);
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_as_a_problem() {
    let t = TestApp::spawn_with(|c| c.request_body_timeout = Duration::from_secs(1)).await;
    let head = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 400\r\n\r\n",
        t.admin
    );
    let mut stream = TcpStream::connect(addr(&t)).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"lines\": [").await.unwrap();
    let mut got = vec![0u8; 4096];
    let n = tokio::time::timeout(GUARD, stream.read(&mut got))
        .await
        .expect("an answer to the stalled body")
        .unwrap();
    let answer = String::from_utf8_lossy(&got[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    assert_eq!(t.order_count().await, 0);
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    // A long body timeout: only an answer that does not wait for the body arrives in time.
    let t = TestApp::spawn_with(|c| c.request_body_timeout = Duration::from_secs(120)).await;
    let head = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        t.admin,
        3 * 1024 * 1024
    );
    let answer = raw(&t, &head, b"").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"code\":\"payload_too_large\""),
        "{answer}"
    );
}

#[tokio::test]
async fn request_ids_from_clients_are_kept_only_when_safe() {
    let t = TestApp::spawn().await;
    let id_of = |sent: &'static str| {
        let req = t
            .http
            .get(format!("{}/healthz", t.base))
            .header("x-request-id", sent);
        async move {
            let r = TestApp::reply(req).await;
            r.headers["x-request-id"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(id_of("trace-0190f3c2.7b1e").await, "trace-0190f3c2.7b1e");
    for forged in [
        "x\" level=ERROR msg=\"admin logged in",
        "a b",
        "%0d%0aINFO forged",
        "ok-but-far-too-long-0123456789-0123456789-0123456789-0123456789-0123456789",
    ] {
        let got = id_of(forged).await;
        assert_ne!(got, forged);
        assert!(
            got.chars().all(|c| c.is_ascii_hexdigit() || c == '-') && got.len() == 36,
            "a fresh id instead of {forged:?}: {got}"
        );
    }
}

#[tokio::test]
async fn invented_methods_do_not_inflate_metrics() {
    let t = TestApp::spawn().await;
    for i in 0..50 {
        let method = Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        let r = t
            .send(method.clone(), "/api/v1/orders", Some(&t.admin), None)
            .await;
        assert!(r.status.is_client_error(), "{method}: {}", r.status);
        let r = t.send(method, &format!("/made-up/{i}"), None, None).await;
        assert!(r.status.is_client_error());
    }
    let metrics = t
        .http
        .get(format!("{}/metrics", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200, "/metrics needs no credentials");
    let text = metrics.text().await.unwrap();
    assert!(!text.contains("INVENTED"), "method names became labels");
    assert!(!text.contains("/made-up/"), "unmatched paths became labels");
    assert!(text.contains("method=\"other\""), "{text}");
}

#[tokio::test]
async fn api_answers_are_not_cached_or_sniffed() {
    let w = World::new().await;
    let t = &w.t;
    for (path, status) in [
        ("/api/v1/orders", 200),
        ("/api/v1/orders/W-NONE", 404),
        ("/api/v1/nothing-here", 404),
    ] {
        let r = t.get(path, &w.pia).await;
        assert_eq!(r.status, status, "{path}");
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
    }
    let unauthenticated = t.send(Method::GET, "/api/v1/orders", None, None).await;
    unauthenticated.problem(401, "unauthenticated");
    assert_eq!(unauthenticated.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn every_kind_of_queued_mail_is_counted() {
    let w = World::new().await;
    let sub_ref = w.line_due_today("W-METRIC-1", "kim@kund.test").await;
    w.t.post(
        &format!("/api/v1/lines/{sub_ref}/resend"),
        &w.bo,
        serde_json::json!({}),
    )
    .await
    .ok(202);
    let text =
        w.t.http
            .get(format!("{}/metrics", w.t.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(
        text.contains("provisio_emails_queued_total{kind=\"resend\"}"),
        "{text}"
    );
}
