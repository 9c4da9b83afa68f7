//! The one test binary of provisio-attachments: what a person uploading a file would see
//! (refused or kept, and what is kept of it), per format, from fixtures made in code.

// Fixture helpers outside #[test] functions unwrap too: a failure there is a broken fixture.
#![allow(clippy::unwrap_used)]

mod fixtures;
mod gif;
mod jpeg;
mod png;
mod robustness;
mod types;
mod webp;
