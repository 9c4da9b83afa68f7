//! What every workspace page shares: the chrome around it ([`Chrome`]: language, navigation,
//! the signed-in user, the form token, the messages of the last action), the translator the
//! templates call (`c.t("key")`), times as people read them, and the rendered page with its
//! headers (`headers.rs`).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use provisio_domain::Locale;

use super::error;
use super::headers::{WORKSPACE_CSP, page_headers};
use super::session::{Note, Visitor};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::i18n::{text, text_with};

/// The chrome of a page, and the translator its template calls.
pub struct Chrome {
    pub locale: Locale,
    pub title: String,
    pub has_error: bool,
    pub csrf: String,
    pub user_name: Option<String>,
    /// The signed-in user is an admin: the navigation shows Administration.
    pub is_admin: bool,
    /// Which navigation item is this page: "orders", "subscriptions", "help", "admin" or "".
    pub nav: &'static str,
    /// The path of this page, for forms that come back to it.
    pub here: String,
    pub banners: Vec<Note>,
}

impl Chrome {
    /// The chrome of `visitor`'s page: its banners are the notes for no row in particular.
    pub fn new(visitor: &Visitor, nav: &'static str, here: &str, notes: &[Note]) -> Self {
        Chrome {
            locale: visitor.locale,
            title: String::new(),
            has_error: false,
            csrf: visitor.csrf.clone(),
            user_name: visitor.user.as_ref().map(|u| u.name.clone()),
            is_admin: visitor
                .user
                .as_ref()
                .is_some_and(|u| u.role == provisio_domain::Role::Admin),
            nav,
            here: here.to_owned(),
            banners: notes.iter().filter(|n| n.line.is_none()).cloned().collect(),
        }
    }

    pub fn titled(mut self, title: String) -> Self {
        self.title = title;
        self
    }

    /// The page's `lang`.
    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    pub fn t(&self, key: &str) -> String {
        text(self.locale, key)
    }

    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        text_with(self.locale, key, args)
    }

    pub fn signed_in_as(&self, name: &str) -> String {
        self.t_with("web-signed-in-as", &[("name", name)])
    }
}

/// An instant as the pages show it: in the business time zone, to the minute, the zone named
/// ("2026-12-05 10:42 Europe/Stockholm").
pub fn when(app: &App, t: Timestamp) -> String {
    t.to_zoned_datetime(app.config.time_zone.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
        + " "
        + &app.config.time_zone_name
}

/// A rendered workspace page with the headers every one carries.
pub fn html(status: StatusCode, page: &impl Template, locale: Locale) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            page_headers(&mut response, WORKSPACE_CSP, "same-origin");
            response
        }
        Err(e) => error::page(
            locale,
            &AppError::Internal(anyhow::anyhow!("rendering a page: {e}")),
        ),
    }
}

/// 303 to `to` (after a POST: the browser GETs it).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A page that needs a signed-in user sends others to sign in, coming back here after.
pub fn sign_in_first(here: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    see_other(&format!("/?next={next}"))
}

/// A path of ours to come back to: only local workspace paths, never another site.
pub fn local_path(raw: &str, fallback: &str) -> String {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control);
    if ok {
        raw.to_owned()
    } else {
        fallback.to_owned()
    }
}

/// The result of a page handler: errors become a page in the visitor's language.
pub fn or_error_page(locale: Locale, result: AppResult<Response>) -> Response {
    result.unwrap_or_else(|e| error::page(locale, &e))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/orders/W1", "/"), "/orders/W1");
        assert_eq!(
            local_path("/subscriptions?q=Sub1", "/"),
            "/subscriptions?q=Sub1"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "",
            "orders",
            "/a\nb",
        ] {
            assert_eq!(local_path(bad, "/"), "/", "{bad:?}");
        }
    }
}
