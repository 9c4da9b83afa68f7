//! Admin routes: companies, users, offer policies (user access and API keys: `access.rs`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{
    CompanyDto, NewCompanyBody, NewUserBody, PolicyBody, PolicyDto, PolicyList, Problem, UserDto,
};
use super::extract::{ApiJson, Auth, PathId};
use crate::app::admin::UserInput;
use crate::app::{App, Caller};
use crate::error::AppResult;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_company))
        .routes(routes!(create_user))
        .routes(routes!(list_policies))
        .routes(routes!(set_policy))
}

/// Create a company (admin).
#[utoipa::path(post, path = "/api/v1/companies", tag = "admin", request_body = NewCompanyBody,
    security(("api_key" = [])),
    responses(
        (status = 201, body = CompanyDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already_exists: the name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_company(
    State(app): State<App>,
    Auth(actor): Auth,
    body: ApiJson<NewCompanyBody>,
) -> AppResult<(StatusCode, Json<CompanyDto>)> {
    let b = body.value;
    let company = app
        .create_company(&Caller::User(actor), &b.name, &b.kind)
        .await?;
    Ok((StatusCode::CREATED, Json((&company).into())))
}

/// Create a user (admin). `admin` and `support_agent` exist only in operator companies.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserBody,
    security(("api_key" = [])),
    responses(
        (status = 201, body = UserDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already_exists: the email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_user(
    State(app): State<App>,
    Auth(actor): Auth,
    body: ApiJson<NewUserBody>,
) -> AppResult<(StatusCode, Json<UserDto>)> {
    let b = body.value;
    let input = UserInput {
        company: b.company_id,
        email: b.email,
        name: b.name,
        role: b.role,
        can_resend: b.can_resend,
        password: b.password,
    };
    let user = app.create_user(&Caller::User(actor), input).await?;
    Ok((StatusCode::CREATED, Json((&user).into())))
}

/// The provisioning window of each offer with a policy, and the default for the rest.
#[utoipa::path(get, path = "/api/v1/offer-policies", tag = "policies",
    security(("api_key" = [])),
    responses((status = 200, body = PolicyList)))]
async fn list_policies(State(app): State<App>, Auth(_actor): Auth) -> AppResult<Json<PolicyList>> {
    let (items, default_window_days) = app.offer_policies().await?;
    let items = items
        .into_iter()
        .map(|(offer, window_days)| PolicyDto {
            offer: offer.to_string(),
            window_days,
        })
        .collect();
    Ok(Json(PolicyList {
        items,
        default_window_days,
    }))
}

/// Set an offer's provisioning window (admin). Lines whose window is running get the new deadline.
#[utoipa::path(put, path = "/api/v1/offer-policies/{offer}", tag = "policies", request_body = PolicyBody,
    params(("offer" = String, Path, description = "the offer SKU, e.g. A-FLEX")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = PolicyDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn set_policy(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(offer): PathId,
    body: ApiJson<PolicyBody>,
) -> AppResult<Json<PolicyDto>> {
    let (offer, window_days) = app
        .set_offer_policy(&Caller::User(actor), &offer, body.value.window_days)
        .await?;
    Ok(Json(PolicyDto {
        offer: offer.to_string(),
        window_days,
    }))
}
