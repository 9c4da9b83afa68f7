//! The provisio service as a library: the binary (`main.rs`) and the integration tests drive it.

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod http;
pub mod http_server;
pub mod i18n;
pub mod router;
pub mod scheduler;
pub mod serve;
pub mod telemetry;
pub mod web;
