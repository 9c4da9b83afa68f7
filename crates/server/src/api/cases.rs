//! Support cases (SPEC §7, §8, §10, §11): opening one (JSON, or multipart with screenshots),
//! the list, a case, comments, claims, resolving, the on-behalf resend, and an attachment's
//! bytes — served so that it cannot attack whoever opens it.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use provisio_domain::{CaseRequestType, CaseState, SubRef};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{CaseDto, CaseList, EmailDto, Problem};
use super::extract::{ApiJson, Auth, NoBody, PathId};
use crate::app::App;
use crate::app::cases::{CaseFilter, CaseInput, Upload};
use crate::error::{AppError, AppResult, Message};
use crate::http::extract::{encode_cursor, page_of, parse_enum};
use crate::http::locale::preferred_locale;
use crate::http::upload::{CASE_BODY_LIMIT, attachment_response, is_multipart, read_case_form};

pub fn router() -> OpenApiRouter<App> {
    // The cases route has its own body limit (SPEC §10); every other keeps the general one.
    let form = OpenApiRouter::new()
        .routes(routes!(open_case, list_cases))
        .layer(DefaultBodyLimit::max(CASE_BODY_LIMIT));
    OpenApiRouter::new()
        .merge(form)
        .routes(routes!(get_case))
        .routes(routes!(comment_case))
        .routes(routes!(claim_case))
        .routes(routes!(resolve_case))
        .routes(routes!(resend_for_case))
        .routes(routes!(case_attachment))
}

/// A new case as JSON.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseBody {
    /// `resend_provisioning_email`, `change_provisioning_contact` or `other`.
    pub request_type: String,
    /// The line the case is about (or `order_id`).
    pub subscription_ref: Option<String>,
    /// The order the case is about (or `subscription_ref`).
    pub order_id: Option<String>,
    pub description: String,
}

/// A new case as `multipart/form-data`: the JSON body's fields, plus files.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct NewCaseForm {
    pub request_type: String,
    pub subscription_ref: Option<String>,
    pub order_id: Option<String>,
    pub description: String,
    /// Screenshots: PNG, JPEG, GIF, WebP or PDF (decided from the bytes), at most 5 of 5 MB
    /// each; image metadata (EXIF, GPS) is removed; images over 10,000 × 10,000 pixels are
    /// refused.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub attachments: Vec<Vec<u8>>,
}

/// A comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
    /// An internal note: support only, never shown or mailed to the opener.
    #[serde(default)]
    pub internal: bool,
}

/// The case's fields and files from either kind of body.
struct NewCase {
    input: CaseInput,
    files: Vec<Upload>,
}

impl FromRequest<App> for NewCase {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &App) -> Result<Self, AppError> {
        if !is_multipart(&req) {
            let body = ApiJson::<NewCaseBody>::from_request(req, app).await?.value;
            return Ok(NewCase {
                input: CaseInput {
                    request_type: Some(body.request_type),
                    subscription_ref: body.subscription_ref,
                    order_id: body.order_id,
                    description: body.description,
                },
                files: vec![],
            });
        }
        let mut form = read_case_form(req, app).await?;
        let known = [
            "request_type",
            "subscription_ref",
            "order_id",
            "description",
        ];
        if let Some(unknown) = form.fields.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(AppError::unreadable(
                Message::new("request-field-unknown").with("field", unknown.clone()),
            ));
        }
        let mut take = |k: &str| form.fields.remove(k);
        Ok(NewCase {
            input: CaseInput {
                request_type: take("request_type"),
                subscription_ref: take("subscription_ref"),
                order_id: take("order_id"),
                description: take("description").unwrap_or_default(),
            },
            files: form.files,
        })
    }
}

