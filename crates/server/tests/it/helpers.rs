//! The TestApp: a real server on port 0 over a fresh SQLite file, with a world of companies
//! and users for every role and tenancy case.

use std::path::PathBuf;
use std::sync::Arc;

use provisio::app::admin::UserInput;
use provisio::app::{App, Caller};
use provisio::clock::Clock;
use provisio::config::Config;
use provisio_store::Store;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

pub use crate::backend::Backend;
use crate::smtp::SmtpPeer;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub app: App,
    /// The store under the app, for checks of what was (not) stored; the server itself only
    /// reaches it through `app`.
    pub store: Arc<dyn Store>,
    pub dir: TempDir,
    /// Drops the data directory's PostgreSQL database (if any) with the test.
    _db: crate::backend::Database,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The server (with its scheduler) running on the app.
    server: Option<tokio::task::JoinHandle<()>>,
    /// An admin of the operator company.
    pub admin: String,
}

/// A response: status, headers and parsed JSON body (Null when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem+json with this status and code; returns the body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.text);
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "content type {}",
            self.content_type()
        );
        assert_eq!(self.body["code"], code, "code; body: {}", self.text);
        assert_eq!(
            self.body["status"], status,
            "status member; body: {}",
            self.text
        );
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.text
        );
        &self.body
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        &self.body
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_on(Clock::test(), tweak).await
    }

    /// A server on this clock: `Clock::system()` is `serve` without `--test-clock`.
    pub async fn spawn_on(clock: Clock, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_full(Backend::default(), clock, tweak).await
    }

    /// A server on this backend and clock.
    pub async fn spawn_full(
        backend: Backend,
        clock: Clock,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::defaults(dir.path().to_path_buf()).unwrap();
        let (store, db) = backend.open(dir.path()).await;
        config.database_url =
            crate::backend::database_of(dir.path()).map(secrecy::SecretString::from);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // The server's own address, unless the test puts it behind another public URL.
        config.public_url = base.parse().unwrap();
        tweak(&mut config);
        let app = App::new(Arc::clone(&store), clock, config);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server_app = app.clone();
        let server = tokio::spawn(async move {
            provisio::serve::run(listener, server_app, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let mut t = TestApp {
            base,
            http: reqwest::Client::new(),
            app,
            store,
            dir,
            _db: db,
            stop: Some(tx),
            server: Some(server),
            admin: String::new(),
        };
        let op = t
            .app
            .create_company(&Caller::Operator, "Operator", "operator")
            .await
            .unwrap();
        t.admin = t
            .user_key(
                &op.id.to_string(),
                "admin@op.test",
                "Ada Admin",
                "admin",
                false,
            )
            .await;
        t
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Creates a user directly and returns a fresh API key for them.
    pub async fn user_key(
        &self,
        company_id: &str,
        email: &str,
        name: &str,
        role: &str,
        can_resend: bool,
    ) -> String {
        let input = UserInput {
            company: company_id.into(),
            email: email.into(),
            name: name.into(),
            role: role.into(),
            can_resend,
            password: None,
        };
        self.app
            .create_user(&Caller::Operator, input)
            .await
            .unwrap();
        self.app
            .create_api_key(&Caller::Operator, email)
            .await
            .unwrap()
            .key
    }

    pub async fn company(&self, name: &str, kind: &str) -> String {
        self.app
            .create_company(&Caller::Operator, name, kind)
            .await
            .unwrap()
            .id
            .to_string()
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::reply(req).await
    }

    pub async fn reply(req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.send(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(key), Some(body)).await
    }

    /// Every stored order, as the store sees them (for "nothing was stored" checks).
    pub async fn order_count(&self) -> usize {
        let q = provisio_store::OrderQuery::new(
            provisio_store::Scope::Everything,
            provisio_store::PageRequest {
                after: None,
                limit: 200,
            },
        );
        self.store.list_orders(&q).await.unwrap().items.len()
    }

    pub async fn line_count(&self) -> usize {
        let q = provisio_store::LineQuery::new(
            provisio_store::Scope::Everything,
            provisio_store::PageRequest {
                after: None,
                limit: 200,
            },
        );
        self.store.list_lines(&q).await.unwrap().items.len()
    }
}

impl TestApp {
    /// Stops the server and its scheduler and waits until they have stopped: nothing writes
    /// to the store any more (the app and the store still read).
    pub async fn shut_down(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Companies and users for every role and tenancy case.
pub struct World {
    pub t: TestApp,
    /// The operator company's id.
    pub operator: String,
    pub acme: String,
    pub dist: String,
    pub other: String,
    /// Acme member without can_resend: places orders (the ordering contact).
    pub pia: String,
    /// Acme member with can_resend.
    pub bo: String,
    /// Acme member without can_resend.
    pub cy: String,
    /// Distributor member with can_resend.
    pub dana: String,
    /// A user of another partner company.
    pub olle: String,
    pub agent: String,
    /// Acme's integration (ERP).
    pub erp: String,
    /// The operator's integration (admin portal).
    pub portal: String,
}

impl World {
    pub async fn new() -> World {
        Self::build(TestApp::spawn().await).await
    }

    /// A world on this backend, whatever `PROVISIO_TEST_BACKEND` says.
    pub async fn on(backend: Backend) -> World {
        Self::build(TestApp::spawn_full(backend, Clock::test(), |_| {}).await).await
    }

    /// A world whose server sends through a real SMTP peer and names an admin portal.
    pub async fn with_smtp() -> (World, SmtpPeer) {
        Self::with_smtp_and(|_| {}).await
    }

    /// As [`World::with_smtp`], with more configuration.
    pub async fn with_smtp_and(tweak: impl FnOnce(&mut Config)) -> (World, SmtpPeer) {
        let peer = SmtpPeer::start();
        let url = peer.url();
        let t = TestApp::spawn_with(|c| {
            c.smtp_url = Some(url.into());
            c.admin_portal_url = Some(ADMIN_PORTAL.parse().unwrap());
            tweak(c);
        })
        .await;
        (Self::build(t).await, peer)
    }

    async fn build(t: TestApp) -> World {
        let op = t
            .app
            .find_company("Operator", true)
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string();
        let acme = t.company("Acme", "partner").await;
        let dist = t.company("Dist", "distributor").await;
        let other = t.company("Other", "partner").await;
        // Dist serves Acme (not Other).
        t.app
            .link_distributor(&Caller::Operator, &dist, &acme, true)
            .await
            .unwrap();
        let pia = t
            .user_key(&acme, "pia@acme.test", "Pia Partner", "member", false)
            .await;
        let bo = t
            .user_key(&acme, "bo@acme.test", "Bo", "member", true)
            .await;
        let cy = t
            .user_key(&acme, "cy@acme.test", "Cy", "member", false)
            .await;
        let dana = t
            .user_key(&dist, "dana@dist.test", "Dana", "member", true)
            .await;
        let olle = t
            .user_key(&other, "olle@other.test", "Olle", "member", true)
            .await;
        let agent = t
            .user_key(&op, "agent@op.test", "Agnes Agent", "support_agent", false)
            .await;
        let erp = t
            .user_key(&acme, "erp@acme.test", "Acme ERP", "integration", false)
            .await;
        let portal = t
            .user_key(&op, "portal@op.test", "Portal", "integration", false)
            .await;
        World {
            t,
            operator: op,
            acme,
            dist,
            other,
            pia,
            bo,
            cy,
            dana,
            olle,
            agent,
            erp,
            portal,
        }
    }

    /// Pia places an order for Kund AB through Dist with the given lines' contacts.
    pub async fn order(&self, web_id: &str, contacts: &[&str]) -> Value {
        let lines: Vec<Value> = contacts.iter().map(|c| line(c, "2030-01-15")).collect();
        let body = json!({
            "web_order_id": web_id, "distributor_id": self.dist,
            "end_customer": {"name": "Kund AB"}, "locale": "sv", "lines": lines,
        });
        self.t
            .post("/api/v1/orders", &self.pia, body)
            .await
            .ok(201)
            .clone()
    }
}

/// The admin portal `World::with_smtp` configures.
pub const ADMIN_PORTAL: &str = "https://admin.example.com";

impl World {
    /// Pia places an order (through Dist, for Kund AB) with these lines; returns the Order.
    pub async fn order_lines(&self, web_id: &str, locale: &str, lines: Vec<Value>) -> Value {
        let body = json!({
            "web_order_id": web_id, "distributor_id": self.dist,
            "end_customer": {"name": "Kund AB"}, "locale": locale, "lines": lines,
        });
        self.t
            .post("/api/v1/orders", &self.pia, body)
            .await
            .ok(201)
            .clone()
    }

    /// One line due today for `contact`; returns its subscription reference.
    pub async fn line_due_today(&self, web_id: &str, contact: &str) -> String {
        let order = self
            .order_lines(web_id, "en", vec![line(contact, &self.t.today())])
            .await;
        order["lines"][0]["subscription_ref"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl TestApp {
    /// Today in the business time zone (UTC by default), by the service clock.
    pub fn today(&self) -> String {
        self.app.clock.now().to_string()[..10].to_owned()
    }

    /// Moves the test clock forward as the admin.
    pub async fn advance(&self, seconds: i64) {
        self.post(
            "/api/v1/clock/advance",
            &self.admin,
            json!({ "seconds": seconds }),
        )
        .await
        .ok(200);
    }

    pub async fn line_json(&self, key: &str, sub_ref: &str) -> Value {
        self.get(&format!("/api/v1/lines/{sub_ref}"), key)
            .await
            .ok(200)
            .clone()
    }

    pub async fn emails(&self, key: &str, sub_ref: &str) -> Vec<Value> {
        self.get(&format!("/api/v1/lines/{sub_ref}/emails"), key)
            .await
            .ok(200)["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn event_types(&self, key: &str, sub_ref: &str) -> Vec<String> {
        self.get(&format!("/api/v1/lines/{sub_ref}/events"), key)
            .await
            .ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }

    /// See [`until`].
    pub async fn until<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        until(what, check).await
    }

    /// Waits until the line's latest email is in `state`; returns that email.
    pub async fn email_in_state(&self, key: &str, sub_ref: &str, state: &str) -> Value {
        self.until(&format!("the email of {sub_ref} to be {state}"), || async {
            let emails = self.emails(key, sub_ref).await;
            emails.first().filter(|e| e["state"] == state).cloned()
        })
        .await
    }
}

pub fn line(contact: &str, rsd: &str) -> Value {
    json!({
        "offer": "A-FLEX", "quantity": 10, "requested_start_date": rsd,
        "provisioning_contact": {"email": contact, "name": "Kim"},
    })
}

/// A minimal valid order body.
pub fn order_body() -> Value {
    json!({"end_customer": {"name": "Kund AB"}, "lines": [line("kim@kund.test", "2030-01-15")]})
}

/// Waits (up to 10 s, checking every 50 ms) until `check` returns Some; the scheduler
/// works in the background, so tests wait for the state they expect, not for a time.
pub async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after 10 s waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

impl TestApp {
    /// Gives a user a sign-in password for the web workspace (as an operator would).
    pub async fn set_password(&self, email: &str, password: &str) {
        self.app
            .set_password(&Caller::Operator, email, password)
            .await
            .unwrap();
    }
}
