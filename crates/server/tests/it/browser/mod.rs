//! Real headless Chromium for the page tests. A [`Browser`] starts its own `chromedriver` (on a
//! free port; killed on drop, after it has ended the session and with it Chromium) and opens one
//! headless Chromium on a fresh profile in a tempdir, in one language (`--lang` and the
//! `intl.accept_languages` pref, so the server sees that `Accept-Language`), with or without
//! JavaScript. It finds controls as a person does: by role and accessible name (the name
//! Chromium's accessibility tree computes, or the visible text), a field by its label, only
//! among what is displayed, by containment with an exact match preferred. Every wait polls a
//! condition until a deadline ([`WAIT`]) and fails saying what it waited for, where the browser
//! was (URL, title, the text of `main`) and where it left a screenshot.
//!
//! Chromium and chromedriver must be installed: Debian's `chromium` and `chromium-driver`
//! (`.ci/run` installs them). Without them every browser test fails saying how to install them;
//! `PROVISIO_CHROMIUM` / `PROVISIO_CHROMEDRIVER` name other binaries.
// Not every test uses every helper.
#![allow(dead_code)]

mod harness;
mod setup;
mod workspace;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::{Capabilities, TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;
use tokio::time::Instant;

/// How long a wait for something on a page lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(100);
/// How long chromedriver and Chromium may take to start (a cold start on a busy machine).
const START: Duration = Duration::from_secs(60);
/// What to do when a binary is missing.
pub const INSTALL: &str = "install Chromium and its driver with \
    `apt-get update && apt-get install -y chromium chromium-driver` (Debian; .ci/run does this), \
    or name the binaries in PROVISIO_CHROMIUM and PROVISIO_CHROMEDRIVER";

/// The flags every browser starts with (besides its profile and language).
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
];

/// How a browser is set up.
#[derive(Clone, Debug)]
pub struct Options {
    /// The browser's language: Chromium's `--lang` and its Accept-Language.
    pub lang: &'static str,
    /// Pages' scripts run; false blocks them for every site (a user who turned JavaScript off).
    pub javascript: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lang: "en-US",
            javascript: true,
        }
    }
}

impl Options {
    /// A Swedish browser (`Accept-Language: sv-SE`).
    pub fn swedish() -> Self {
        Options {
            lang: "sv-SE",
            ..Options::default()
        }
    }

    /// An English browser with JavaScript turned off.
    pub fn without_javascript() -> Self {
        Options {
            javascript: false,
            ..Options::default()
        }
    }
}

/// The page words the harness itself looks for (signing in and out, searching), per language.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    pub email: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    /// The orders list's search field.
    pub search: &'static str,
}

const EN: Words = Words {
    email: "Email",
    password: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    search: "Search",
};
const SV: Words = Words {
    email: "E-post",
    password: "Lösenord",
    sign_in: "Logga in",
    sign_out: "Logga ut",
    search: "Sök",
};

/// What a person looks for on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Button,
    Link,
    /// A text, email, password or search field, a text area or a select.
    Field,
    Checkbox,
    /// An open dialog (or an element with role dialog / alertdialog).
    Dialog,
    /// `h1`
    Heading,
    /// A live status region (`role=status` or `output`).
    Status,
}

impl Role {
    fn selector(self) -> &'static str {
        match self {
            Role::Button => {
                "button, input[type=submit], input[type=button], input[type=reset], [role=button]"
            }
            Role::Link => "a[href], [role=link]",
            Role::Field => {
                "input:not([type=hidden]):not([type=checkbox]):not([type=radio])\
                 :not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), \
                 textarea, select, [role=textbox], [role=searchbox], [role=combobox]"
            }
            Role::Checkbox => "input[type=checkbox], [role=checkbox]",
            Role::Dialog => "dialog, [role=dialog], [role=alertdialog]",
            Role::Heading => "h1",
            Role::Status => "[role=status], output",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Role::Button => "button",
            Role::Link => "link",
            Role::Field => "field",
            Role::Checkbox => "checkbox",
            Role::Dialog => "dialog",
            Role::Heading => "main heading (h1)",
            Role::Status => "status region",
        }
    }
}

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

        let profile = dir.path().join("profile");
        let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--lang={}", options.lang));
        let mut prefs = json!({ "intl.accept_languages": options.lang });
        if !options.javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args, "prefs": prefs }),
        );
        let connect = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url())
            .await;
        let client = match connect {
            Ok(client) => client,
            Err(e) => panic!(
                "could not start Chromium ({}) through chromedriver: {e}\n\
                 chromedriver's log:\n{}\nIf Chromium is not installed: {INSTALL}",
                chromium.display(),
                driver.log()
            ),
        };
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

    async fn main_text(&self) -> Result<String, String> {
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

/// A part of a page to find things in: the page, a row, a dialog; see [`Browser::row`].
pub struct Scope<'a> {
    browser: &'a Browser,
    root: Root,
    what: String,
}