/// Open a case about a line or an order the caller may see: 201 with the case. A second
/// open case for the same line and request type is `409 already_exists` with its `case_id`;
/// more than 10 cases in an hour `429 rate_limited` with `Retry-After`. A refused case
/// stores nothing.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    request_body(content(
        (NewCaseBody = "application/json"),
        (NewCaseForm = "multipart/form-data"),
    )),
    security(("api_key" = [])),
    responses(
        (status = 201, body = CaseDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such line or order (or another company's)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already_exists, with case_id", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "payload_too_large: a file over 5 MB, more than 5 files", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_request: a field, or a file that is none of PNG, JPEG, GIF, WebP, PDF, is empty or has too many pixels", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "rate_limited, with Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
async fn open_case(
    State(app): State<App>,
    Auth(actor): Auth,
    headers: axum::http::HeaderMap,
    new: NewCase,
) -> AppResult<(StatusCode, Json<CaseDto>)> {
    let case = app.open_case(&actor, new.input, new.files).await?;
    let dto = shown(&app, &headers, &case);
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Cases the caller may see, newest first: their company's (support and admins: all).
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases",
    params(
        ("state" = Option<String>, Query, description = "`open`, `waiting` or `resolved`"),
        ("request_type" = Option<String>, Query),
        ("subscription_ref" = Option<String>, Query, description = "only cases about this line"),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, description = "1–200, default 50"),
    ),
    security(("api_key" = [])),
    responses((status = 200, body = CaseList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_cases(
    State(app): State<App>,
    Auth(actor): Auth,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Json<CaseList>> {
    let state = parse_enum("state", params.get("state"), CaseState::parse)?;
    let filter = CaseFilter {
        states: state.into_iter().collect(),
        request_type: parse_enum(
            "request_type",
            params.get("request_type"),
            CaseRequestType::parse,
        )?,
        line: match params.get("subscription_ref").map(String::as_str) {
            None | Some("") => None,
            Some(raw) => Some(SubRef::parse(raw).map_err(|e| {
                AppError::invalid(provisio_domain::FieldPath::name("subscription_ref"), e)
            })?),
        },
        ..CaseFilter::default()
    };
    let found = app.list_cases(&actor, &filter, page_of(&params)?).await?;
    Ok(Json(CaseList {
        items: found.items.iter().map(Into::into).collect(),
        next_cursor: found.next.map(encode_cursor),
    }))
}

/// One case with its conversation (internal notes only for support), what happened to it
/// (`events`), and for support its notices with their delivery state (`emails`).
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = CaseDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_case(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: axum::http::HeaderMap,
) -> AppResult<Json<CaseDto>> {
    let case = app.case(&actor, &id).await?;
    let emails = app.case_emails(&actor, &case).await?;
    let events = app.case_events(&actor, &case).await?;
    let dto = shown(&app, &headers, &case)
        .with_emails(emails)
        .with_events(&events);
    Ok(Json(dto))
}

/// A comment: support's public answer (the case then waits on the opener, who is emailed)
/// or internal note (`internal`: support only); the opener's side's comment reopens a
/// waiting or resolved case. 201 with the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/comments", tag = "cases",
    params(("id" = String, Path)), request_body = CommentBody, security(("api_key" = [])),
    responses((status = 201, body = CaseDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn comment_case(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: axum::http::HeaderMap,
    body: ApiJson<CommentBody>,
) -> AppResult<(StatusCode, Json<CaseDto>)> {
    let body = body.value;
    let case = app
        .comment_case(&actor, &id, &body.body, body.internal)
        .await?;
    let dto = shown(&app, &headers, &case);
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Support takes the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/claim", tag = "cases",
    params(("id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = CaseDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn claim_case(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: axum::http::HeaderMap,
    _: NoBody,
) -> AppResult<Json<CaseDto>> {
    let case = app.claim_case(&actor, &id).await?;
    Ok(Json(shown(&app, &headers, &case)))
}

/// Resolve the case (support, or the opener's side); the opener is emailed unless it was
/// them.
#[utoipa::path(post, path = "/api/v1/cases/{id}/resolve", tag = "cases",
    params(("id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = CaseDto),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn resolve_case(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(id): PathId,
    headers: axum::http::HeaderMap,
    _: NoBody,
) -> AppResult<Json<CaseDto>> {
    let case = app.resolve_case(&actor, &id).await?;
    Ok(Json(shown(&app, &headers, &case)))
}

/// Support resends the provisioning email of the case's line on the opener's behalf (R2,
/// R10): 202 with the queued email, like the line's resend. The case gets a note now, and
/// another when the SMTP server has answered.
#[utoipa::path(post, path = "/api/v1/cases/{id}/resend", tag = "cases",
    params(("id" = String, Path)), security(("api_key" = [])),
    responses((status = 202, body = EmailDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "past_point_of_no_return, line_cancelled, invalid_transition (a case about no line)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "resend_rate_limited", body = Problem, content_type = "application/problem+json")))]
async fn resend_for_case(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(id): PathId,
    _: NoBody,
) -> AppResult<(StatusCode, Json<EmailDto>)> {
    let resent = app.resend_for_case(&actor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json((&resent.email).into())))
}

/// One attachment, to those who may see the case: its type as the bytes said, always as a
/// download, never sniffed or run by the browser.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{n}", tag = "cases",
    params(("id" = String, Path), ("n" = u32, Path)), security(("api_key" = [])),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn case_attachment(
    State(app): State<App>,
    Auth(actor): Auth,
    Path((id, n)): Path<(String, String)>,
) -> AppResult<Response> {
    let file = app.case_attachment(&actor, &id, &n).await?;
    Ok(attachment_response(file))
}

/// A case as its caller reads it: the service's notes in their language, signed with the
/// sender's address.
fn shown(app: &App, headers: &axum::http::HeaderMap, case: &provisio_store::CaseRecord) -> CaseDto {
    CaseDto::new(case, preferred_locale(headers), app.sender())
}
