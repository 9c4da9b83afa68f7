//! Signing in and out, the throttle, the session's idle end, CSRF, tenancy, languages.

use reqwest::StatusCode;

use super::{PASSWORD, Visitor, with_passwords};
use crate::helpers::{TestApp, World};

#[tokio::test]
async fn signing_in_shows_the_orders_and_signing_out_ends_the_session() {
    let w = World::new().await;
    with_passwords(&w.t, &["pia@acme.test"]).await;
    w.order("W-WEB-1", &["kim@kund.test"]).await;
    let mut pia = Visitor::new(&w.t);
    let form = pia.get("/").await;
    assert_eq!(form.status, StatusCode::OK);
    for words in [
        "<label for=\"email\">Email</label>",
        "<label for=\"password\">Password</label>",
        ">Sign in</button>",
    ] {
        assert!(form.has(words), "{words}: {}", form.body);
    }
    let done = pia.try_sign_in("PIA@acme.test", PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location.as_deref(), Some("/"));
    let home = pia.get("/").await;
    assert!(home.has("<h1>Needs attention</h1>"), "{}", home.body);
    let orders = pia.get("/orders").await;
    assert!(orders.has("<h1>Orders</h1>"), "{}", orders.body);
    assert!(orders.has("<a href=\"/orders/W-WEB-1\">W-WEB-1</a>"));
    assert!(orders.has("type=\"search\""));

    let csrf = orders.csrf();
    let out = pia.post("/sign-out", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = pia.get("/orders/W-WEB-1").await;
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "signed out: sent to sign in"
    );
    assert_eq!(
        after.location.as_deref(),
        Some("/?next=%2Forders%2FW-WEB-1")
    );
}