/// Where a scope is, found again at every look (except a given element).
#[derive(Clone, Debug)]
enum Root {
    Page,
    /// The one displayed element this selector finds.
    Css(String),
    /// The one open dialog.
    Dialog,
    Element(Element),
}

/// An element a find considered: what it is called and what it shows.
struct Candidate {
    element: Element,
    /// The accessible name, whitespace collapsed.
    name: String,
    /// The visible text, whitespace collapsed.
    text: String,
}

impl Candidate {
    fn describe(&self) -> String {
        if self.text.is_empty() || self.text == self.name {
            format!("{:?}", self.name)
        } else {
            format!("{:?} (showing {:?})", self.name, self.text)
        }
    }
}

impl Scope<'_> {
    /// The scope's element now (None for the page); Err when it is not (only once) there.
    async fn resolve(&self) -> Result<Option<Element>, String> {
        let client = &self.browser.client;
        let one = |found: Vec<Element>| async move {
            let mut shown = Vec::new();
            for element in found {
                if element.is_displayed().await.map_err(|e| e.to_string())? {
                    shown.push(element);
                }
            }
            match shown.len() {
                1 => Ok(shown.pop()),
                0 => Err("it is not there (or not displayed)".to_owned()),
                n => Err(format!("there are {n} of it")),
            }
        };
        match &self.root {
            Root::Page => Ok(None),
            Root::Element(element) => Ok(Some(element.clone())),
            Root::Css(css) => {
                let found = client.find_all(Locator::Css(css)).await;
                one(found.map_err(|e| e.to_string())?).await
            }
            Root::Dialog => {
                let found = client.find_all(Locator::Css(Role::Dialog.selector())).await;
                one(found.map_err(|e| e.to_string())?).await
            }
        }
    }

    /// The scope's element (waiting for it); None for the page.
    pub async fn element(&self) -> Option<Element> {
        let what = format!("{} to be there", self.what);
        self.browser.wait(&what, || self.resolve()).await
    }

    /// The displayed elements of a role in this scope.
    async fn displayed(&self, role: Role) -> Result<Vec<Element>, String> {
        let root = self
            .resolve()
            .await
            .map_err(|e| format!("{}: {e}", self.what))?;
        let all = match root {
            Some(root) => root.find_all(Locator::Css(role.selector())).await,
            None => {
                self.browser
                    .client
                    .find_all(Locator::Css(role.selector()))
                    .await
            }
        };
        let mut shown = Vec::new();
        for element in all.map_err(|e| e.to_string())? {
            if element.is_displayed().await.map_err(|e| e.to_string())? {
                shown.push(element);
            }
        }
        Ok(shown)
    }

    async fn candidates(&self, role: Role) -> Result<Vec<Candidate>, String> {
        let mut out = Vec::new();
        for element in self.displayed(role).await? {
            let name = accessible_name(&self.browser.client, &element).await?;
            let text = element.text().await.map_err(|e| e.to_string())?;
            out.push(Candidate {
                element,
                name: normalize(&name),
                text: normalize(&text),
            });
        }
        Ok(out)
    }

    /// The one displayed element of `role` whose accessible name or visible text contains `name`
    /// (one that equals it wins over ones that only contain it), now.
    async fn try_find(&self, role: Role, name: &str) -> Result<Element, String> {
        let all = self.candidates(role).await?;
        let wanted = normalize(name);
        let exact: Vec<&Candidate> = all
            .iter()
            .filter(|c| c.name == wanted || c.text == wanted)
            .collect();
        let containing: Vec<&Candidate> = all
            .iter()
            .filter(|c| c.name.contains(&wanted) || c.text.contains(&wanted))
            .collect();
        let list = |cs: &[&Candidate]| {
            let names: Vec<String> = cs.iter().map(|c| c.describe()).collect();
            format!("[{}]", names.join(", "))
        };
        match (exact.as_slice(), containing.as_slice()) {
            ([one], _) | ([], [one]) => Ok(one.element.clone()),
            ([], []) => {
                let seen: Vec<&Candidate> = all.iter().collect();
                Err(format!(
                    "none; the {}s displayed in {} are {}",
                    role.noun(),
                    self.what,
                    list(&seen)
                ))
            }
            ([], several) | (several, _) => Err(format!(
                "{} match, which is ambiguous: {}",
                several.len(),
                list(several)
            )),
        }
    }

    /// Waits for the one displayed element of `role` named `name` (see the module doc).
    pub async fn find(&self, role: Role, name: &str) -> Element {
        let what = format!("a {} named {name:?} in {}", role.noun(), self.what);
        self.browser.wait(&what, || self.try_find(role, name)).await
    }

    /// Waits for the one displayed element of `role`, whatever its name (the status region).
    pub async fn the(&self, role: Role) -> Element {
        let what = format!("the one {} in {}", role.noun(), self.what);
        self.browser
            .wait(&what, || async {
                let shown = self.displayed(role).await?;
                match shown.as_slice() {
                    [one] => Ok(one.clone()),
                    [] => Err("there is none".into()),
                    _ => Err(format!("there are {}", shown.len())),
                }
            })
            .await
    }

    /// The displayed elements of `role` whose name or text contains `name`, now (no waiting).
    pub async fn all(&self, role: Role, name: &str) -> Vec<Element> {
        let wanted = normalize(name);
        let what = format!("the {}s in {}", role.noun(), self.what);
        let all = self.browser.wait(&what, || self.candidates(role)).await;
        all.into_iter()
            .filter(|c| c.name.contains(&wanted) || c.text.contains(&wanted))
            .map(|c| c.element)
            .collect()
    }

    /// Waits until no displayed element of `role` is named `name`.
    pub async fn absent(&self, role: Role, name: &str) {
        let wanted = normalize(name);
        let what = format!("no {} named {name:?} in {}", role.noun(), self.what);
        self.browser
            .wait(&what, || async {
                let all = self.candidates(role).await?;
                let named: Vec<String> = all
                    .iter()
                    .filter(|c| c.name.contains(&wanted) || c.text.contains(&wanted))
                    .map(Candidate::describe)
                    .collect();
                if named.is_empty() {
                    Ok(())
                } else {
                    Err(format!("there are [{}]", named.join(", ")))
                }
            })
            .await;
    }

    pub async fn button(&self, name: &str) -> Element {
        self.find(Role::Button, name).await
    }

    pub async fn link(&self, name: &str) -> Element {
        self.find(Role::Link, name).await
    }

    /// A field by its label (its accessible name).
    pub async fn field(&self, label: &str) -> Element {
        self.find(Role::Field, label).await
    }

    pub async fn checkbox(&self, label: &str) -> Element {
        self.find(Role::Checkbox, label).await
    }

    /// The `href` of the link named `name`, as the browser resolved it (absolute).
    pub async fn href(&self, name: &str) -> String {
        let link = self.link(name).await;
        link.prop("href").await.unwrap().unwrap_or_default()
    }

    /// The (resolved) `href`s of every displayed link in this scope.
    pub async fn hrefs(&self) -> Vec<String> {
        let what = format!("the links in {}", self.what);
        self.browser
            .wait(&what, || async {
                let mut out = Vec::new();
                for link in self.displayed(Role::Link).await? {
                    let href = link.prop("href").await.map_err(|e| e.to_string())?;
                    out.extend(href);
                }
                Ok(out)
            })
            .await
    }

    /// Clicks the button named `name` (waiting until there is one that takes the click).
    pub async fn press(&self, name: &str) {
        self.click(Role::Button, name).await;
    }

    /// Clicks the link named `name`.
    pub async fn follow(&self, name: &str) {
        self.click(Role::Link, name).await;
    }

    async fn click(&self, role: Role, name: &str) {
        let what = format!("a {} named {name:?} in {} to click", role.noun(), self.what);
        self.browser
            .wait(&what, || async {
                let element = self.try_find(role, name).await?;
                element
                    .click()
                    .await
                    .map_err(|e| format!("the click failed: {e}"))
            })
            .await;
    }

    /// Types `value` into the field labelled `label` (after clearing it).
    pub async fn fill(&self, label: &str, value: &str) {
        let what = format!("a field named {label:?} in {} to fill", self.what);
        self.browser
            .wait(&what, || async {
                let field = self.try_find(Role::Field, label).await?;
                field.clear().await.map_err(|e| e.to_string())?;
                field.send_keys(value).await.map_err(|e| e.to_string())
            })
            .await;
    }

    /// Fills the field labelled `label` and presses Enter in it (submits its form).
    pub async fn fill_and_enter(&self, label: &str, value: &str) {
        self.fill(label, value).await;
        let field = self.field(label).await;
        field.send_keys(&Key::Enter.to_string()).await.unwrap();
    }

    /// Ticks the checkbox labelled `label` (leaves it ticked when it is).
    pub async fn tick(&self, label: &str) {
        let what = format!("a checkbox named {label:?} in {} to tick", self.what);
        self.browser
            .wait(&what, || async {
                let checkbox = self.try_find(Role::Checkbox, label).await?;
                if !checkbox.is_selected().await.map_err(|e| e.to_string())? {
                    checkbox.click().await.map_err(|e| e.to_string())?;
                }
                if checkbox.is_selected().await.map_err(|e| e.to_string())? {
                    Ok(())
                } else {
                    Err("it stays unticked".into())
                }
            })
            .await;
    }

    /// The scope's text, whitespace collapsed (the text of `main` for the page).
    pub async fn text(&self) -> String {
        let what = format!("the text of {}", self.what);
        self.browser.wait(&what, || self.try_text()).await
    }

    async fn try_text(&self) -> Result<String, String> {
        match self.resolve().await? {
            None => self.browser.main_text().await,
            Some(root) => root
                .text()
                .await
                .map(|t| normalize(&t))
                .map_err(|e| e.to_string()),
        }
    }

    /// Waits until the scope's text contains `needle`; returns the text.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        self.wait_for_text_that(&format!("{needle:?}"), |text| text.contains(needle))
            .await
    }

    /// Waits until the scope's text satisfies `ok` (`what` says how, for the failure message).
    pub async fn wait_for_text_that(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let what = format!("the text of {} to show {what}", self.what);
        self.browser
            .wait(&what, || async {
                let text = self.try_text().await?;
                if ok(&text) {
                    Ok(text)
                } else {
                    Err(format!("it shows {:?}", shorten(&text, 2000)))
                }
            })
            .await
    }
}

