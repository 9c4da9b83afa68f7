use crate::helpers::*;

#[tokio::test]
async fn healthz_answers() {
    let t = TestApp::spawn().await;
    let r = t.send(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(r.ok(200)["status"], "ok");
}
