//! Lines, their events, and the Subscriptions list.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{EventDto, EventList, LineDto, LineList, Problem};
use super::extract::{Auth, PathId};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::http::extract::{encode_cursor, page_of};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_line))
        .routes(routes!(line_events))
        .routes(routes!(subscriptions))
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
) -> AppResult<Json<LineDto>> {
    Ok(Json((&app.line(&actor, &sub_ref).await?).into()))
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
/// provisioned (nor cancelled), open or closed: the Subscriptions page.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "lines",
    params(
        ("provisioning" = Option<String>, Query, description = "`incomplete` for lines whose provisioning is in progress; `all` (default)"),
        ("q" = Option<String>, Query, description = "part of a subscription reference, contact email, web order id or end customer"),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, description = "1–200, default 50"),
    ),
    security(("api_key" = [])),
    responses((status = 200, body = LineList), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn subscriptions(
    State(app): State<App>,
    Auth(actor): Auth,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Json<LineList>> {
    let incomplete = match params.get("provisioning").map(String::as_str) {
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
    let lines = app
        .list_lines(&actor, params.get("q").cloned(), incomplete, page)
        .await?;
    Ok(Json(LineList {
        items: lines.items.iter().map(LineDto::from).collect(),
        next_cursor: lines.next.map(encode_cursor),
    }))
}
