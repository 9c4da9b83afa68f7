//! The [`Browser`]: one headless Chromium with its own chromedriver (see the module doc of
//! [`super`]). Starting it and ending it, opening pages and signing in, the scopes to find things
//! in (the page, the body, a row, the open dialog), and its waits: each polls a condition until a
//! deadline ([`WAIT`], or the limit of [`Browser::set_wait`]) and fails saying what it waited for
//! and where the browser was ([`Browser::where_it_is`]).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, Locator};
use tempfile::TempDir;
use tokio::time::Instant;

use super::driver::{Driver, binary, end_session, new_session};
use super::scope::Root;
use super::{EN, Options, POLL, Role, SV, Scope, WAIT, Words, normalize};

/// One headless Chromium with its own chromedriver; see the module doc.
pub struct Browser {
    client: Client,
    base: String,
    options: Options,
    session: String,
    /// How long a wait lasts ([`WAIT`] unless set).
    limit: Duration,
    // Dropped in this order, after `Drop::drop` ended the session (and so Chromium).
    driver: Driver,
    dir: TempDir,
}

impl Browser {
    /// An English browser with JavaScript, for the server at `base` (`http://127.0.0.1:PORT`).
    pub async fn start(base: &str) -> Browser {
        Self::start_with(base, Options::default()).await
    }

    pub async fn start_with(base: &str, options: Options) -> Browser {
        let chromium = binary(
            "Chromium",
            "PROVISIO_CHROMIUM",
            "/usr/bin/chromium",
            &["chromium", "chromium-browser"],
        );
        let chromedriver = binary(
            "chromedriver",
            "PROVISIO_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            &["chromedriver"],
        );
        let dir = tempfile::tempdir().unwrap();
        let driver = Driver::start(&chromedriver, &dir.path().join("chromedriver.log")).await;

        let client = new_session(&driver, &chromium, &dir.path().join("profile"), &options).await;
        let session = client.session_id().await.ok().flatten().unwrap_or_default();
        // Made before anything else can fail, so its drop ends the session.
        let browser = Browser {
            client,
            base: base.trim_end_matches('/').to_owned(),
            options,
            session,
            limit: WAIT,
            driver,
            dir,
        };
        let timeouts = TimeoutConfiguration::new(
            Some(Duration::from_secs(10)),
            Some(Duration::from_secs(30)),
            Some(Duration::ZERO),
        );
        browser.client.update_timeouts(timeouts).await.unwrap();
        browser
    }

    /// Waits of this browser last `limit` instead of [`WAIT`].
    pub fn set_wait(&mut self, limit: Duration) {
        self.limit = limit;
    }

    /// The WebDriver client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The harness's words in this browser's language.
    pub fn words(&self) -> Words {
        if self.options.lang.starts_with("sv") {
            SV
        } else {
            EN
        }
    }

    /// Opens a path of the server (`/orders/W1`) or an absolute URL, and waits for it to load.
    pub async fn goto(&self, path_or_url: &str) {
        let url = if path_or_url.starts_with('/') {
            format!("{}{path_or_url}", self.base)
        } else {
            path_or_url.to_owned()
        };
        if let Err(e) = self.client.goto(&url).await {
            panic!("could not open {url}: {e}");
        }
    }

    /// The current URL's path and query (`/subscriptions?q=Sub1`).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the current path and query start with `prefix`; returns them.
    pub async fn wait_for_path(&self, prefix: &str) -> String {
        self.wait(&format!("the address to be {prefix}…"), || async {
            let url = self.client.current_url().await.map_err(|e| e.to_string())?;
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            if path.starts_with(prefix) {
                Ok(path)
            } else {
                Err(format!("at {path}"))
            }
        })
        .await
    }

