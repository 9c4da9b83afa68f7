//! The HTTP API under `/api/v1`, its OpenAPI document, and the layers every request passes:
//! request ids, tracing spans, metrics, body limit, timeout, panic catching, and a last
//! guard that turns any bare error response into problem+json.

mod actions;
mod admin;
mod clock;
pub mod dto;
pub mod extract;
mod lines;
mod meta;
mod openapi;
mod orders;
pub mod problem;

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
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use provisio_domain::values::mask_email;

use crate::app::App;
use crate::error::{AppError, Thing};
use crate::telemetry;
use problem::PROBLEM_JSON;

/// Every API route with its OpenAPI description (generated from the handlers).
fn routes(test_clock: bool) -> OpenApiRouter<App> {
    let routes = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(admin::router())
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
    api.route(
        "/api/openapi.json",
        get(openapi::openapi_json).with_state(doc),
    )
    .merge(crate::web::router())
    .fallback(|| async { AppError::not_found(Thing::Route) })
    .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
    .layer(middleware::from_fn(problem_for_bare_errors))
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(middleware::from_fn(telemetry::track_http))
    .layer(middleware::from_fn_with_state(
        Arc::clone(&app.requests_in_flight),
        telemetry::count_in_flight,
    ))
    .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
    .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
        AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
    }))
    .layer(
        TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            let path = masked_path(req.uri().path());
            tracing::info_span!("http", method = %req.method(), path = %path, request_id = %id, user = tracing::field::Empty)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
    .with_state(app)
}

/// The request path for logs, with email addresses in it (e.g. `/users/{email}/api-keys`)
/// masked: they are personal data.
/// The request path as logs may show it: email addresses masked, and a setup link's token
/// replaced (whoever reads the log must not be able to open or use the link).
fn masked_path(path: &str) -> String {
    let mut previous = "";
    path.split('/')
        .map(|segment| {
            let after_setup = std::mem::replace(&mut previous, segment) == "setup";
            let decoded = segment.replace("%40", "@");
            if after_setup && !segment.is_empty() {
                "[token]".to_owned()
            } else if decoded.contains('@') {
                mask_email(&decoded)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Any error response that is not problem+json yet (from a layer or axum itself) becomes one,
/// keeping its status and headers (e.g. `Allow` on 405).
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| {
            ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || ct.as_bytes().starts_with(b"text/html")
        });
    // Pages (the setup page's 404 / 410) keep their HTML.
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let body = problem::for_status(status);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body.to_string().into())
}

#[cfg(test)]
mod tests {
    use super::masked_path;

    #[test]
    fn emails_in_paths_are_masked_for_logs() {
        assert_eq!(
            masked_path("/api/v1/users/pia@acme.test/api-keys"),
            "/api/v1/users/p***@acme.test/api-keys"
        );
        assert_eq!(
            masked_path("/api/v1/users/pia%40acme.test/api-keys"),
            "/api/v1/users/p***@acme.test/api-keys"
        );
        assert_eq!(
            masked_path("/api/v1/lines/Sub1000001"),
            "/api/v1/lines/Sub1000001"
        );
    }

    #[test]
    fn setup_tokens_never_reach_the_log() {
        let token = "q3ZkT0c5bWx1dGF0aW9uLXRva2VuLWV4YW1wbGUtMTIz";
        assert_eq!(masked_path(&format!("/setup/{token}")), "/setup/[token]");
        assert_eq!(masked_path("/setup/"), "/setup/");
    }
}
