//! Where in an input a value was wrong, named as the use case names its inputs
//! (`lines[3].quantity`, `email`, `acting_user`). Each edge shows the path in its own terms:
//! the API as a JSON path, the CLI as its flags, a page as its form fields.

use std::borrow::Cow;
use std::fmt;

use crate::values::ValueError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Name(Cow<'static, str>),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn name(name: &'static str) -> Self {
        Self(vec![Segment::Name(Cow::Borrowed(name))])
    }

    /// A path an edge read off its input as text (e.g. a JSON decoder's `lines[0].offer`).
    pub fn edge(path: String) -> Self {
        Self(vec![Segment::Name(Cow::Owned(path))])
    }

    /// The `i`-th element of this list field.
    pub fn at(mut self, i: usize) -> Self {
        self.0.push(Segment::Index(i));
        self
    }

    /// A field inside this one.
    pub fn then(mut self, name: &'static str) -> Self {
        self.0.push(Segment::Name(Cow::Borrowed(name)));
        self
    }

    /// The first name of the path (`lines` of `lines[3].quantity`).
    pub fn root(&self) -> Option<&str> {
        match self.0.first() {
            Some(Segment::Name(n)) => Some(n),
            _ => None,
        }
    }
}

/// `lines[3].quantity`.
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Segment::Name(n) if i == 0 => f.write_str(n)?,
                Segment::Name(n) => write!(f, ".{n}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: FieldPath,
    pub error: ValueError,
}

impl FieldError {
    pub fn new(path: FieldPath, error: ValueError) -> Self {
        Self { path, error }
    }
}

/// Every problem of a form or body at once: each field is parsed on its own and its problem
/// kept, so a caller is told all that is wrong in one answer, not one field per attempt.
#[derive(Debug, Default)]
pub struct Collector(Vec<FieldError>);

impl Collector {
    /// The value, or `None` with its problem kept.
    pub fn take<T>(
        &mut self,
        path: impl FnOnce() -> FieldPath,
        r: Result<T, ValueError>,
    ) -> Option<T> {
        r.map_err(|e| self.0.push(FieldError::new(path(), e))).ok()
    }
    pub fn push(&mut self, path: FieldPath, error: ValueError) {
        self.0.push(FieldError::new(path, error));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }
}

/// The problem code of a set of field errors: `invalid_email` when every problem is an
/// address, else `invalid_request`.
pub fn code_of(errors: &[FieldError]) -> &'static str {
    if !errors.is_empty() && errors.iter().all(|e| e.error.code == "invalid_email") {
        "invalid_email"
    } else {
        "invalid_request"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_json_paths() {
        let p = FieldPath::name("lines")
            .at(3)
            .then("provisioning_contact")
            .then("email");
        assert_eq!(p.to_string(), "lines[3].provisioning_contact.email");
        assert_eq!(p.root(), Some("lines"));
        assert_eq!(FieldPath::name("email").to_string(), "email");
    }
}
