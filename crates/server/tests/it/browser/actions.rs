//! What a person does in a [`Scope`] and reads there: pressing a button, following a link,
//! filling a field, ticking a checkbox (each control found as [`Scope::find`] finds it, waiting
//! until one takes the action), and the scope's text and the waits for it.

use fantoccini::key::Key;

use super::chromium::shorten;
use super::{Role, Scope, normalize};

impl Scope<'_> {
    /// Clicks the button named `name` (waiting until there is one that takes the click).
    pub async fn press(&self, name: &str) {
        self.click(Role::Button, name).await;
    }

    /// Clicks the link named `name`.
    pub async fn follow(&self, name: &str) {
        self.click(Role::Link, name).await;
    }

    /// Opens (or closes) the disclosure named `name` (a `<summary>`).
    pub async fn open(&self, name: &str) {
        self.click(Role::Disclosure, name).await;
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

    /// Picks the option showing `option` in the drop-down labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        let what = format!(
            "a drop-down named {label:?} in {} to choose {option:?}",
            self.what
        );
        self.browser
            .wait(&what, || async {
                let select = self.try_find(Role::Field, label).await?;
                select
                    .select_by_label(option)
                    .await
                    .map_err(|e| format!("choosing failed: {e}"))
            })
            .await;
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

    /// Picks the radio button labelled `label` (clicking it, as a person does).
    pub async fn pick(&self, label: &str) {
        let what = format!("a radio button named {label:?} in {} to choose", self.what);
        self.browser
            .wait(&what, || async {
                let radio = self.try_find(Role::Radio, label).await?;
                radio.click().await.map_err(|e| e.to_string())?;
                if radio.is_selected().await.map_err(|e| e.to_string())? {
                    Ok(())
                } else {
                    Err("it stays unchosen".into())
                }
            })
            .await;
    }

    /// The scope's text, whitespace collapsed (the text of `main` for the page).
    pub async fn text(&self) -> String {
        let what = format!("the text of {}", self.what);
        self.browser.wait(&what, || self.try_text()).await
    }

    pub(super) async fn try_text(&self) -> Result<String, String> {
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
