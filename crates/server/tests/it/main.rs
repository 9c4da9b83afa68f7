//! The one integration test binary (STYLE habit 9): black-box tests through a [`TestApp`]
//! (port 0, a fresh SQLite file, the real router) and of the built `provisio` CLI.
// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod admin;
mod attention;
mod backend;
mod bad_input;
mod bad_requests;
mod browser;
mod cases;
mod cases_api;
mod cases_files;
mod cases_limits;
mod cases_mail;
mod cases_uploads;
mod cli;
mod cli_admin;
mod cli_db_copy;
mod cli_import;
mod cli_resend;
mod cli_serve;
mod contact;
mod delivery;
mod delivery_transport;
mod demo;
mod directory;
mod dkim;
mod edges;
mod glossary;
mod helpers;
mod lifecycle;
mod lifecycle_clock;
mod lifecycle_ponr;
mod no_limbo;
mod openapi;
mod orders;
mod resend;
mod restart;
mod routes;
mod setup_hand_off;
mod setup_page;
mod smtp;
mod tenancy;
mod timeline;
mod web;
