//! The web workspace over plain HTTP (no browser): sign-in, its throttle and the session's
//! idle end on the test clock, CSRF refusals, tenancy (another company's order is 404), the
//! language of pages, the form flows as a browser without JavaScript posts them, and the
//! security headers of error pages (`error_pages`). The same flows in a real Chromium are in
//! `browser/`.

mod addresses;
mod admin;
mod admin_users;
mod cases;
mod error_pages;
mod order_pages;
mod pages;
mod resend;
mod sessions;
mod signin;
mod timeline;

use provisio::app::Caller;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::TestApp;

/// The password every web test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// A page visitor: keeps the session cookie, does not follow redirects, speaks `lang`.
pub struct Visitor {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
    lang: &'static str,
}

/// A page's answer.
pub struct Page {
    pub status: StatusCode,
    /// The answer set the session cookie (it does when the session was saved).
    pub set_cookie: bool,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The value of the first hidden CSRF field on the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf_token\" value=\"")
            .unwrap_or_else(|| panic!("no csrf_token on the page: {}", self.body));
        let rest = &self.body[at + "name=\"csrf_token\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub fn has(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    /// A header's value ("" when it is missing).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Visitor {
    pub fn new(t: &TestApp) -> Self {
        Self::speaking(t, "en-GB,en;q=0.9")
    }

    pub fn speaking(t: &TestApp, lang: &'static str) -> Self {
        Visitor {
            base: t.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            lang,
        }
    }

    async fn answer(&mut self, req: reqwest::RequestBuilder) -> Page {
        let mut req = req.header(ACCEPT_LANGUAGE, self.lang);
        if let Some(c) = &self.cookie {
            req = req.header(COOKIE, c);
        }
        let res = req.send().await.unwrap();
        let set_cookie = res.headers().contains_key(SET_COOKIE);
        for value in res.headers().get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap().to_owned();
            // tower-sessions clears the cookie with an empty value and Max-Age=0.
            self.cookie = if value.contains("Max-Age=0") {
                None
            } else {
                Some(pair)
            };
        }
        Page {
            set_cookie,
            status: res.status(),
            location: res
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.answer(req).await
    }

    /// A bodyless request with any method.
    pub async fn send(&mut self, method: reqwest::Method, path: &str) -> Page {
        let req = self.http.request(method, format!("{}{path}", self.base));
        self.answer(req).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.answer(req).await
    }

    /// Posts a `multipart/form-data` form as a browser does: text fields, then files
    /// `(field, file name, content type, bytes)`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Page {
        let boundary = "----provisio-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, filename, content_type, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                     filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.answer(req).await
    }

    /// Signs in from the sign-in page; returns the answer to the form.
    pub async fn try_sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/").await;
        let csrf = form.csrf();
        self.post(
            "/sign-in",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn sign_in(&mut self, email: &str) {
        let done = self.try_sign_in(email, PASSWORD).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }

    /// The CSRF token of the signed-in session (from any page with a form).
    pub async fn csrf(&mut self) -> String {
        self.get("/help").await.csrf()
    }
}

/// Gives the users their web password.
pub async fn with_passwords(t: &TestApp, emails: &[&str]) {
    for email in emails {
        t.app
            .set_password(&Caller::Operator, email, PASSWORD)
            .await
            .unwrap();
    }
}
