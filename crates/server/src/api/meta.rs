//! Health, readiness, metrics, sender addresses.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Problem, Senders};
use crate::app::App;
use crate::error::AppResult;
use crate::telemetry;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(sender_addresses))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "alive")))]
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers. The body also says whether delivery runs or is paused
/// by a broken mail transport (still 200: the API works meanwhile).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "ready: `{\"status\": \"ready\", \"delivery\": {\"state\": \"running\"}}`, or `{\"status\": \"degraded\", \"delivery\": {\"state\": \"paused\", \"reason\", \"since\", \"retry_at\"}}` while a broken mail transport (e.g. SMTP authentication failing) pauses delivery"),
        (status = 503, description = "`unavailable`: the database does not answer", body = Problem, content_type = "application/problem+json")))]
async fn readyz(State(app): State<App>) -> AppResult<Json<Value>> {
    // 200 either way once the database answers: the HTTP service works while delivery waits
    // for its transport (a load balancer must not take the API away for a mail relay).
    Ok(Json(match app.ready().await? {
        None => json!({ "status": "ready", "delivery": { "state": "running" } }),
        Some(p) => json!({
            "status": "degraded",
            "delivery": {
                "state": "paused",
                "reason": p.reason,
                "since": p.since.to_string(),
                "retry_at": p.retry_at.to_string(),
            },
        }),
    }))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()), responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics() -> impl IntoResponse {
    let body = telemetry::metrics_handle()
        .map(|h| h.render())
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

/// The addresses provisioning email comes from, for customers' IT admins to allowlist. Public.
#[utoipa::path(get, path = "/api/v1/sender-addresses", tag = "email", security(()),
    responses((status = 200, description = "the sender addresses", body = Senders)))]
async fn sender_addresses(State(app): State<App>) -> Json<Senders> {
    Json(Senders {
        addresses: app.config.sender_addresses(),
    })
}
