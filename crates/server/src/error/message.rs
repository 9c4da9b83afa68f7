//! The words of an error before an edge picks the language: a translation key with its
//! arguments (`locales/*/errors.ftl`), rendered by `crate::i18n::render`.

use provisio_domain::{FieldError, FieldPath, ValueError};

/// A translation key with its arguments: the words of an error, before an edge picks the
/// language (`crate::i18n::render`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// An argument: a value as is, or a message rendered in the same language first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Message(Message),
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Self { key, args: vec![] }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, Arg::Text(value.into())));
        self
    }

    pub fn with_message(mut self, name: &'static str, message: Message) -> Self {
        self.args.push((name, Arg::Message(message)));
        self
    }

    /// The value of a plain argument.
    #[cfg(test)]
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find_map(|(n, a)| match a {
            Arg::Text(t) if *n == name => Some(t.as_str()),
            _ => None,
        })
    }
}

impl From<&ValueError> for Message {
    fn from(e: &ValueError) -> Self {
        e.args
            .iter()
            .fold(Message::new(e.key), |m, (n, v)| m.with(n, v.clone()))
    }
}

/// The words of one field error: "`field`: what is wrong", the field named as `name` says.
pub fn field_message(e: &FieldError, name: impl FnOnce(&FieldPath) -> String) -> Message {
    Message::new("error-field")
        .with("field", name(&e.path))
        .with_message("message", Message::from(&e.error))
}