    /// The whole page as a scope to find things in.
    pub fn page(&self) -> Scope<'_> {
        self.scope(Root::Page, "the page")
    }

    /// The whole `body`, for text that may stand outside `main` (a banner, a toast).
    pub fn body(&self) -> Scope<'_> {
        self.scope(Root::Css("body".into()), "the whole page (body)")
    }

    /// A scope inside this element (a form, a cell): it stays this element, so it goes stale
    /// when the page is replaced (a row found with [`Self::row`] is looked up afresh instead).
    pub fn within(&self, element: &Element, what: &str) -> Scope<'_> {
        self.scope(Root::Element(element.clone()), what)
    }

    /// The table row of a line (`<tr id="line-{ref}">`), looked up again at every look, so it
    /// outlives a reload of the page.
    pub fn row(&self, sub_ref: &str) -> Scope<'_> {
        let css = format!("[id=\"line-{sub_ref}\"]");
        self.scope(
            Root::Css(css),
            &format!("the row of {sub_ref} (#line-{sub_ref})"),
        )
    }

    /// The element with this id (a table row, a form), looked up again at every look.
    pub fn by_id(&self, id: &str) -> Scope<'_> {
        let css = format!("[id=\"{id}\"]");
        self.scope(Root::Css(css), &format!("#{id}"))
    }

    /// Waits until one dialog is open; it is the scope (the open dialog at every look).
    pub async fn dialog(&self) -> Scope<'_> {
        let dialog = self.scope(Root::Dialog, "the open dialog");
        self.wait("a dialog to open", || dialog.resolve()).await;
        dialog
    }

    /// The open dialog at every look, without waiting for one (for "if a dialog is open").
    pub fn any_dialog(&self) -> Scope<'_> {
        self.scope(Root::Dialog, "the open dialog")
    }

    fn scope(&self, root: Root, what: &str) -> Scope<'_> {
        Scope {
            browser: self,
            root,
            what: what.to_owned(),
        }
    }

    /// Waits until no dialog is open.
    pub async fn no_dialog(&self) {
        self.wait("every dialog to be closed", || async {
            let open = self.page().displayed(Role::Dialog).await?;
            if open.is_empty() {
                Ok(())
            } else {
                Err(format!("{} open", open.len()))
            }
        })
        .await;
    }

    /// The element that has the keyboard focus.
    pub async fn focused(&self) -> Element {
        self.client.active_element().await.unwrap()
    }

    /// Waits until `element` has the keyboard focus.
    pub async fn wait_for_focus_on(&self, element: &Element, what: &str) {
        self.wait(&format!("the focus to be on {what}"), || async {
            let active = self.client.active_element().await;
            let active = active.map_err(|e| e.to_string())?;
            if active.element_id() == element.element_id() {
                Ok(())
            } else {
                let html = active.html(false).await.unwrap_or_default();
                Err(format!("it is on {}", shorten(&html, 200)))
            }
        })
        .await;
    }

    /// The text of `main` (of `body` when there is no `main`), whitespace collapsed.
    pub async fn text_of_main(&self) -> String {
        self.wait("the text of the page", || self.main_text()).await
    }

    pub(super) async fn main_text(&self) -> Result<String, String> {
        let mains = self.client.find_all(Locator::Css("main")).await;
        let mains = mains.map_err(|e| e.to_string())?;
        let root = match mains.into_iter().next() {
            Some(main) => main,
            None => self
                .client
                .find(Locator::Css("body"))
                .await
                .map_err(|e| e.to_string())?,
        };
        root.text()
            .await
            .map(|t| normalize(&t))
            .map_err(|e| e.to_string())
    }

    /// Waits until the text of `main` contains `needle`; returns that text.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        self.page().wait_for_text(needle).await
    }

    /// Waits until a displayed status region (`role=status`, `output`) says `needle`; returns
    /// what it says.
    pub async fn wait_for_status(&self, needle: &str) -> String {
        self.wait(&format!("a status region saying {needle:?}"), || async {
            let regions = self.page().displayed(Role::Status).await?;
            let mut seen = Vec::new();
            for region in regions {
                let text = normalize(&region.text().await.map_err(|e| e.to_string())?);
                if text.contains(needle) {
                    return Ok(text);
                }
                seen.push(text);
            }
            Err(format!("the displayed status regions say {seen:?}"))
        })
        .await
    }

    /// Waits until the page's main heading (`h1`) contains `needle`; returns the heading.
    pub async fn wait_for_heading(&self, needle: &str) -> String {
        self.wait(&format!("a main heading with {needle:?}"), || async {
            let headings = self.page().displayed(Role::Heading).await?;
            let mut seen = Vec::new();
            for h in headings {
                let text = normalize(&h.text().await.map_err(|e| e.to_string())?);
                if text.contains(needle) {
                    return Ok(text);
                }
                seen.push(text);
            }
            Err(format!("the h1 headings are {seen:?}"))
        })
        .await
    }

    /// Signs in at `/` with the sign-in form in this browser's language; waits until signed in
    /// (the sign-out button is there).
    pub async fn sign_in(&self, email: &str, password: &str) {
        let words = self.words();
        self.goto("/").await;
        let page = self.page();
        page.fill(words.email, email).await;
        page.fill(words.password, password).await;
        page.press(words.sign_in).await;
        page.button(words.sign_out).await;
    }

    /// The cookies the browser holds for the server, as a `Cookie` request header (for
    /// checking with an HTTP client what a link of the signed-in user answers).
    pub async fn cookie_header(&self) -> String {
        let cookies = self.client.get_all_cookies().await.unwrap();
        cookies
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Polls `check` every 100 ms until it gives `Ok`, for at most [`WAIT`] (or the limit set
    /// with [`Self::set_wait`]); then fails the test
    /// with `what`, the last reason `check` gave, and where the browser is.
    pub async fn wait<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        let deadline = Instant::now() + self.limit;
        loop {
            let why = match check().await {
                Ok(value) => return value,
                Err(why) => why,
            };
            if Instant::now() >= deadline {
                let place = self.where_it_is().await;
                let limit = self.limit;
                panic!("timed out after {limit:?} waiting for {what}: {why}\n{place}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Where the browser is, for a failure message: URL, title, the text of main, and a
    /// screenshot saved under the target directory.
    pub async fn where_it_is(&self) -> String {
        static SHOTS: AtomicUsize = AtomicUsize::new(0);
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("(no URL: {e})"),
        };
        let title = self.client.title().await.unwrap_or_default();
        let text = self.main_text().await.unwrap_or_else(|e| format!("({e})"));
        let shot = match self.client.screenshot().await {
            Ok(png) => {
                let n = SHOTS.fetch_add(1, Ordering::SeqCst);
                let file = Path::new(env!("CARGO_TARGET_TMPDIR"))
                    .join(format!("browser-{}-{n}.png", std::process::id()));
                match std::fs::write(&file, png) {
                    Ok(()) => file.display().to_string(),
                    Err(e) => format!("(not saved: {e})"),
                }
            }
            Err(e) => format!("(none: {e})"),
        };
        format!(
            "  browser at {url} (title {title:?}, language {}, JavaScript {})\n  \
             screenshot: {shot}\n  text of main: {}",
            self.options.lang,
            if self.options.javascript { "on" } else { "off" },
            shorten(&text, 3000)
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The fantoccini client would end the session from a task of the runtime, which may be
        // gone by then: end it here, so chromedriver closes Chromium before it is killed.
        end_session(self.driver.port, &self.session);
    }
}

/// At most `max` characters of `text`, an ellipsis marking a cut.
pub(super) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
