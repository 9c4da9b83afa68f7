//! Server-rendered pages (askama templates in `templates/`, words in `locales/*/web.ftl`),
//! on the same app layer as the API. They work without JavaScript; `static/app.js` adds
//! dialogs and guards against double submits.
//!
//! The workspace (behind sign-in, SPEC §5): `signin` (`/`, sign-in and sign-out, language),
//! `orders` (the list and the order page), `actions` (Resend, Resend selected), `contact`
//! (Edit contact), `subscriptions`, `emails` (an email as sent), `timeline` (a line's history
//! in a row and its CSV and JSON downloads), `help` (Provisioning help, Open a
//! case, the static files), `admin` (Administration, admins only: companies; users in
//! `admin_users`, their API keys in `admin_keys`, offer policies and sender addresses in
//! `admin_policies`). Beside them: `rows` (a line as a row of a table), `address` (an email
//! address as people read it: a look-alike domain as A-labels, warned of), `page` (the chrome
//! every page shares), `session` (who is looking, the form token, messages between
//! pages), `locale` (the browser's language), `headers` (the security headers of every
//! page, error pages included). Public pages without a session: the provisioning contact's
//! setup page (`setup`) and the problem pages (`problems`). Errors
//! from the app layer, and every bare error on a page path (`error::page_for_bare_errors`,
//! a layer the service router adds), become pages or messages in the visitor's language
//! (`error.rs`), never JSON.
//!
//! The pages never import the API: what both edges use (reading bodies and pages of lists,
//! problem+json, the common layers) is in `crate::http`, and `router.rs` mounts the pages
//! beside the API.

mod actions;
mod address;
mod admin;
mod admin_audit;
mod admin_keys;
mod admin_policies;
mod admin_user_status;
mod admin_users;
mod attention;
mod bulk;
mod case_page;
mod cases;
mod contact;
mod csv_export;
mod emails;
pub mod error;
mod form;
mod headers;
mod help;
mod locale;
mod order_page;
mod orders;
mod page;
mod problems;
mod rows;
mod session;
mod setup;
mod setup_page;
mod signin;
mod subscriptions;
mod timeline;

use axum::Router;

use crate::app::App;

/// Every page, the workspace's behind its session layer (no layers of the service: those
/// are added around the pages and the API alike).
pub fn router(app: &App) -> Router<App> {
    let workspace = signin::router()
        .merge(orders::router())
        .merge(actions::router())
        .merge(bulk::router())
        .merge(contact::router())
        .merge(subscriptions::router())
        .merge(emails::router())
        .merge(timeline::router())
        .merge(help::router())
        .merge(cases::router())
        .merge(case_page::router())
        .merge(admin::router())
        .layer(session::layer(app));
    setup::router()
        .merge(problems::router())
        .merge(help::static_router())
        .merge(workspace)
}
