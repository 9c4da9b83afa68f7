//! The HTTP toolkit both edges share, the JSON API (`api`) and the pages (`web`):
//!
//! - `layers`: the middleware every request passes (problem+json for bare errors, an early
//!   `413`, safe request ids, security headers) and the request path as logs may show it;
//! - `extract`: reading a request into our errors (the whole body with its `413` / `408`, a
//!   list's `limit` and `cursor`, an enum in a query);
//! - `problem`: an [`AppError`](crate::error::AppError) as an RFC 9457 problem document, the
//!   `IntoResponse` every handler's error goes through (pages turn it into a page in their
//!   own layer), and what the listener answers a connection over the cap;
//! - `locale`: the client's `Accept-Language` as a language we speak;
//! - `timeline`: a line's timeline as JSON and CSV (the API's answer and the pages'
//!   downloads).
//!
//! It knows neither edge: `api` and `web` import it and never each other, and the service
//! router that puts them together under these layers sits above all three (`router.rs`).

pub mod extract;
pub mod layers;
pub mod locale;
pub mod problem;
pub mod timeline;
pub mod upload;
