//! `/help` (Provisioning help: spam folder, the sender addresses to allowlist, browser
//! steps, then Open a case) and the workspace's one stylesheet and script.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::page::{Chrome, html};
use super::session::Visitor;
use crate::app::App;

pub fn router() -> Router<App> {
    Router::new().route("/help", get(help))
}

/// The static files, outside the session layer (no cookie for a stylesheet).
pub fn static_router() -> Router<App> {
    Router::new()
        .route(
            "/static/app.css",
            get(|| async {
                asset(
                    "text/css; charset=utf-8",
                    include_str!("../../static/app.css"),
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/app.js"),
                )
            }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    c: Chrome,
    senders: Vec<String>,
}

async fn help(State(app): State<App>, visitor: Visitor) -> Response {
    let c = Chrome::new(&visitor, "help", "/help", &[]);
    let title = c.t("web-help-title");
    let page = HelpPage {
        c: c.titled(title),
        senders: app.sender_addresses(),
    };
    html(StatusCode::OK, &page, visitor.locale)
}
