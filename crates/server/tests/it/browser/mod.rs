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
//!
//! The harness: [`chromium`] (the [`Browser`]: starting it, its scopes, its waits), [`scope`]
//! (finding controls in a part of a page), [`actions`] (pressing, filling, ticking, reading the
//! text there), [`role`] (a control's role and accessible name), [`driver`] (the chromedriver
//! process, the session that starts Chromium, locating the binaries); here the [`Options`] a
//! browser starts with and the [`Words`] it looks for. The harness's own tests are in `harness`;
//! the page tests in `setup` (the contact's setup page), in `workspace`, `resend`, `contact`
//! and `keyboard` (the web workspace), in `attention` (what needs attention, by role, and the
//! why-not texts), `subscriptions` (Resend selected, the CSV) and `timeline` (a line's
//! history), in `cases` (support cases: opened from a line's row with screenshots, worked through
//! the agents' queue), in `admin` (Administration) and in `email` (an email's HTML part at 375 px);
//! `axe` runs axe-core (npm) over every page.
// Not every test uses every helper.
#![allow(dead_code)]

mod actions;
mod chromium;
mod driver;
mod role;
mod scope;

mod admin;
mod attention;
mod axe;
mod cases;
mod contact;
mod email;
mod harness;
mod keyboard;
mod resend;
mod setup;
mod subscriptions;
mod timeline;
mod workspace;

use std::time::Duration;

pub use chromium::Browser;
pub use role::{Role, normalize};
pub use scope::Scope;

/// How long a wait for something on a page lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(100);
/// What to do when a binary is missing.
pub const INSTALL: &str = "install Chromium and its driver with \
    `apt-get update && apt-get install -y chromium chromium-driver` (Debian; .ci/run does this), \
    or name the binaries in PROVISIO_CHROMIUM and PROVISIO_CHROMEDRIVER";

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

/// The page words the harness itself looks for (signing in and out, searching, a line's
/// actions), per language.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    pub email: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    /// The orders list's search field.
    pub search: &'static str,
    /// A line's actions and the Edit contact form's button.
    pub resend: &'static str,
    pub edit_contact: &'static str,
    pub save_and_send: &'static str,
    /// The setup page's button, its colleague field and the fresh-link button.
    pub set_up: &'static str,
    pub colleague: &'static str,
    pub fresh_link: &'static str,
    /// A line's history disclosure: "History of Sub…".
    pub history: &'static str,
    /// A line's checkbox ("Select {ref}") and the button that resends the chosen lines.
    pub select: &'static str,
    pub resend_selected: &'static str,
}

const EN: Words = Words {
    email: "Email",
    password: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    search: "Search",
    resend: "Resend",
    edit_contact: "Edit contact",
    save_and_send: "Save and send",
    set_up: "Set up your service",
    colleague: "Colleague's email",
    fresh_link: "Send me a fresh link",
    history: "History of",
    select: "Select",
    resend_selected: "Resend selected",
};
const SV: Words = Words {
    email: "E-post",
    password: "Lösenord",
    sign_in: "Logga in",
    sign_out: "Logga ut",
    search: "Sök",
    resend: "Skicka igen",
    edit_contact: "Ändra kontakt",
    save_and_send: "Spara och skicka",
    set_up: "Konfigurera din tjänst",
    colleague: "Kollegans e-post",
    fresh_link: "Skicka en ny länk till mig",
    history: "Historik för",
    select: "Välj",
    resend_selected: "Skicka igen för valda",
};
