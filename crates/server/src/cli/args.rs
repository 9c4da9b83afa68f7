//! The command line as clap reads it: the commands, their flags and their help texts. Values
//! a flag cannot take are refused here, at the edge (exit code 2).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::exit::{email_arg, name_arg, postgres_arg, sqlite_arg};

#[derive(Parser)]
#[command(
    name = "provisio",
    version,
    about = "The provisioning-email lifecycle of subscription orders.",
    long_about = "provisio sends the provisioning email of subscription orders on their requested start date, \
lets permitted people resend it or change the contact until the customer's organization is onboarded, \
and closes lines by offer policy.\n\nConfiguration: provisio.toml in the data directory, overridden by \
PROVISIO_* environment variables and DATABASE_URL (see README.md)."
)]
pub(super) struct Cli {
    /// Data directory (SQLite file, mail files, provisio.toml). [env: PROVISIO_DATA_DIR] [default: ./data]
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Run the HTTP service with the scheduler that sends the provisioning emails (applies
    /// pending migrations first; mail goes to SMTP when PROVISIO_SMTP_URL is set, else to
    /// .eml files in DATA_DIR/mail).
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Manage companies.
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Import and look up orders.
    #[command(subcommand)]
    Order(OrderCommand),
    /// Database maintenance: moving an installation to PostgreSQL.
    #[command(subcommand)]
    Db(DbCommand),
    /// Resend the provisioning email of a line as a user, with every rule of the API: the
    /// user's permission (else the ordering contact to ask is named), the point of no return
    /// (the admin portal is named), cancelled lines, at most 5 resends per line per hour.
    /// The email is queued at once; a running `provisio serve` sends it within seconds.
    /// Exits 1 when refused, with the reason.
    Resend {
        /// The line's subscription reference, e.g. Sub1000042.
        #[arg(value_name = "SUB_REF")]
        sub_ref: String,
        /// The user who asks (their email); their rights decide.
        #[arg(long = "as", value_name = "EMAIL", value_parser = email_arg)]
        as_user: String,
        /// Print the queued email as JSON (the API's Email shape); a refusal as the API's
        /// problem document.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on. [env: PROVISIO_LISTEN] [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Run on a test clock that admins can read and move (GET /api/v1/clock, POST
    /// /api/v1/clock/advance), for trying out a whole lifecycle; never in production.
    #[arg(long)]
    pub test_clock: bool,
    /// Try provisio out: on the first start, fill the database with demo companies, users and
    /// orders whose lines are in every stage (with back-dated history); on every start, print
    /// the demo users with new passwords and a new API key for the demo admin. Demo mail
    /// always goes to .eml files in DATA_DIR/mail, never to PROVISIO_SMTP_URL. Combines with
    /// --test-clock.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand)]
pub(super) enum CompanyCommand {
    /// List every company: name, kind and id.
    List,
    /// Create a company.
    Create {
        #[arg(long, value_parser = name_arg)]
        name: String,
        #[arg(long, value_enum)]
        kind: KindArg,
    },
    /// Record that a distributor serves a partner (it may then order for that partner).
    Link {
        /// The distributor's name (or id).
        #[arg(long)]
        distributor: String,
        /// The partner's name (or id).
        #[arg(long)]
        partner: String,
    },
    /// Forget that a distributor serves a partner.
    Unlink {
        #[arg(long)]
        distributor: String,
        #[arg(long)]
        partner: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum KindArg {
    Partner,
    Distributor,
    Operator,
}

#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(super) enum RoleArg {
    Member,
    SupportAgent,
    Admin,
    Integration,
}

#[derive(Subcommand)]
pub(super) enum UserCommand {
    /// Create a user in a company.
    Create {
        /// The company's name (or id).
        #[arg(long)]
        company: String,
        #[arg(long, value_parser = email_arg)]
        email: String,
        #[arg(long, value_parser = name_arg)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// May resend provisioning emails and change provisioning contacts.
        #[arg(long)]
        can_resend: bool,
        /// Read a web sign-in password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (newest first): email, name, company, role, whether they may resend, status.
    List {
        /// Only this company's users (its name or id).
        #[arg(long)]
        company: Option<String>,
    },
    /// Disable a user: they cannot sign in, their web sessions end and their API keys are
    /// refused until they are enabled again.
    Disable {
        #[arg(value_name = "EMAIL", value_parser = email_arg)]
        email: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(value_name = "EMAIL", value_parser = email_arg)]
        email: String,
    },
    /// Change a user: whether they may resend provisioning emails and change provisioning
    /// contacts (takes effect at their next request).
    Update {
        #[arg(value_name = "EMAIL", value_parser = email_arg)]
        email: String,
        #[arg(long, action = clap::ArgAction::Set, value_name = "true|false")]
        can_resend: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum ApiKeyCommand {
    /// Create an API key for a user; the key is printed alone on the last line, once.
    Create {
        /// The user's email.
        #[arg(long, value_name = "EMAIL", value_parser = email_arg)]
        user: String,
    },
    /// List a user's API keys, newest first: id, created, last used (to a minute), revoked.
    /// The keys themselves are never shown again.
    List {
        /// The user's email.
        #[arg(long, value_name = "EMAIL", value_parser = email_arg)]
        user: String,
    },
    /// Revoke an API key by its id (from `api-key list`); it stops working at once.
    Revoke {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Subcommand)]
pub(super) enum OrderCommand {
    /// Import orders from a JSON file (one order or an array, in the POST /api/v1/orders shape)
    /// or a CSV file with a header naming the columns
    /// web_order_id,partner,end_customer,offer,quantity,requested_start_date,contact_email,contact_name,locale
    /// (the last two optional; rows with the same web_order_id form one order). A file of the wrong shape (empty, no
    /// rows, not comma-separated, an unknown column, a row without web_order_id) is refused
    /// whole with the line that is wrong. Otherwise each order is imported whole or not at all
    /// and reported in one line; exits 1 if any failed.
    Import {
        file: PathBuf,
        /// The user placing the orders (the ordering contact).
        #[arg(long = "as", value_name = "EMAIL", value_parser = email_arg)]
        as_user: String,
    },
    /// Show an order with its lines: each line's stage, status, deadline and last email.
    Show {
        order_id: String,
        /// Print the order as JSON (the API's shape); a failure as the API's problem document.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum DbCommand {
    /// Copy a whole installation from its SQLite file into a new PostgreSQL database.
    ///
    /// Every table and row (cases and their attachments included) with their ids and order,
    /// the counters of subscription references and web order ids, the test clock's offset and
    /// the offer policies. Migrates the target first and refuses one that holds any data.
    /// Nothing may write to the source meanwhile: stop `provisio serve` first (a running one
    /// is refused, and none can start until the copy ends). All or nothing, in one
    /// transaction: prints each table's rows on both sides and exits 0 only when they all
    /// match; otherwise the target is left as it was.
    Copy {
        /// The SQLite database to copy, e.g. sqlite:data/provisio.sqlite.
        #[arg(long, value_name = "sqlite:PATH", value_parser = sqlite_arg)]
        from: String,
        /// The PostgreSQL database to copy into, e.g. postgres://provisio@db.internal/provisio
        /// (leave the password out and set PGPASSWORD, so it is not in the process list).
        #[arg(long, value_name = "postgres://…", value_parser = postgres_arg)]
        to: String,
    },
}
