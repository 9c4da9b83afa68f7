//! How the CLI ends: the one exit-code rule ([`EXIT_CODES`]), the flag values clap checks so
//! that a wrong one is a usage error (2), and [`Failure`], an error with its exit code (1 for
//! everything the service refused or could not do).

use provisio_domain::{ContactEmail, FieldPath, Locale, PersonName, ValueError};

use crate::error::{AppError, Code, Message};
use crate::i18n;

/// The one exit-code rule of every command, shown under each `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  done.
  1  the command was understood but not done: the service refused it (an unknown company,
     user, order or line; something that already exists; a rule such as permission, the
     point of no return, a cancelled line or the rate limit; db copy: a target that holds
     data, a serve running on the source), a file or standard input whose content is wrong
     (order import: any order not imported), or a file or the database failed.
  2  the command line is wrong: an unknown command or flag, a missing argument, a value
     outside the listed choices, or a value that cannot be what its flag asks for (an email
     address that is not an address, an empty name). Nothing was done.";

/// A flag's value that must be an email address (`--email`, `--as`, `--user`): one that is
/// not is a usage error (2), before anything is looked up.
pub(super) fn email_arg(raw: &str) -> Result<String, String> {
    ContactEmail::parse(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| value_words(&e))
}

/// A flag's value that must be a name (`--name`).
pub(super) fn name_arg(raw: &str) -> Result<String, String> {
    PersonName::parse(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| value_words(&e))
}

/// `--from` of `db copy`: a `sqlite:` URL.
pub(super) fn sqlite_arg(raw: &str) -> Result<String, String> {
    match raw.strip_prefix("sqlite:") {
        Some(rest) if !rest.trim_start_matches('/').is_empty() => Ok(raw.to_owned()),
        _ => Err(
            "expected a SQLite database as sqlite:PATH, e.g. sqlite:data/provisio.sqlite".into(),
        ),
    }
}

/// `--to` of `db copy`: a `postgres://` (or `postgresql://`) URL.
pub(super) fn postgres_arg(raw: &str) -> Result<String, String> {
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        Ok(raw.to_owned())
    } else {
        Err("expected a PostgreSQL database as postgres://USER@HOST/DATABASE".into())
    }
}

fn value_words(e: &ValueError) -> String {
    i18n::render(Locale::En, &Message::from(e))
}

/// A CLI failure with its exit code; with `--json`, the problem document for stdout.
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
    pub problem: Option<serde_json::Value>,
}

impl Failure {
    pub fn new(code: u8, error: anyhow::Error) -> Self {
        Failure {
            code,
            error,
            problem: None,
        }
    }

    /// With `--json`, the problem document (the API's shape) goes to stdout too.
    pub fn with_problem(mut self, e: &AppError, json: bool) -> Self {
        if json && e.code() != Code::Internal {
            self.problem = Some(crate::http::problem::problem(e));
        }
        self
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::new(1, error)
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            // The API hides internal causes from clients; the operator at the console needs
            // them, with their whole chain.
            AppError::Internal(error) => Failure::new(1, error),
            e => Failure::of(&e),
        }
    }
}

impl Failure {
    /// Exit 1: the command line was understood (clap checked it), so whatever the service
    /// refuses, unknown names included, is not a usage error ([`EXIT_CODES`]).
    pub fn of(e: &AppError) -> Self {
        let message = match e {
            AppError::Internal(error) => format!("{error:#}"),
            e => text(e),
        };
        Failure::new(1, anyhow::anyhow!(message))
    }
}

/// The words of an error at the console: English, every field problem, each field named as
/// the command line names it.
pub fn text(e: &AppError) -> String {
    e.messages(flag)
        .iter()
        .map(|m| i18n::render(Locale::En, m))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A use case's input as the commands take it: the acting user is `--as`, a user's company
/// `--company`; paths inside an imported file keep the file's (the API's) names.
pub(super) fn flag(path: &FieldPath) -> String {
    match path.to_string().as_str() {
        "acting_user" => "--as".to_owned(),
        "company_id" => "--company".to_owned(),
        other => other.to_owned(),
    }
}

/// Every command's `--help` ends with the exit-code rule.
pub(super) fn with_exit_codes(command: clap::Command) -> clap::Command {
    command
        .after_help(EXIT_CODES)
        .mut_subcommands(with_exit_codes)
}
