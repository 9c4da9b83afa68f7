//! The JSON API under `/api/v1`, the operations endpoints (`/healthz`, `/readyz`, `/metrics`)
//! and the OpenAPI document at `/api/openapi.json`, generated from the handlers and completed
//! in `openapi.rs`. One module per resource, each with its router; the API's own extractors
//! (API keys, JSON bodies, `Idempotency-Key`) in `extract.rs`, its types on the wire in
//! `dto/`. What it shares with the pages (the layers, reading bodies and pages of lists,
//! problem+json) is in `crate::http`; it never imports the pages, and `router.rs` puts the
//! two edges together.

mod access;
mod actions;
mod admin;
mod cases;
mod clock;
mod directory;
pub mod dto;
pub mod extract;
mod lines;
mod meta;
mod openapi;
mod orders;
mod timeline;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;

/// Every API route with its OpenAPI description (generated from the handlers).
fn routes(test_clock: bool) -> OpenApiRouter<App> {
    let routes = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(admin::router())
        .merge(access::router())
        .merge(directory::router())
        .merge(orders::router())
        .merge(lines::router())
        .merge(timeline::router())
        .merge(actions::router())
        .merge(cases::router())
        .merge(meta::router());
    // Without --test-clock the clock routes do not exist (SPEC §6).
    if test_clock {
        routes.merge(clock::router())
    } else {
        routes
    }
}

/// The API's routes and the document that describes them (no layers: the service router
/// adds those around the API and the pages alike).
pub fn router(app: &App) -> Router<App> {
    let (api, mut doc) = routes(app.clock.is_test_clock()).split_for_parts();
    openapi::complete(&mut doc);
    let doc = Arc::new(doc.to_json().unwrap_or_else(|_| "{}".into()));
    api.route(
        "/api/openapi.json",
        get(openapi::openapi_json).with_state(doc),
    )
}
