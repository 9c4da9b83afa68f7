//! The test clock's routes; mounted only when the server runs with `--test-clock`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{Problem, time};
use super::extract::{ApiJson, Auth};
use crate::app::{App, Caller};
use crate::error::AppResult;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_clock))
        .routes(routes!(advance))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockDto {
    /// The service's current business time.
    pub now: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceBody {
    /// How far to move the clock forward, 0 to ten years; fractions of a second are kept to
    /// the microsecond. An advance that would take the clock past the latest time the service
    /// keeps (9999-12-30T22:00:00.999999Z) is refused (422 on `seconds`) and moves nothing.
    pub seconds: f64,
}

/// The service's clock (admins; only with `--test-clock`).
#[utoipa::path(get, path = "/api/v1/clock", tag = "operations", security(("api_key" = [])),
    responses((status = 200, body = ClockDto), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn get_clock(State(app): State<App>, Auth(actor): Auth) -> AppResult<Json<ClockDto>> {
    let now = app.clock_now(&Caller::User(actor)).await?;
    Ok(Json(ClockDto { now: time(now) }))
}

/// Move the clock forward; due first sends, closures and retries happen within seconds.
#[utoipa::path(post, path = "/api/v1/clock/advance", tag = "operations", request_body = AdvanceBody,
    security(("api_key" = [])),
    responses((status = 200, body = ClockDto), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn advance(
    State(app): State<App>,
    Auth(actor): Auth,
    body: ApiJson<AdvanceBody>,
) -> AppResult<Json<ClockDto>> {
    let now = app
        .advance_clock(&Caller::User(actor), body.value.seconds)
        .await?;
    Ok(Json(ClockDto { now: time(now) }))
}
