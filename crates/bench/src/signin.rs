//! Signing in through the real sign-in form, for the benchmarks of the web pages: `GET /`
//! without a cookie answers the sign-in page, which starts a session (its cookie) and holds
//! the session's form token (`csrf_token`); `POST /sign-in` with the token, the cookie and
//! the credentials answers `303` and a new session id, now signed in (checked: `/` then
//! offers to sign out). The cookies are carried
//! by hand (the workspace's reqwest has no cookie store).

use anyhow::{Context, bail};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;

/// Signs `email` in on the instance at `base`: the `Cookie` header of the signed-in session.
pub async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    // The 303 is the answer to check, not the page it leads to.
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()?;
    let mut jar = Jar::default();

    let page = http.get(format!("{base}/")).send().await?;
    let status = page.status();
    jar.take(&page);
    let html = page.text().await?;
    if status != reqwest::StatusCode::OK {
        bail!("GET {base}/ answered {status}, not the sign-in page");
    }
    let token = csrf_token(&html).context("no csrf_token in the sign-in page")?;
    if jar.is_empty() {
        bail!("the sign-in page set no session cookie");
    }

    let form = [
        ("csrf_token", token.as_str()),
        ("next", "/"),
        ("email", email),
        ("password", password),
    ];
    let reply = http
        .post(format!("{base}/sign-in"))
        .header(COOKIE, jar.header())
        .form(&form)
        .send()
        .await?;
    let status = reply.status();
    jar.take(&reply);
    if status != reqwest::StatusCode::SEE_OTHER {
        let body = reply.text().await.unwrap_or_default();
        bail!("signing in as {email} answered {status}, not 303: {body}");
    }
    // `/` answers 200 signed in or not: only a signed-in page offers to sign out.
    let cookie = jar.header();
    let home = http
        .get(format!("{base}/"))
        .header(COOKIE, &cookie)
        .send()
        .await?;
    let status = home.status();
    let html = home.text().await?;
    if status != reqwest::StatusCode::OK || !html.contains(r#"action="/sign-out""#) {
        bail!("after signing in as {email}, / answered {status} and no signed-in page");
    }
    Ok(cookie)
}

/// The cookies set so far, by name, in the order first set.
#[derive(Default)]
struct Jar {
    cookies: Vec<(String, String)>,
}

impl Jar {
    /// Keeps each cookie an answer sets (a later value replaces an earlier one of its name).
    fn take(&mut self, reply: &reqwest::Response) {
        for value in reply.headers().get_all(SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
            match self.cookies.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => self.cookies.push((name, value)),
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// The `Cookie` header that sends them all back.
    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The value of the page's `<input … name="csrf_token" value="…">` (whichever order its
/// attributes come in). The token is URL-safe base64, so no HTML escape can be in it.
fn csrf_token(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf_token""#)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let value = tag.split(r#"value=""#).nth(1)?;
    Some(value.split('"').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_found_in_its_input() {
        let page = r#"<form><input type="hidden" name="csrf_token" value="a-B_9">
            <input name="next" value="/"></form>"#;
        assert_eq!(csrf_token(page).as_deref(), Some("a-B_9"));
        let reordered = r#"<input value="xyz" type="hidden" name="csrf_token">"#;
        assert_eq!(csrf_token(reordered).as_deref(), Some("xyz"));
        assert_eq!(csrf_token("<input name=\"next\" value=\"/\">"), None);
    }
}
