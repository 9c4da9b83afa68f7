//! The whole HTTP service in one place: the API's routes (`api`), the pages (`web`), the
//! fallbacks for an unknown path (`404`) or method (`405`), and the layers every request
//! passes (`http::layers`, `telemetry`, tower-http's, and the pages' own error layer). Both
//! edges stay unaware of each other and of this assembly; `serve` and the integration tests
//! (through `serve::run`) serve what this returns.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::App;
use crate::error::{AppError, Thing};
use crate::http::layers;
use crate::{api, telemetry, web};

/// The whole HTTP service.
pub fn service(app: App) -> Router {
    // Install the recorder before the first request is counted.
    let _ = telemetry::metrics_handle();
    let body_limit = app.config.body_limit_bytes;
    let body_timeout = app.config.request_body_timeout;
    api::router(&app)
        .merge(web::router(&app))
        .fallback(|| async { AppError::not_found(Thing::Route) })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        // From the handler outwards: the body's limits, metrics, the request's deadline,
        // panics, then a page for every bare error on a page path and problem+json for every
        // other one any of those (or axum) produced, the headers every answer carries, the
        // log span, and the request id (a client's only when safe).
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            layers::follow_test_clock,
        ))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            layers::refuse_declared_oversize,
        ))
        .layer(middleware::from_fn(telemetry::track_http))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app.requests_in_flight),
            telemetry::count_in_flight,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
        }))
        .layer(middleware::from_fn(web::error::page_for_bare_errors))
        .layer(middleware::from_fn(layers::problem_for_bare_errors))
        .layer(middleware::from_fn(layers::security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get(layers::REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    let path = layers::masked_path(req.uri().path());
                    tracing::info_span!("http", method = telemetry::method_label(req.method()), path = %path, request_id = %id, user = tracing::field::Empty)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn(layers::sanitize_request_id))
        .with_state(app)
}