/// The accessible name Chromium computes for an element (WebDriver's Get Computed Label).
async fn accessible_name(client: &Client, element: &Element) -> Result<String, String> {
    let label = client
        .issue_cmd(ComputedLabel(element.element_id().to_string()))
        .await
        .map_err(|e| format!("computed label: {e}"))?;
    Ok(label.as_str().unwrap_or_default().to_owned())
}

/// `GET /session/{session id}/element/{element id}/computedlabel`
#[derive(Debug)]
struct ComputedLabel(String);

impl WebDriverCompatibleCommand for ComputedLabel {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!(
            "session/{session}/element/{}/computedlabel",
            self.0
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::GET, None)
    }
}

/// Whitespace collapsed to single spaces, trimmed.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A chromedriver child on a free port of 127.0.0.1, killed on drop.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    async fn start(program: &Path, log: &Path) -> Driver {
        let mut last = String::new();
        // A free port can be taken by someone else before chromedriver binds it: try again.
        for _ in 0..3 {
            let port = free_port();
            let out = std::fs::File::create(log).unwrap();
            let err = out.try_clone().unwrap();
            let spawned = Command::new(program)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn();
            let child = match spawned {
                Ok(child) => child,
                Err(e) => panic!("could not run {}: {e}; {INSTALL}", program.display()),
            };
            let mut driver = Driver {
                child,
                port,
                log: log.to_owned(),
            };
            let deadline = Instant::now() + START;
            loop {
                if let Ok(Some(status)) = driver.child.try_wait() {
                    last = format!("chromedriver exited ({status}):\n{}", driver.log());
                    break;
                }
                if driver.ready() {
                    return driver;
                }
                if Instant::now() >= deadline {
                    panic!(
                        "chromedriver did not answer on port {port} within {START:?}:\n{}",
                        driver.log()
                    );
                }
                tokio::time::sleep(POLL).await;
            }
        }
        panic!("chromedriver did not start: {last}")
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Its status endpoint answers.
    fn ready(&self) -> bool {
        request(self.port, "GET", "/status").is_some_and(|r| r.starts_with("HTTP/1.1 200"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ends a WebDriver session (chromedriver closes Chromium), blocking, for drop.
fn end_session(port: u16, session: &str) {
    let _ = request(port, "DELETE", &format!("/session/{session}"));
}

/// One plain HTTP/1.1 request to chromedriver; its status line once it answers, or None.
/// (chromedriver keeps the connection open, so the answer is not read to its end.)
fn request(port: u16, method: &str, path: &str) -> Option<String> {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    answer.lines().next().map(str::to_owned)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// The binary `what`: the path in `env` when set, else `default`, else the first of `names` on
/// PATH; a missing one fails the test saying how to install it.
fn binary(what: &str, env: &str, default: &str, names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    match locate(what, env, std::env::var_os(env), default, names, &path) {
        Ok(found) => found,
        Err(message) => panic!("{message}"),
    }
}

fn locate(
    what: &str,
    env: &str,
    configured: Option<OsString>,
    default: &str,
    names: &[&str],
    path: &OsString,
) -> Result<PathBuf, String> {
    if let Some(configured) = configured.filter(|c| !c.is_empty()) {
        let configured = PathBuf::from(configured);
        return if configured.is_file() {
            Ok(configured)
        } else {
            Err(format!(
                "{env}={} is not a file: the browser tests need {what}; {INSTALL}",
                configured.display()
            ))
        };
    }
    if Path::new(default).is_file() {
        return Ok(default.into());
    }
    for dir in std::env::split_paths(path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "the browser tests need {what}, which is not installed (not at {default}, and none of \
         {names:?} on PATH): {INSTALL}"
    ))
}
