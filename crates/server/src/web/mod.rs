//! Server-rendered pages. For now the provisioning contact's public setup page (R7) and the
//! pages that explain each problem code (`/problems/{code}`, SPEC §10); the web
//! workspace comes with its own issue. Errors from the app layer become pages or messages in
//! the visitor's language (`error.rs`), never JSON.

pub mod error;
mod form;
mod problems;
mod setup;

use axum::Router;

use crate::app::App;

pub fn router() -> Router<App> {
    setup::router().merge(problems::router())
}
