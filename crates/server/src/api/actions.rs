//! The actions on lines (SPEC §7): resend (one line or several), change of contact,
//! onboarding, provisioned, cancel, and the email history.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{EmailDto, EmailList, LineDto, Problem};
use super::extract::{ApiJson, Auth, NoBody, PathId, idempotency};
use super::lines::line_json;
use crate::app::App;
use crate::app::lines::{ContactInput, OnboardingInput};
use crate::error::AppResult;
use crate::http::problem;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(resend))
        .routes(routes!(bulk_resend))
        .routes(routes!(change_contact))
        .routes(routes!(onboarding))
        .routes(routes!(provisioned))
        .routes(routes!(cancel))
        .routes(routes!(emails))
}

/// R4's body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChangeBody {
    pub email: String,
    pub name: Option<String>,
    /// `en` or `sv`; the line's current locale when absent.
    pub locale: Option<String>,
}

/// R7's body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingBody {
    /// The admin portal's id of the organization; one is made when absent.
    pub organization_id: Option<String>,
    pub organization_name: String,
}

/// Several lines of one order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkResendBody {
    /// Subscription references, e.g. `["Sub1000001", "Sub1000002"]`.
    pub lines: Vec<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct BulkResult {
    pub subscription_ref: String,
    /// The HTTP status the single resend would have answered.
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Problem>)]
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct BulkResults {
    pub results: Vec<BulkResult>,
}

/// Resend the provisioning email of a line (R2): 202 with the queued email. Open or closed
/// lines alike, until the point of no return. `Idempotency-Key` returns the first result;
/// without one, the same user's second click within 5 seconds does too.
#[utoipa::path(post, path = "/api/v1/lines/{sub_ref}/resend", tag = "email",
    params(("sub_ref" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    security(("api_key" = [])),
    responses(
        (status = 202, body = EmailDto),
        (status = 403, description = "permission_denied, naming the ordering contact", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "past_point_of_no_return (with admin_portal_url), line_cancelled, idempotency_conflict", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "resend_rate_limited, with Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
async fn resend(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
    headers: HeaderMap,
    _: NoBody,
) -> AppResult<(StatusCode, Json<EmailDto>)> {
    let key = idempotency(
        &headers,
        &format!("POST /api/v1/lines/{sub_ref}/resend"),
        "",
    )?;
    let resent = app.resend(&actor, &sub_ref, key).await?;
    Ok((StatusCode::ACCEPTED, Json((&resent.email).into())))
}

/// Resend several lines of one order: 200 with one result per line, each with the status and
/// body the single resend would have had.
#[utoipa::path(post, path = "/api/v1/orders/{order_id}/resend", tag = "email",
    request_body = BulkResendBody,
    params(("order_id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "applies per line")),
    security(("api_key" = [])),
    responses((status = 200, body = BulkResults), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn bulk_resend(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(order_id): PathId,
    headers: HeaderMap,
    body: ApiJson<BulkResendBody>,
) -> AppResult<Json<BulkResults>> {
    // One key stands for one request per line: each line stores it under its own name
    // ("<key> <sub_ref>", a space no client key contains), else the second line would find
    // the first line's entry and answer idempotency_conflict.
    let key_for = |sub_ref: &str| {
        let key = idempotency(
            &headers,
            &format!("POST /api/v1/orders/{order_id}/resend {sub_ref}"),
            "",
        )?;
        Ok(key.map(|mut k| {
            k.key = format!("{} {sub_ref}", k.key);
            k
        }))
    };
    let outcomes = app
        .bulk_resend(&actor, &order_id, &body.value.lines, key_for)
        .await?;
    let results = outcomes
        .into_iter()
        .map(|(subscription_ref, result)| match result {
            Ok(r) => BulkResult {
                subscription_ref,
                status: StatusCode::ACCEPTED.as_u16(),
                email: Some((&r.email).into()),
                error: None,
            },
            Err(e) => BulkResult {
                subscription_ref,
                status: e.code().status().as_u16(),
                email: None,
                error: Some(problem::problem(&e)),
            },
        })
        .collect();
    Ok(Json(BulkResults { results }))
}

/// Change the provisioning contact (R4): earlier setup links stop working; the new contact is
/// emailed at once when the line was sent or its RSD has passed, else on the RSD.
#[utoipa::path(put, path = "/api/v1/lines/{sub_ref}/provisioning-contact", tag = "email",
    request_body = ContactChangeBody, params(("sub_ref" = String, Path)),
    security(("api_key" = [])),
    responses(
        (status = 200, body = LineDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "past_point_of_no_return (with admin_portal_url) or line_cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_email or invalid_request", body = Problem, content_type = "application/problem+json"),
    ))]
async fn change_contact(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
    body: ApiJson<ContactChangeBody>,
) -> AppResult<Response> {
    let b = body.value;
    let input = ContactInput {
        email: b.email,
        name: b.name,
        locale: b.locale,
    };
    line_json(
        &app,
        &actor,
        app.change_contact(&actor, &sub_ref, input).await?,
    )
    .await
}

/// Report that the customer's organization is onboarded (R7): the point of no return.
#[utoipa::path(post, path = "/api/v1/lines/{sub_ref}/onboarding", tag = "lines",
    request_body = OnboardingBody, params(("sub_ref" = String, Path)),
    security(("api_key" = [])),
    responses((status = 200, body = LineDto), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition or line_cancelled", body = Problem, content_type = "application/problem+json")))]
async fn onboarding(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
    body: ApiJson<OnboardingBody>,
) -> AppResult<Response> {
    let input = OnboardingInput {
        organization_id: body.value.organization_id,
        organization_name: body.value.organization_name,
    };
    line_json(&app, &actor, app.onboard(&actor, &sub_ref, input).await?).await
}

/// Service configuration is complete (R8): the line closes as provisioned.
#[utoipa::path(post, path = "/api/v1/lines/{sub_ref}/provisioned", tag = "lines",
    params(("sub_ref" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = LineDto), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition (not onboarded yet) or line_cancelled", body = Problem, content_type = "application/problem+json")))]
async fn provisioned(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
    _: NoBody,
) -> AppResult<Response> {
    line_json(&app, &actor, app.mark_provisioned(&actor, &sub_ref).await?).await
}

/// Cancel a line before the point of no return (R9): its links die, nothing more is sent.
#[utoipa::path(post, path = "/api/v1/lines/{sub_ref}/cancel", tag = "lines",
    params(("sub_ref" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = LineDto), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "past_point_of_no_return or invalid_transition", body = Problem, content_type = "application/problem+json")))]
async fn cancel(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
    _: NoBody,
) -> AppResult<Response> {
    line_json(&app, &actor, app.cancel(&actor, &sub_ref).await?).await
}

/// The line's provisioning emails, newest first, with delivery state, attempts and the last
/// SMTP reply.
#[utoipa::path(get, path = "/api/v1/lines/{sub_ref}/emails", tag = "email",
    params(("sub_ref" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = EmailList), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn emails(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
) -> AppResult<Json<EmailList>> {
    let emails = app.line_emails(&actor, &sub_ref).await?;
    Ok(Json(EmailList {
        items: emails.iter().map(EmailDto::from).collect(),
    }))
}
