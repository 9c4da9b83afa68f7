//! The built `provisio` binary, run as a child process (SPEC §7 CLI, §9 `order import`, one
//! `serve` per SQLite file). Every child gets a fresh data directory and none of the caller's
//! `PROVISIO_*` / `DATABASE_URL` variables.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::helpers::*;

/// What a finished CLI run left behind.
pub(crate) struct Out {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    /// Asserts exit 0; returns stdout.
    #[track_caller]
    pub(crate) fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "{self}");
        &self.stdout
    }

    /// Asserts this exit code and that stderr mentions `needle` (case-insensitive).
    #[track_caller]
    pub(crate) fn fails(&self, code: i32, needle: &str) {
        assert_eq!(self.code, code, "{self}");
        let err = self.stderr.to_lowercase();
        assert!(
            err.contains(&needle.to_lowercase()),
            "stderr lacks {needle:?}: {self}"
        );
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `provisio`, without the caller's `PROVISIO_*` and `DATABASE_URL` (PATH, HOME stay).
pub(crate) fn isolated() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provisio"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PROVISIO_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env_remove("DATABASE_URL")
        .env_remove("PROVISIO_DATA_DIR")
        .kill_on_drop(true);
    cmd
}

/// `provisio --data-dir DIR`, isolated. On PostgreSQL (`PROVISIO_TEST_BACKEND=postgres`) with
/// the `DATABASE_URL` of the database that belongs to `dir` (`backend::database_of`): every
/// run on the same directory, and a `TestApp` on it, find the same data, as on SQLite.
pub(crate) fn provisio(dir: &Path) -> Command {
    let mut cmd = isolated();
    cmd.arg("--data-dir").arg(dir);
    if let Some(url) = crate::backend::database_of(dir) {
        cmd.env("DATABASE_URL", url);
    }
    cmd
}


/// Runs the command to its end (at most 60 s), feeding it `stdin`.
pub(crate) async fn finish(mut cmd: Command, stdin: Option<&str>) -> Out {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the provisio binary starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).await.expect("write stdin");
    }
    drop(pipe);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the command ends within 60 s")
        .expect("wait for the command");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `provisio --data-dir DIR ARGS` (split on whitespace) with `stdin`.
pub(crate) async fn run(dir: &Path, args: &str, stdin: Option<&str>) -> Out {
    let mut cmd = provisio(dir);
    cmd.args(args.split_whitespace());
    finish(cmd, stdin).await
}

pub(crate) async fn cli(dir: &Path, args: &str) -> Out {
    run(dir, args, None).await
}

/// `^pvk_[A-Za-z0-9_-]{43}$`
pub(crate) fn is_api_key(s: &str) -> bool {
    let key_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    s.strip_prefix("pvk_")
        .is_some_and(|rest| rest.len() == 43 && rest.bytes().all(key_char))
}

/// A partner company Acme with a member pia@acme.test, made through the CLI.
pub(crate) async fn partner_with_member(dir: &Path) {
    cli(dir, "company create --name Acme --kind partner")
        .await
        .ok();
    let pia = "user create --company Acme --email pia@acme.test --name Pia --role member";
    cli(dir, pia).await.ok();
}

/// Writes `content` to DIR/NAME and imports it as `as_user`.
pub(crate) async fn import(dir: &Path, name: &str, content: &str, as_user: &str) -> Out {
    let file = dir.join(name);
    std::fs::write(&file, content).expect("write the import file");
    let mut cmd = provisio(dir);
    cmd.args(["order", "import"])
        .arg(&file)
        .args(["--as", as_user]);
    finish(cmd, None).await
}

/// `order show ID --json`, parsed.
pub(crate) async fn show_json(dir: &Path, order_id: &str) -> Value {
    let out = cli(dir, &format!("order show {order_id} --json")).await;
    serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// The subscription references a text names, in order.
pub(crate) fn sub_refs(text: &str) -> Vec<String> {
    let is_ref = |w: &&str| {
        w.len() > 3 && w.starts_with("Sub") && w[3..].bytes().all(|b| b.is_ascii_digit())
    };
    let words = text.split(|c: char| !c.is_ascii_alphanumeric());
    words.filter(is_ref).map(str::to_owned).collect()
}

pub(crate) fn line_refs(order: &Value) -> Vec<String> {
    let lines = order["lines"].as_array().expect("lines is an array");
    let sub_ref = |l: &Value| {
        l["subscription_ref"]
            .as_str()
            .expect("a Sub ref")
            .to_owned()
    };
    lines.iter().map(sub_ref).collect()
}

/// The stdout line that reports the order `label`.
pub(crate) fn report<'a>(out: &'a Out, label: &str) -> &'a str {
    let prefix = format!("{label}:");
    let mut found = out.stdout.lines().filter(|l| l.starts_with(&prefix));
    found
        .next()
        .unwrap_or_else(|| panic!("no report for {label}: {out}"))
}

