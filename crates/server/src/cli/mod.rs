//! The operator CLI (SPEC §7). Exit codes follow one rule ([`EXIT_CODES`], printed under every
//! `--help`): 2 when the command line itself is wrong, which clap decides before anything runs
//! (flag values that cannot be what the flag asks for are parsed here, at the edge); 1 for
//! everything the service refused or could not do once the command was understood.

mod admin;
mod exit;
mod import;
mod import_csv;
mod resend;
mod show;

pub use exit::{EXIT_CODES, Failure, text};
use exit::{email_arg, flag, name_arg, with_exit_codes};

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::app::admin::UserInput;
use crate::app::{App, Caller};
use crate::clock::Clock;
use crate::config::{Config, Overrides};
use crate::{serve, telemetry};

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
struct Cli {
    /// Data directory (SQLite file, mail files, provisio.toml). [env: PROVISIO_DATA_DIR] [default: ./data]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
enum CompanyCommand {
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
enum KindArg {
    Partner,
    Distributor,
    Operator,
}

#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
enum RoleArg {
    Member,
    SupportAgent,
    Admin,
    Integration,
}

#[derive(Subcommand)]
enum UserCommand {
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
enum ApiKeyCommand {
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
enum OrderCommand {
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

pub fn main() -> ExitCode {
    let matches = with_exit_codes(Cli::command()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if let Some(problem) = &f.problem {
                println!("{problem:#}");
            }
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

/// Opens the configured store and applies pending migrations.
pub async fn open_app(config: Config, clock: Clock) -> anyhow::Result<App> {
    let store = serve::open_store(&config).await?;
    Ok(App::new(store, clock, config))
}

/// The CLI's clock: the test clock's stored offset, if a `--test-clock` server has moved it,
/// so commands and the server agree on business time (SPEC §9).
async fn cli_clock(app: &App) -> anyhow::Result<Clock> {
    let offset = app.stored_clock_offset().await?;
    if offset.is_zero() {
        return Ok(Clock::system());
    }
    let clock = Clock::test();
    clock.set_offset(offset);
    Ok(clock)
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let mut overrides = Overrides {
        data_dir: cli.data_dir,
        listen: None,
    };
    if let Command::Serve(args) = &cli.command {
        overrides.listen = args.listen.clone();
    }
    let config = Config::load(&overrides)?;
    let serving = matches!(cli.command, Command::Serve(_));
    let _logs = telemetry::init_logging(config.log_format, if serving { "info" } else { "warn" });
    if let Command::Serve(args) = cli.command {
        return Ok(serve::serve(config, args.test_clock, args.demo).await?);
    }
    let mut app = open_app(config, Clock::system()).await?;
    app.clock = cli_clock(&app).await?;
    let result = command(&app, cli.command).await;
    app.close().await;
    result
}

async fn command(app: &App, command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve(_) => unreachable!("handled in run"),
        Command::Migrate => {
            println!("database is up to date");
        }
        Command::Company(CompanyCommand::List) => admin::list_companies(app).await?,
        Command::User(UserCommand::List { company }) => {
            admin::list_users(app, company.as_deref()).await?
        }
        Command::User(UserCommand::Disable { email }) => admin::disable_user(app, &email).await?,
        Command::User(UserCommand::Enable { email }) => admin::enable_user(app, &email).await?,
        Command::User(UserCommand::Update { email, can_resend }) => {
            admin::update_user(app, &email, can_resend).await?
        }
        Command::ApiKey(ApiKeyCommand::List { user }) => admin::list_keys(app, &user).await?,
        Command::ApiKey(ApiKeyCommand::Revoke { id }) => admin::revoke_key(app, &id).await?,
        Command::Company(CompanyCommand::Create { name, kind }) => {
            let kind = match kind {
                KindArg::Partner => "partner",
                KindArg::Distributor => "distributor",
                KindArg::Operator => "operator",
            };
            let c = app.create_company(&Caller::Operator, &name, kind).await?;
            println!("created company {} ({}) {}", c.name, c.kind, c.id);
        }
        Command::Company(CompanyCommand::Link {
            distributor,
            partner,
        }) => {
            let (d, p) = app
                .link_distributor(&Caller::Operator, &distributor, &partner, true)
                .await?;
            println!("linked: distributor {} serves partner {}", d.name, p.name);
        }
        Command::Company(CompanyCommand::Unlink {
            distributor,
            partner,
        }) => {
            let (d, p) = app
                .link_distributor(&Caller::Operator, &distributor, &partner, false)
                .await?;
            println!(
                "unlinked: distributor {} no longer serves partner {}",
                d.name, p.name
            );
        }
        Command::User(UserCommand::Create {
            company,
            email,
            name,
            role,
            can_resend,
            password_stdin,
        }) => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let role = match role {
                RoleArg::Member => "member",
                RoleArg::SupportAgent => "support_agent",
                RoleArg::Admin => "admin",
                RoleArg::Integration => "integration",
            };
            let input = UserInput {
                company,
                email,
                name,
                role: role.into(),
                can_resend,
                password,
            };
            let u = app.create_user(&Caller::Operator, input).await?;
            let resend = if u.can_resend { ", can resend" } else { "" };
            println!(
                "created user {} <{}> ({}{resend}) in {} {}",
                u.name, u.email, u.role, u.company.name, u.id
            );
        }
        Command::ApiKey(ApiKeyCommand::Create { user }) => {
            let k = app.create_api_key(&Caller::Operator, &user).await?;
            println!(
                "created API key {} for {}; it is shown only now:",
                k.id, k.user.email
            );
            println!("{}", k.key);
        }
        Command::Order(OrderCommand::Import { file, as_user }) => {
            import::run(app, &file, &as_user).await?
        }
        Command::Order(OrderCommand::Show { order_id, json }) => {
            show::run(app, &order_id, json).await?
        }
        Command::Resend {
            sub_ref,
            as_user,
            json,
        } => resend::run(app, &sub_ref, &as_user, json).await?,
    }
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
