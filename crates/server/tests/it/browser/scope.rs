//! A [`Scope`]: a part of a page to find things in (the page, the body, a row, the open dialog,
//! an element), found again at every look. It finds controls as a person does: by role and
//! accessible name ([`super::role`]) or the visible text, a field by its label, only among what
//! is displayed, by containment with an exact match preferred. What a person does with them and
//! reads in a scope is in [`super::actions`].

use fantoccini::Locator;
use fantoccini::elements::Element;

use super::role::accessible_name;
use super::{Browser, Role, normalize};

/// A part of a page to find things in: the page, a row, a dialog; see [`Browser::row`].
pub struct Scope<'a> {
    pub(super) browser: &'a Browser,
    pub(super) root: Root,
    pub(super) what: String,
}

/// Where a scope is, found again at every look (except a given element).
#[derive(Clone, Debug)]
pub(super) enum Root {
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
    pub(super) async fn resolve(&self) -> Result<Option<Element>, String> {
        let client = self.browser.client();
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
    pub(super) async fn displayed(&self, role: Role) -> Result<Vec<Element>, String> {
        let root = self
            .resolve()
            .await
            .map_err(|e| format!("{}: {e}", self.what))?;
        let all = match root {
            Some(root) => root.find_all(Locator::Css(role.selector())).await,
            None => {
                self.browser
                    .client()
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
            let name = accessible_name(self.browser.client(), &element).await?;
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
    pub(super) async fn try_find(&self, role: Role, name: &str) -> Result<Element, String> {
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
}
