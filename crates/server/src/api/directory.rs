//! Finding companies and users (SPEC §10), and the partners a distributor serves.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use provisio_domain::{Actor, CompanyKind};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{CompanyDetailDto, CompanyDto, CompanyList, Problem, UserDto, UserList};
use super::extract::{Auth, NoBody, PathId};
use crate::app::{App, Caller};
use crate::error::{AppError, AppResult, Thing};
use crate::http::extract::{encode_cursor, page_of, parse_enum};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_companies))
        .routes(routes!(get_company))
        .routes(routes!(list_users))
        .routes(routes!(link_partner, unlink_partner))
}

/// Companies, newest first: admins and support agents see all, others their own company.
#[utoipa::path(get, path = "/api/v1/companies", tag = "admin",
    params(
        ("kind" = Option<String>, Query, description = "partner, distributor or operator"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "1–200, default 50; larger values are clamped"),
    ),
    security(("api_key" = [])),
    responses((status = 200, description = "the companies", body = CompanyList),
        (status = 422, description = "invalid_request: a parameter is not valid", body = Problem, content_type = "application/problem+json")))]
async fn list_companies(
    State(app): State<App>,
    Auth(actor): Auth,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Json<CompanyList>> {
    let kind = parse_enum("kind", params.get("kind"), CompanyKind::parse)?;
    let page = app.list_companies(&actor, kind, page_of(&params)?).await?;
    Ok(Json(CompanyList {
        items: page.items.iter().map(CompanyDto::from).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// One company; a distributor with the partners it serves.
#[utoipa::path(get, path = "/api/v1/companies/{id}", tag = "admin",
    params(("id" = String, Path, description = "the company id")),
    security(("api_key" = [])),
    responses((status = 200, description = "the company", body = CompanyDetailDto),
        (status = 404, description = "not_found: no such company, or not one the caller may see", body = Problem, content_type = "application/problem+json")))]
async fn get_company(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(id): PathId,
) -> AppResult<Json<CompanyDetailDto>> {
    let company = app.company(&actor, &id).await?;
    let partners = match company.kind {
        CompanyKind::Distributor => Some(
            app.partners_of(&company)
                .await?
                .iter()
                .map(CompanyDto::from)
                .collect(),
        ),
        _ => None,
    };
    Ok(Json(CompanyDetailDto {
        company: (&company).into(),
        partners,
    }))
}

/// Users, newest first: admins and support agents see all, others their own company's.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    params(
        ("company_id" = Option<String>, Query, description = "only this company's users"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, description = "1–200, default 50; larger values are clamped"),
    ),
    security(("api_key" = [])),
    responses((status = 200, description = "the users", body = UserList),
        (status = 422, description = "invalid_request: a parameter is not valid", body = Problem, content_type = "application/problem+json")))]
async fn list_users(
    State(app): State<App>,
    Auth(actor): Auth,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Json<UserList>> {
    let company = params
        .get("company_id")
        .map(String::as_str)
        .filter(|c| !c.is_empty());
    let page = app.list_users(&actor, company, page_of(&params)?).await?;
    Ok(Json(UserList {
        items: page.items.iter().map(UserDto::from).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// The two ids of a distributor link in its path.
type LinkIds = Result<Path<(String, String)>, axum::extract::rejection::PathRejection>;

/// Links or unlinks the two companies the path names.
async fn set_link(app: &App, actor: Actor, ids: LinkIds, linked: bool) -> AppResult<StatusCode> {
    let (d, p) = ids
        .map(|p| p.0)
        .map_err(|_| AppError::not_found(Thing::Company))?;
    app.link_distributor(&Caller::User(actor), &d, &p, linked)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record that a distributor serves a partner (admin); it may then order for that partner.
#[utoipa::path(put, path = "/api/v1/companies/{distributor_id}/partners/{partner_id}", tag = "admin",
    params(("distributor_id" = String, Path, description = "the distributor's company id"),
           ("partner_id" = String, Path, description = "the partner's company id")),
    security(("api_key" = [])),
    responses((status = 204, description = "linked (also when it was already)"),
        (status = 403, description = "permission_denied: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no such company", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_request: not a distributor and a partner", body = Problem, content_type = "application/problem+json")))]
async fn link_partner(
    State(app): State<App>,
    Auth(actor): Auth,
    ids: LinkIds,
    _body: NoBody,
) -> AppResult<StatusCode> {
    set_link(&app, actor, ids, true).await
}

/// Forget that a distributor serves a partner (admin).
#[utoipa::path(delete, path = "/api/v1/companies/{distributor_id}/partners/{partner_id}", tag = "admin",
    params(("distributor_id" = String, Path, description = "the distributor's company id"),
           ("partner_id" = String, Path, description = "the partner's company id")),
    security(("api_key" = [])),
    responses((status = 204, description = "unlinked (also when it was not linked)"),
        (status = 403, description = "permission_denied: admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no such company", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_request: not a distributor and a partner", body = Problem, content_type = "application/problem+json")))]
async fn unlink_partner(
    State(app): State<App>,
    Auth(actor): Auth,
    ids: LinkIds,
    _body: NoBody,
) -> AppResult<StatusCode> {
    set_link(&app, actor, ids, false).await
}
