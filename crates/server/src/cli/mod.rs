//! The operator CLI (SPEC §7). Exit codes follow one rule ([`EXIT_CODES`], printed under every
//! `--help`): 2 when the command line itself is wrong, which clap decides before anything runs
//! (flag values that cannot be what the flag asks for are parsed here, at the edge); 1 for
//! everything the service refused or could not do once the command was understood.

mod admin;
mod args;
mod db_copy;
mod exit;
mod import;
mod import_csv;
mod resend;
mod show;

pub use args::ServeArgs;
use args::{
    ApiKeyCommand, Cli, Command, CompanyCommand, DbCommand, KindArg, OrderCommand, RoleArg,
    UserCommand,
};
pub use exit::{EXIT_CODES, Failure, text};
use exit::{flag, with_exit_codes};

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};

use crate::app::admin::UserInput;
use crate::app::{App, Caller};
use crate::clock::Clock;
use crate::config::{Config, Overrides};
use crate::{serve, telemetry};

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
    // The two databases it names, not the configured one.
    if let Command::Db(DbCommand::Copy { from, to }) = &cli.command {
        return db_copy::run(from, to).await;
    }
    let mut app = open_app(config, Clock::system()).await?;
    app.clock = cli_clock(&app).await?;
    let result = command(&app, cli.command).await;
    app.close().await;
    result
}

async fn command(app: &App, command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve(_) | Command::Db(_) => unreachable!("handled in run"),
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