#[tokio::test]
async fn a_wrong_password_or_unknown_address_is_refused_in_the_same_words() {
    let w = World::new().await;
    with_passwords(&w.t, &["pia@acme.test"]).await;
    let mut v = Visitor::new(&w.t);
    let wrong = v.try_sign_in("pia@acme.test", "not the password").await;
    let unknown = v.try_sign_in("nobody@acme.test", "not the password").await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(
            page.has("The email address or the password is not right."),
            "{}",
            page.body
        );
        assert!(page.has("<title>Error: Sign in"), "{}", page.body);
        assert!(page.has("aria-invalid=\"true\""));
        assert!(page.has("There is a problem"));
    }
    let empty = v.try_sign_in("", "").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.has("Enter your email address.") && empty.has("Enter your password."));
    assert_eq!(v.get("/subscriptions").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn ten_failed_sign_ins_lock_the_account_for_fifteen_minutes() {
    let w = World::new().await;
    with_passwords(&w.t, &["pia@acme.test", "bo@acme.test"]).await;
    let mut v = Visitor::new(&w.t);
    for _ in 0..10 {
        let page = v.try_sign_in("pia@acme.test", "guess guess guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let locked = v.try_sign_in("pia@acme.test", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    assert!(locked.has("Too many failed sign-ins for this account. Try again in 15 minutes."));
    // Only that account: another signs in.
    let mut bo = Visitor::new(&w.t);
    bo.sign_in("bo@acme.test").await;
    // Successful sign-ins never counted, and the window is on the service clock.
    w.t.advance(15 * 60 + 1).await;
    let done = v.try_sign_in("pia@acme.test", PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}

#[tokio::test]
async fn a_session_idle_for_eight_hours_must_sign_in_again() {
    let w = World::new().await;
    with_passwords(&w.t, &["pia@acme.test"]).await;
    w.order("W-IDLE", &["kim@kund.test"]).await;
    let mut pia = Visitor::new(&w.t);
    pia.sign_in("pia@acme.test").await;
    w.t.advance(7 * 3600).await;
    assert_eq!(
        pia.get("/orders/W-IDLE").await.status,
        StatusCode::OK,
        "7 hours idle is fine"
    );
    w.t.advance(7 * 3600).await;
    assert_eq!(
        pia.get("/orders/W-IDLE").await.status,
        StatusCode::OK,
        "the view above renewed it"
    );
    w.t.advance(8 * 3600 + 60).await;
    let page = pia.get("/orders/W-IDLE").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let sign_in = pia.get(page.location.as_deref().unwrap()).await;
    assert!(
        sign_in.has("Your session ended after a long time without activity."),
        "{}",
        sign_in.body
    );
    assert!(
        sign_in.has("name=\"next\" value=\"/orders/W-IDLE\""),
        "{}",
        sign_in.body
    );
}

#[tokio::test]
async fn forms_without_the_sessions_token_are_refused_and_change_nothing() {
    let w = World::new().await;
    with_passwords(&w.t, &["pia@acme.test"]).await;
    let sub = w.line_due_today("W-CSRF", "kim@kund.test").await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    let mut pia = Visitor::new(&w.t);
    // Sign-in itself needs the form's token.
    let forged = pia
        .post(
            "/sign-in",
            &[("email", "pia@acme.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.has("This form has expired."), "{}", forged.body);
    pia.sign_in("pia@acme.test").await;
    for token in ["", "not-the-token"] {
        let page = pia
            .post(
                &format!("/lines/{sub}/resend"),
                &[("csrf_token", token), ("answer", "yes")],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(
            page.body.starts_with("<!doctype html>"),
            "a page, never JSON"
        );
        let contact = pia
            .post(
                &format!("/lines/{sub}/contact"),
                &[("csrf_token", token), ("email", "evil@x.test")],
            )
            .await;
        assert_eq!(contact.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        w.t.emails(&w.pia, &sub).await.len(),
        1,
        "nothing was resent"
    );
    assert_eq!(
        w.t.line_json(&w.pia, &sub).await["provisioning_contact"]["email"],
        "kim@kund.test"
    );
}

#[tokio::test]
async fn another_companys_order_is_not_found_as_a_page() {
    let w = World::new().await;
    with_passwords(&w.t, &["olle@other.test", "dana@dist.test"]).await;
    let sub = w.line_due_today("W-TENANT", "kim@kund.test").await;
    let mut olle = Visitor::new(&w.t);
    olle.sign_in("olle@other.test").await;
    for path in [
        "/orders/W-TENANT".to_owned(),
        format!("/lines/{sub}/resend"),
        format!("/lines/{sub}/contact"),
        "/orders/NO-SUCH".to_owned(),
    ] {
        let page = olle.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.starts_with("<!doctype html>"), "{path}: a page");
    }
    let list = olle.get("/orders").await;
    assert!(!list.has("W-TENANT"));
    let csrf = list.csrf();
    let page = olle
        .post(
            &format!("/lines/{sub}/resend"),
            &[("csrf_token", &csrf), ("answer", "yes")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // The distributor of the order sees it.
    let mut dana = Visitor::new(&w.t);
    dana.sign_in("dana@dist.test").await;
    assert_eq!(dana.get("/orders/W-TENANT").await.status, StatusCode::OK);
}

#[tokio::test]
async fn pages_speak_the_browsers_language_or_the_users_choice() {
    let w = World::new().await;
    with_passwords(&w.t, &["pia@acme.test"]).await;
    let mut sv = Visitor::speaking(&w.t, "sv-SE,sv;q=0.9,en;q=0.5");
    let form = sv.get("/").await;
    for words in [
        "lang=\"sv\"",
        ">E-post</label>",
        ">Lösenord</label>",
        ">Logga in</button>",
    ] {
        assert!(form.has(words), "{words}: {}", form.body);
    }
    sv.sign_in("pia@acme.test").await;
    let list = sv.get("/orders").await;
    assert!(
        list.has("<h1>Beställningar</h1>") && list.has(">Sök</label>"),
        "{}",
        list.body
    );
    assert!(list.has(">Moln/SaaS-prenumerationer</a>") && list.has(">Provisioneringshjälp</a>"));
    let missing = sv.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.has("lang=\"sv\""), "{}", missing.body);

    // Pia chooses English: it follows her, whatever the browser says.
    let csrf = list.csrf();
    let chosen = sv
        .post(
            "/language",
            &[
                ("csrf_token", &csrf),
                ("locale", "en"),
                ("back", "/subscriptions"),
            ],
        )
        .await;
    assert_eq!(chosen.location.as_deref(), Some("/subscriptions"));
    let page = sv.get("/subscriptions").await;
    assert!(page.has("<h1>Subscriptions</h1>"), "{}", page.body);
    let unknown = sv
        .post("/language", &[("csrf_token", &csrf), ("locale", "de")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.has("&#39;de&#39; is not a supported locale"),
        "{}",
        unknown.body
    );
    // The API's unknown routes stay problem+json.
    let api =
        w.t.http
            .get(format!("{}/api/v1/nothing", w.t.base))
            .send()
            .await
            .unwrap();
    assert_eq!(api.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_secure_behind_an_https_public_url() {
    let plain = TestApp::spawn().await;
    let https =
        TestApp::spawn_with(|c| c.public_url = "https://provisio.example/".parse().unwrap()).await;
    for (t, secure) in [(&plain, false), (&https, true)] {
        let res = t.http.get(format!("{}/", t.base)).send().await.unwrap();
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("provisio_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert_eq!(cookie.contains("Secure"), secure, "{cookie}");
        assert!(
            cookie.contains("Max-Age=3600"),
            "a visit that never signs in: {cookie}"
        );
    }
}

#[tokio::test]
async fn errors_on_page_paths_are_pages_and_on_the_api_problems() {
    let t = TestApp::spawn().await;
    let mut v = Visitor::speaking(&t, "sv-SE");
    let missing = v.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.has("lang=\"sv\"") && missing.has("sidan finns inte"),
        "{}",
        missing.body
    );
    let wrong_method = v.post("/help", &[("x", "1")]).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        wrong_method.body.starts_with("<!doctype html>"),
        "{}",
        wrong_method.body
    );
    let big = "x".repeat(3 * 1024 * 1024);
    let too_large = v.post("/sign-in", &[("email", big.as_str())]).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        too_large.body.starts_with("<!doctype html>"),
        "{}",
        too_large.body
    );
    for path in ["/api/v1/nothing", "/api/v1/orders"] {
        let res = t
            .http
            .delete(format!("{}{path}", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_page_view_with_nothing_new_does_not_write_the_session() {
    let w = World::new().await;
    with_passwords(&w.t, &["pia@acme.test"]).await;
    let mut pia = Visitor::new(&w.t);
    pia.sign_in("pia@acme.test").await;
    assert!(pia.get("/").await.status.is_success());
    let again = pia.get("/help").await;
    assert!(
        !again.set_cookie,
        "nothing changed: the session is not saved again"
    );
    // A minute later the last-seen time is renewed (the idle end moves), and saved.
    w.t.advance(61).await;
    assert!(pia.get("/help").await.set_cookie);
    assert!(!pia.get("/help").await.set_cookie);
}

#[tokio::test]
async fn a_user_created_with_the_cli_signs_in_on_the_running_server_at_once() {
    let t = TestApp::spawn().await;
    let d = t.data_dir();
    crate::cli::cli(&d, "company create --name Acme --kind partner")
        .await
        .ok();
    let create = "user create --company Acme --email kim@acme.test --name Kim --role member --password-stdin";
    crate::cli::run(&d, create, Some("a long enough secret\n"))
        .await
        .ok();
    let mut kim = Visitor::new(&t);
    let done = kim
        .try_sign_in("kim@acme.test", "a long enough secret")
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let orders = kim.get("/orders").await;
    assert!(
        orders.has("<h1>Orders</h1>") && orders.has("There are no orders yet."),
        "{}",
        orders.body
    );
    let wrong = Visitor::new(&t)
        .try_sign_in("kim@acme.test", "a long enough secret\n")
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNAUTHORIZED,
        "the newline was not part of it"
    );
}
