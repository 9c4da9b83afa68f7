//! The one integration test binary (STYLE habit 9): black-box tests through a [`TestApp`]
//! (port 0, a fresh SQLite file, the real router) and of the built `provisio` CLI.

mod admin;
mod bad_input;
mod cli;
mod helpers;
mod orders;
mod routes;
