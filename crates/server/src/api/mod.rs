//! The HTTP API under `/api/v1`, its OpenAPI document, and the layers every request passes:
//! request ids, tracing spans, metrics, body limit, timeout, panic catching, and a last
//! guard that turns any bare error response into problem+json.

mod access;
mod actions;
mod admin;
mod clock;
mod directory;
pub mod dto;
pub mod extract;
mod layers;
pub use layers::method_label;
mod lines;
mod meta;
mod openapi;
mod orders;
pub mod problem;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;
use crate::error::{AppError, Thing};
use crate::telemetry;

/// Every API route with its OpenAPI description (generated from the handlers).
fn routes(test_clock: bool) -> OpenApiRouter<App> {
    let routes = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(admin::router())
        .merge(access::router())
        .merge(directory::router())
        .merge(orders::router())
        .merge(lines::router())
        .merge(actions::router())
        .merge(meta::router());
    // Without --test-clock the clock routes do not exist (SPEC §6).
    if test_clock {
        routes.merge(clock::router())
    } else {
        routes
    }
}

/// The whole HTTP service.
pub fn router(app: App) -> Router {
    // Install the recorder before the first request is counted.
    let _ = telemetry::metrics_handle();
    let (api, mut doc) = routes(app.clock.is_test_clock()).split_for_parts();
    openapi::complete(&mut doc);
    let doc = Arc::new(doc.to_json().unwrap_or_else(|_| "{}".into()));
    let body_limit = app.config.body_limit_bytes;
    let body_timeout = app.config.request_body_timeout;
    api.route(
        "/api/openapi.json",
        get(openapi::openapi_json).with_state(doc),
    )
    .merge(crate::web::router(&app))
    .fallback(|| async { AppError::not_found(Thing::Route) })
    .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
    // From the handler outwards: the body's limits, metrics, the request's deadline, panics,
    // then problem+json for every bare error any of those (or axum) produced, the headers
    // every answer carries, the log span, and the request id (a client's only when safe).
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(RequestBodyTimeoutLayer::new(body_timeout))
    .layer(middleware::from_fn_with_state(app.clone(), layers::refuse_declared_oversize))
    .layer(middleware::from_fn(telemetry::track_http))
    .layer(middleware::from_fn_with_state(
        Arc::clone(&app.requests_in_flight),
        telemetry::count_in_flight,
    ))
    .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
    .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
        AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
    }))
    .layer(middleware::from_fn(layers::problem_for_bare_errors))
    .layer(middleware::from_fn(layers::security_headers))
    .layer(
        TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get(layers::REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            let path = layers::masked_path(req.uri().path());
            tracing::info_span!("http", method = layers::method_label(req.method()), path = %path, request_id = %id, user = tracing::field::Empty)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
    .layer(middleware::from_fn(layers::sanitize_request_id))
    .with_state(app)
}
