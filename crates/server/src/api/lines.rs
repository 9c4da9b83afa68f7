//! Lines, their events, and the Subscriptions list.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use provisio_domain::Actor;
use provisio_domain::attention::Attention;
use provisio_store::LineContext;

use super::dto::{
    AttentionDto, EventDto, EventList, LINE_BYTES, LineDto, LineList, Problem, written,
};
use super::extract::{Auth, PathId};
use crate::app::App;
use crate::app::line_list::LineFilter;
use crate::error::{AppError, AppResult};
use crate::http::extract::{encode_cursor, page_of, parse_enum};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_line))
        .routes(routes!(line_events))
        .routes(routes!(subscriptions))
        .routes(routes!(attention))
}

/// One subscription line.
#[utoipa::path(get, path = "/api/v1/lines/{sub_ref}", tag = "lines",
    params(("sub_ref" = String, Path, description = "the subscription reference, e.g. Sub1000042")),
    security(("api_key" = [])),
    responses((status = 200, body = LineDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_line(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
) -> AppResult<Response> {
    line_json(&app, &actor, app.line(&actor, &sub_ref).await?).await
}

/// A line as `actor` sees it, with what it offers them.
pub(super) async fn line_json(app: &App, actor: &Actor, line: LineContext) -> AppResult<Response> {
    let offered = app.offer(actor, &line).await?;
    written(
        StatusCode::OK,
        &LineDto::listed(&line, &offered),
        LINE_BYTES,
    )
}

/// The line's audit events (with its order's), oldest first.
#[utoipa::path(get, path = "/api/v1/lines/{sub_ref}/events", tag = "lines",
    params(("sub_ref" = String, Path, description = "the subscription reference")),
    security(("api_key" = [])),
    responses((status = 200, body = EventList), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn line_events(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
) -> AppResult<Json<EventList>> {
    let events = app.line_events(&actor, &sub_ref).await?;
    Ok(Json(EventList {
        items: events.iter().map(EventDto::from).collect(),
    }))
}

/// Subscription lines, newest first; `provisioning=incomplete` lists every line not yet
/// provisioned (nor cancelled), open or closed: the Subscriptions page. Narrowed by stage,
/// status, attention reason and closing deadline; sorted by deadline on request.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "lines",
    params(
        ("provisioning" = Option<String>, Query, description = "`incomplete` for lines whose provisioning is in progress; `all` (default)"),
        ("q" = Option<String>, Query, description = "part of a subscription reference, contact email, web order id or end customer, in any case (Unicode); three characters or more are looked up in an index"),
        ("stage" = Option<String>, Query, description = "lines in this stage"),
        ("status" = Option<String>, Query, description = "`open` or `closed` lines"),
        ("attention" = Option<String>, Query, description = "lines that need a person for this reason (see GET /api/v1/attention)"),
        ("closing_within_days" = Option<u32>, Query, description = "open lines whose provisioning window closes within this many days"),
        ("sort" = Option<String>, Query, description = "`newest` (default) or `deadline` (the nearest closing deadline first)"),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, description = "1–200, default 50"),
    ),
    security(("api_key" = [])),
    responses((status = 200, body = LineList), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn subscriptions(
    State(app): State<App>,
    Auth(actor): Auth,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let mut filter = LineFilter::from_query(&params)?;
    filter.incomplete_only = match params.get("provisioning").map(String::as_str) {
        None | Some("") | Some("all") => false,
        Some("incomplete") => true,
        Some(other) => {
            return Err(AppError::invalid_value(
                "provisioning",
                "value-unknown-variant",
                vec![
                    ("value", other.to_owned()),
                    ("what", "filter".to_owned()),
                    ("allowed", "incomplete, all".to_owned()),
                ],
            ));
        }
    };
    let page = page_of(&params)?;
    let lines = app.list_lines(&actor, &filter, page).await?;
    let list = LineList {
        items: lines
            .items
            .iter()
            .map(|l| LineDto::listed(&l.line, &l.offered))
            .collect(),
        next_cursor: lines.next.map(encode_cursor),
    };
    written(StatusCode::OK, &list, LINE_BYTES * list.items.len() + 256)
}

/// What needs a person (SPEC §11): the lines the caller may see that will not move on by
/// themselves, each once under its most urgent reason, most urgent first, with a count per
/// reason.
#[utoipa::path(get, path = "/api/v1/attention", tag = "lines",
    params(
        ("reason" = Option<String>, Query, description = "only this reason: `last_email_failed`, `closed_in_progress`, `closing_soon`, `resend_budget_used` or `onboarded_not_provisioned`"),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, description = "1–200, default 50"),
    ),
    security(("api_key" = [])),
    responses((status = 200, body = AttentionDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn attention(
    State(app): State<App>,
    Auth(actor): Auth,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let reason = parse_enum("reason", params.get("reason"), Attention::parse)?;
    let page = page_of(&params)?;
    let found = app
        .attention(&actor, &LineFilter::default(), reason, page)
        .await?;
    let list = AttentionDto::new(&found);
    written(
        StatusCode::OK,
        &list,
        (LINE_BYTES + 256) * list.items.len() + 512,
    )
}
