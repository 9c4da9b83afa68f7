//! Translations: `locales/{en,sv}/*.ftl` at the workspace root, embedded at compile time by
//! the mail crate and shared with the pages, so emails and pages speak with one voice.

pub use provisio_mail::i18n::*;
