//! Orders: place, list / search, get.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use provisio_domain::Actor;
use provisio_store::Order;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{
    LINE_BYTES, NewOrderBody, OrderDto, OrderList, OrderSummaryDto, Problem, written,
};
use super::extract::{ApiJson, Auth, PathId, idempotency};
use crate::app::App;
use crate::app::line_list::LineFilter;
use crate::error::AppResult;
use crate::http::extract::{encode_cursor, page_of};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_order, list_orders))
        .routes(routes!(get_order))
}

/// Place an order with its lines. All or nothing; `Idempotency-Key` makes retries safe.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrderBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key and body returns the first result")),
    security(("api_key" = [])),
    responses(
        (status = 201, body = OrderDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already_exists or idempotency_conflict", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_request or invalid_email, with errors per field", body = Problem, content_type = "application/problem+json"),
    ))]
async fn create_order(
    State(app): State<App>,
    Auth(actor): Auth,
    headers: HeaderMap,
    body: ApiJson<NewOrderBody>,
) -> AppResult<Response> {
    let key = idempotency(&headers, "POST /api/v1/orders", &body.canonical)?;
    let order = app
        .create_order(&actor, body.value.into(), key)
        .await?
        .into_inner();
    order_json(&app, &actor, StatusCode::CREATED, &order).await
}

/// List and search orders, newest first, keyset-paginated.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(
        ("q" = Option<String>, Query, description = "orders with a line whose subscription reference, contact email, web order id or end customer holds this, in any case (Unicode); three characters or more are looked up in an index"),
        ("status" = Option<String>, Query, description = "orders with a line in this status (open, closed)"),
        ("stage" = Option<String>, Query, description = "orders with a line in this stage"),
        ("attention" = Option<String>, Query, description = "orders with a line that needs a person for this reason (see GET /api/v1/attention)"),
        ("closing_within_days" = Option<u32>, Query, description = "orders with an open line whose provisioning window closes within this many days"),
        ("sort" = Option<String>, Query, description = "`newest` (default) or `deadline` (the nearest closing deadline of an order's lines first)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, description = "1–200, default 50; larger values are clamped"),
    ),
    security(("api_key" = [])),
    responses((status = 200, body = OrderList), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_orders(
    State(app): State<App>,
    Auth(actor): Auth,
    Query(params): Query<HashMap<String, String>>,
) -> AppResult<Json<OrderList>> {
    let filter = LineFilter::from_query(&params)?;
    let page = app.list_orders(&actor, &filter, page_of(&params)?).await?;
    Ok(Json(OrderList {
        items: page.items.iter().map(OrderSummaryDto::from).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// One order with its lines.
#[utoipa::path(get, path = "/api/v1/orders/{order_id}", tag = "orders",
    params(("order_id" = String, Path, description = "the web order id")),
    security(("api_key" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_order(
    State(app): State<App>,
    Auth(actor): Auth,
    PathId(id): PathId,
) -> AppResult<Response> {
    let order = app.order(&actor, &id).await?;
    order_json(&app, &actor, StatusCode::OK, &order).await
}

/// An order with what each of its lines offers `actor`, written into one buffer of its size.
async fn order_json(
    app: &App,
    actor: &Actor,
    status: StatusCode,
    order: &Order,
) -> AppResult<Response> {
    let offers = app.order_offers(actor, order).await?;
    let bytes = 1024 + LINE_BYTES * order.lines.len();
    written(status, &OrderDto::new(order, &offers), bytes)
}
