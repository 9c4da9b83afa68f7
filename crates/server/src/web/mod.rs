//! Server-rendered pages. For now the provisioning contact's public setup page (R7); the web
//! workspace comes with its own issue.

mod setup;

use axum::Router;

use crate::app::App;

pub fn router() -> Router<App> {
    setup::router()
}
