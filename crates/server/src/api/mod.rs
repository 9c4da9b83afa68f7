//! The HTTP API under `/api/v1`, its OpenAPI document, and the layers every request passes:
//! request ids, tracing spans, metrics, body limit, timeout, panic catching, and a last
//! guard that turns any bare error response into problem+json.

mod admin;
pub mod dto;
pub mod extract;
mod lines;
mod meta;
mod orders;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;
use crate::error::{AppError, Code, PROBLEM_JSON};
use crate::telemetry;

#[derive(OpenApi)]
#[openapi(
    info(title = "provisio", description = "The provisioning-email lifecycle of subscription orders."),
    modifiers(&BearerAuth),
    tags(
        (name = "orders"), (name = "lines"), (name = "policies"), (name = "admin"), (name = "email"),
        (name = "operations"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(admin::router())
        .merge(orders::router())
        .merge(lines::router())
        .merge(meta::router())
}

/// The whole HTTP service.
pub fn router(app: App) -> Router {
    // Install the recorder before the first request is counted.
    let _ = telemetry::metrics_handle();
    let (api, doc) = routes().split_for_parts();
    let doc = Arc::new(doc.to_json().unwrap_or_else(|_| "{}".into()));
    let body_limit = app.config.body_limit_bytes;
    api.route(
        "/api/openapi.json",
        get(move || {
            let doc = Arc::clone(&doc);
            async move { ([(header::CONTENT_TYPE, "application/json")], doc.as_str().to_owned()) }
        }),
    )
    .fallback(|| async { AppError::new(Code::NotFound, "no such route") })
    .method_not_allowed_fallback(|| async { AppError::new(Code::MethodNotAllowed, "this route does not take that method") })
    .layer(middleware::from_fn(problem_for_bare_errors))
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(middleware::from_fn(telemetry::track_http))
    .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
    .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
        AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
    }))
    .layer(
        TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id, user = tracing::field::Empty)
        }),
    )
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
    .with_state(app)
}

/// Any error response that is not problem+json yet (from a layer or axum itself) becomes one,
/// keeping its status and headers (e.g. `Allow` on 405).
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let code = Code::for_status(status);
    let detail = status.canonical_reason().unwrap_or("error").to_owned();
    let mut body = AppError::new(code, detail).problem();
    body["status"] = status.as_u16().into();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body.to_string().into())
}
