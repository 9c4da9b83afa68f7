//! What a control is to a person: its [`Role`] (the elements that have it, the noun a failure
//! message calls it) and its accessible name, the one Chromium's accessibility tree computes
//! (WebDriver's Get Computed Label), compared with whitespace collapsed ([`normalize`]).

use fantoccini::Client;
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;

/// What a person looks for on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Button,
    Link,
    /// A text, email, password or search field, a text area or a select.
    Field,
    Checkbox,
    Radio,
    /// An open dialog (or an element with role dialog / alertdialog).
    Dialog,
    /// `h1`
    Heading,
    /// A live status region (`role=status` or `output`).
    Status,
    /// A disclosure's summary (`<summary>`): it opens and closes what it names.
    Disclosure,
    /// A table, named by its caption.
    Table,
}

impl Role {
    pub(super) fn selector(self) -> &'static str {
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
            Role::Radio => "input[type=radio], [role=radio]",
            Role::Dialog => "dialog, [role=dialog], [role=alertdialog]",
            Role::Heading => "h1",
            Role::Status => "[role=status], output",
            Role::Disclosure => "summary",
            Role::Table => "table",
        }
    }

    pub(super) fn noun(self) -> &'static str {
        match self {
            Role::Button => "button",
            Role::Link => "link",
            Role::Field => "field",
            Role::Checkbox => "checkbox",
            Role::Radio => "radio button",
            Role::Dialog => "dialog",
            Role::Heading => "main heading (h1)",
            Role::Status => "status region",
            Role::Disclosure => "disclosure",
            Role::Table => "table",
        }
    }
}

/// The accessible name Chromium computes for an element (WebDriver's Get Computed Label).
pub(super) async fn accessible_name(client: &Client, element: &Element) -> Result<String, String> {
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
