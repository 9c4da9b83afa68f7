//! A line's timeline (SPEC §11): who did what, newest first, in words, as JSON or CSV.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::response::{IntoResponse, Response};
use provisio_domain::{Actor, Locale};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::Problem;
use super::extract::{Auth, PathId};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::http::locale::preferred_locale;
use crate::http::timeline::{TimelineDto, csv_response, document};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(timeline))
}

/// A line's history: its events (its order's included), emails and delivery attempts
/// joined, newest first, each with who did it in words (`Accept-Language`, else the caller's
/// chosen language, else English); `format=csv` gives the same as CSV with a header row.
#[utoipa::path(get, path = "/api/v1/lines/{sub_ref}/timeline", tag = "lines",
    params(
        ("sub_ref" = String, Path, description = "the subscription reference, e.g. Sub1000042"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`"),
        ("Accept-Language" = Option<String>, Header, description = "the language of the words: `en` or `sv`"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "the timeline, newest first", content(
            (TimelineDto = "application/json"),
            (String = "text/csv"),
        )),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn timeline(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(sub_ref): PathId,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Response> {
    let csv = match params.get("format").map(String::as_str) {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(AppError::invalid_value(
                "format",
                "value-unknown-variant",
                vec![
                    ("value", other.to_owned()),
                    ("what", "format".to_owned()),
                    ("allowed", "json, csv".to_owned()),
                ],
            ));
        }
    };
    let timeline = app.timeline(&actor, &sub_ref).await?;
    let locale = reader_locale(&app, &actor, &headers).await?;
    if csv {
        csv_response(&timeline, locale)
    } else {
        Ok(Json(document(&timeline, locale)).into_response())
    }
}

/// The language the caller reads: what the request asks for, else what the user chose for
/// the pages, else English.
async fn reader_locale(app: &App, actor: &Actor, headers: &HeaderMap) -> AppResult<Locale> {
    if headers.contains_key(ACCEPT_LANGUAGE) {
        return Ok(preferred_locale(headers));
    }
    let chosen = app.web_user(actor.user_id).await?.and_then(|u| u.locale);
    Ok(chosen.unwrap_or(Locale::En))
}
