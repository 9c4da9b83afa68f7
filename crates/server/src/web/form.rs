//! Reading an `application/x-www-form-urlencoded` body strictly: text that is not UTF-8 once
//! decoded is refused, never turned into replacement characters ("��") that would then be
//! stored as somebody's organization name.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use percent_encoding::percent_decode;

use crate::app::App;
use crate::error::{AppError, Message};
use crate::http::extract::body_bytes;

/// The fields of a posted form, in order.
pub struct StrictForm(pub Fields);

/// A form's fields: a field may be posted more than once (ticked checkboxes).
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&String> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The first value, trimmed, or "" when it is missing.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).map_or("", |v| v.trim())
    }

    /// Every value of a field, in the order posted.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl FromRequest<App> for StrictForm {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &App) -> Result<Self, AppError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        if let Some(ct) = content_type.filter(|ct| ct != "application/x-www-form-urlencoded") {
            return Err(AppError::UnsupportedMediaType { content_type: ct });
        }
        let body = body_bytes(req, app).await?;
        parse(&body)
            .map(StrictForm)
            .ok_or_else(|| AppError::unreadable(Message::new("form-not-utf8")))
    }
}

/// The fields of `body`, or `None` when a name or value is not UTF-8 once decoded.
pub fn parse(body: &[u8]) -> Option<Fields> {
    let mut fields = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode(name)?;
        let value = decode(value)?;
        fields.push((name, value));
    }
    Some(Fields(fields))
}

fn decode(raw: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn fields_are_decoded() {
        let f = parse(b"organization_name=Kund+AB%20%C3%85s&x=1&x=2&flag").unwrap();
        assert_eq!(f.text("organization_name"), "Kund AB Ås");
        assert_eq!(f.text("x"), "1");
        assert_eq!(f.all("x"), ["1", "2"]);
        assert_eq!(f.get("flag").map(String::as_str), Some(""));
        assert_eq!(f.get("missing"), None);
        assert_eq!(parse(b"a=1%2B1").unwrap().text("a"), "1+1");
        assert!(parse(b"").unwrap().all("a").is_empty());
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        assert!(parse(b"organization_name=%FF%FE").is_none());
        assert!(parse(b"organization_name=\xff").is_none());
        assert!(parse(b"%C3=x").is_none());
    }
}