#[tokio::test]
pub(crate) async fn help_everywhere_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let commands = "serve,migrate,company,company create,user,user create,api-key,\
                    api-key create,order,order import,order show,resend";
    for cmd in std::iter::once("").chain(commands.split(',')) {
        let out = cli(d, &format!("{cmd} --help")).await;
        assert!(out.ok().contains("Usage"), "provisio {cmd} --help: {out}");
        // The one exit-code rule, under every help.
        let rule = [
            "Exit codes:",
            "1  the command was understood",
            "2  the command line is wrong",
        ];
        for words in rule {
            assert!(
                out.stdout.contains(words),
                "provisio {cmd} --help lacks {words:?}: {out}"
            );
        }
    }
    let top = cli(d, "--help").await;
    for cmd in [
        "serve", "migrate", "company", "user", "api-key", "order", "resend",
    ] {
        assert!(
            top.stdout.contains(cmd),
            "top-level help lacks {cmd}: {top}"
        );
    }
    let serve = cli(d, "serve --help").await;
    assert!(
        serve.stdout.contains("--listen")
            && serve.stdout.contains("--data-dir")
            && serve.stdout.contains("--demo"),
        "{serve}"
    );

    for (args, says) in [
        ("frobnicate", "frobnicate"),
        ("company create --name Acme", "--kind"),
        ("user create --company Acme --email a@b.test", "--name"),
        ("company create --name Acme --kind vendor", "vendor"),
    ] {
        cli(d, args).await.fails(2, says);
    }
}

/// One rule for every command (README, `--help`): 2 when the command line itself is wrong
/// (clap's errors, a value that cannot be what its flag asks for), 1 for whatever the service
/// refused or could not do: an unknown company is 1 like an unknown user.
#[tokio::test]
pub(crate) async fn every_command_follows_one_exit_code_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let usage = [
        (
            "user create --company Acme --email not-an-email --name Bo --role member",
            "not-an-email",
        ),
        ("api-key create --user not-an-email", "not-an-email"),
        ("resend Sub1000010 --as not-an-email", "not-an-email"),
        ("order import x.csv --as not-an-email", "not-an-email"),
        (
            "user create --company Acme --email bo@acme.test --name Bo --role boss",
            "boss",
        ),
        ("order show", "ORDER_ID"),
    ];
    for (args, says) in usage {
        cli(d, args).await.fails(2, says);
    }
    let empty_name = ["company", "create", "--name", "", "--kind", "partner"];
    let mut cmd = provisio(d);
    cmd.args(empty_name);
    finish(cmd, None).await.fails(2, "--name");

    let refused = [
        (
            "user create --company Nope --email bo@acme.test --name Bo --role member",
            "Nope",
        ),
        ("api-key create --user nobody@acme.test", "not found"),
        (
            "resend Sub1000010 --as nobody@acme.test",
            "nobody@acme.test",
        ),
        (
            "order import x.csv --as nobody@acme.test",
            "nobody@acme.test",
        ),
        ("order show W-NOPE", "not found"),
        (
            "company create --name Acme --kind partner",
            "already exists",
        ),
        (
            "user create --company Acme --email eve@acme.test --name Eve --role admin",
            "operator compan",
        ),
        (
            "user create --company Acme --email pia@acme.test --name Pia --role member",
            "already exists",
        ),
    ];
    for (args, says) in refused {
        cli(d, args).await.fails(1, says);
    }
    // Nothing of the refused commands was done.
    cli(d, "api-key create --user bo@acme.test")
        .await
        .fails(1, "not found");
}

