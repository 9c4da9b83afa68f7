//! User access (admin, SPEC §10): disable and enable a user, change their resend
//! permission, create, list and revoke their API keys; the administration events.

use axum::Json;
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{
    AdminEventList, ApiKeyDto, ApiKeyItemDto, ApiKeyList, EventDto, Problem, UserDto, UserPatchBody,
};
use super::extract::{ApiJson, Auth, NoBody, PathId};
use crate::app::{App, Caller};
use crate::error::AppResult;
use crate::http::extract::{encode_cursor, page_of};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(update_user))
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(revoke_api_key))
        .routes(routes!(admin_events))
}

/// The administration events (admin), newest first: who disabled, enabled or changed a user,
/// created or revoked an API key, or changed an offer policy, and when.
#[utoipa::path(get, path = "/api/v1/admin-events", tag = "admin",
    params(
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "1–200, default 50; larger values are clamped"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the events", body = AdminEventList),
        (status = 403, description = "permission_denied: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_request: a parameter is not valid", body = Problem, content_type = "application/problem+json"),
    ))]
async fn admin_events(
    State(app): State<App>,
    Auth(actor): Auth,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Json<AdminEventList>> {
    let page = app
        .admin_events(&Caller::User(actor), page_of(&params)?)
        .await?;
    Ok(Json(AdminEventList {
        items: page.items.iter().map(EventDto::from).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// Disable a user (admin): they cannot sign in, their web sessions end and their API keys
/// answer 401 until they are enabled again. An admin cannot disable themselves (422).
#[utoipa::path(post, path = "/api/v1/users/{email}/disable", tag = "admin",
    params(("email" = String, Path, description = "the user's email")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the user, now disabled (also when they already were)", body = UserDto),
        (status = 403, description = "permission_denied: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_request: an admin cannot disable themselves", body = Problem, content_type = "application/problem+json"),
    ))]
async fn disable_user(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(email): PathId,
    _body: NoBody,
) -> AppResult<Json<UserDto>> {
    let user = app.disable_user(&Caller::User(actor), &email).await?;
    Ok(Json((&user).into()))
}

/// Enable a user again (admin): their keys that were not revoked work again.
#[utoipa::path(post, path = "/api/v1/users/{email}/enable", tag = "admin",
    params(("email" = String, Path, description = "the user's email")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the user, now active (also when they already were)", body = UserDto),
        (status = 403, description = "permission_denied: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no such user", body = Problem, content_type = "application/problem+json"),
    ))]
async fn enable_user(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(email): PathId,
    _body: NoBody,
) -> AppResult<Json<UserDto>> {
    let user = app.enable_user(&Caller::User(actor), &email).await?;
    Ok(Json((&user).into()))
}

/// Change a user (admin): whether they may resend and change provisioning contacts. It takes
/// effect at their next request.
#[utoipa::path(patch, path = "/api/v1/users/{email}", tag = "admin", request_body = UserPatchBody,
    params(("email" = String, Path, description = "the user's email")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the user as changed", body = UserDto),
        (status = 403, description = "permission_denied: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no such user", body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_user(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(email): PathId,
    body: ApiJson<UserPatchBody>,
) -> AppResult<Json<UserDto>> {
    let user = app
        .set_can_resend(&Caller::User(actor), &email, body.value.can_resend)
        .await?;
    Ok(Json((&user).into()))
}

/// Create an API key for a user (admin). The key is in this response only.
#[utoipa::path(post, path = "/api/v1/users/{email}/api-keys", tag = "admin",
    params(("email" = String, Path, description = "the user's email")),
    security(("api_key" = [])),
    responses(
        (status = 201, body = ApiKeyDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_api_key(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(email): PathId,
    _body: NoBody,
) -> AppResult<(StatusCode, Json<ApiKeyDto>)> {
    let created = app.create_api_key(&Caller::User(actor), &email).await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyDto {
            id: created.id.to_string(),
            key: created.key,
        }),
    ))
}

/// A user's API keys, newest first (admin): when each was created, last used (accurate to a
/// minute) and revoked. Never the key.
#[utoipa::path(get, path = "/api/v1/users/{email}/api-keys", tag = "admin",
    params(("email" = String, Path, description = "the user's email")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the user's keys", body = ApiKeyList),
        (status = 403, description = "permission_denied: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no such user", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_api_keys(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(email): PathId,
) -> AppResult<Json<ApiKeyList>> {
    let (_, keys) = app.api_keys(&Caller::User(actor), &email).await?;
    Ok(Json(ApiKeyList {
        items: keys.iter().map(ApiKeyItemDto::from).collect(),
    }))
}

/// Revoke an API key (admin): it answers 401 from now on. Revoking it again keeps the first
/// `revoked_at`.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/revoke", tag = "admin",
    params(("id" = String, Path, description = "the key's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the key, revoked", body = ApiKeyItemDto),
        (status = 403, description = "permission_denied: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no such key", body = Problem, content_type = "application/problem+json"),
    ))]
async fn revoke_api_key(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(id): PathId,
    _body: NoBody,
) -> AppResult<Json<ApiKeyItemDto>> {
    let key = app.revoke_api_key(&Caller::User(actor), &id).await?;
    Ok(Json((&key).into()))
}
