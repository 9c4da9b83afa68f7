//! The page language when the user has not chosen one (shared with the API's words).

pub use crate::http::locale::preferred_locale;