#[tokio::test]
pub(crate) async fn an_operator_bootstraps_companies_users_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The data directory may also come from PROVISIO_DATA_DIR.
    let mut by_env = isolated();
    by_env.env("PROVISIO_DATA_DIR", d).arg("migrate");
    finish(by_env, None).await.ok();
    assert!(
        d.join("provisio.sqlite").is_file(),
        "no provisio.sqlite in the data dir"
    );
    cli(d, "migrate").await.ok();

    let op = cli(d, "company create --name Operator --kind operator").await;
    assert!(op.ok().contains("Operator"), "{op}");
    let acme = cli(d, "company create --name Acme --kind partner").await;
    assert!(acme.ok().contains("Acme"), "{acme}");
    let dup = cli(d, "company create --name Acme --kind distributor").await;
    dup.fails(1, "already exists");

    let ada = cli(
        d,
        "user create --company Operator --email ada@op.test --name Ada --role admin",
    )
    .await;
    assert!(ada.ok().contains("ada@op.test"), "{ada}");
    let eve = "user create --company Acme --email eve@acme.test --name Eve --role admin";
    cli(d, eve).await.fails(1, "operator compan");
    let bad = "user create --company Acme --email not-an-email --name Bad --role member";
    cli(d, bad).await.fails(2, "not-an-email");

    let out = cli(d, "api-key create --user ada@op.test").await;
    let key = out.ok().lines().last().unwrap_or_default();
    assert!(is_api_key(key), "the last line is not the key alone: {out}");
    let again = cli(d, "api-key create --user ada@op.test").await;
    assert_ne!(
        again.ok().lines().last(),
        Some(key),
        "two keys are the same"
    );
    cli(d, "api-key create --user nobody@x.test")
        .await
        .fails(1, "not found");
}

#[tokio::test]
pub(crate) async fn password_stdin_reads_one_line_and_checks_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, "company create --name Acme --kind partner")
        .await
        .ok();
    let user = |who: &str| {
        format!(
            "user create --company Acme --email {who}@acme.test --name Pia --role member --password-stdin"
        )
    };
    run(d, &user("pia"), Some("twelve-chars\n")).await.ok();
    // Standard input, like a file, is content the service refuses: exit 1.
    let short = run(d, &user("bo"), Some("short\n")).await;
    short.fails(1, "at least 10 characters");
    // Nine characters: the newline must not count as a tenth.
    let nine = run(d, &user("cy"), Some("ninechars\n")).await;
    nine.fails(1, "at least 10 characters");
    cli(d, "api-key create --user cy@acme.test")
        .await
        .fails(1, "not found");
}

#[tokio::test]
pub(crate) async fn the_cli_acts_on_a_running_servers_database_at_once() {
    let t = TestApp::spawn().await;
    let d = t.data_dir();
    if crate::backend::Backend::default() == crate::backend::Backend::Sqlite {
        assert!(d.join("provisio.sqlite").is_file());
    }
    partner_with_member(&d).await;
    let out = cli(&d, "api-key create --user pia@acme.test").await;
    let key = out.ok().lines().last().unwrap_or_default().to_owned();
    assert!(is_api_key(&key), "{out}");

    let order = t
        .post("/api/v1/orders", &key, order_body())
        .await
        .ok(201)
        .clone();
    assert_eq!(order["partner"]["name"], "Acme");
    assert_eq!(order["placed_by"]["email"], "pia@acme.test");
    // And what the server stored, the CLI sees.
    let id = order["order_id"].as_str().unwrap();
    let shown = show_json(&d, id).await;
    assert_eq!(shown["order_id"], id);
    assert_eq!(line_refs(&shown), line_refs(&order));
}

pub(crate) fn order_json(web_order_id: &str, lines: Vec<Value>) -> Value {
    json!({"web_order_id": web_order_id, "end_customer": {"name": "Kund AB"}, "lines": lines})
}

#[tokio::test]
pub(crate) async fn order_show_prints_every_line_or_json_or_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let lines = vec![
        line("kim@kund.test", "2030-01-15"),
        line("lo@kund.test", "2030-02-01"),
    ];
    let order = order_json("S1", lines);
    import(d, "s1.json", &order.to_string(), "pia@acme.test")
        .await
        .ok();
    let shown = show_json(d, "S1").await;
    assert_eq!(shown["order_id"], "S1");
    let lines = shown["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);

    let out = cli(d, "order show S1").await;
    for l in lines {
        let sub = l["subscription_ref"]
            .as_str()
            .expect("a Sub ref")
            .to_owned();
        let mut rows = out.ok().lines();
        let row = rows.find(|r| sub_refs(r).contains(&sub));
        let row = row.unwrap_or_else(|| panic!("no line names {sub}: {out}"));
        for field in ["stage", "status"] {
            let value = l[field].as_str().unwrap();
            assert!(
                row.contains(value),
                "{sub}'s {field} {value} is missing: {row}"
            );
        }
    }
    cli(d, "order show NOPE42").await.fails(1, "not found");
    cli(d, "order show NOPE42 --json")
        .await
        .fails(1, "not found");
}
