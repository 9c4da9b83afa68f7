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

/// `provisio --data-dir DIR`, isolated.
pub(crate) fn provisio(dir: &Path) -> Command {
    let mut cmd = isolated();
    cmd.arg("--data-dir").arg(dir);
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
    cli(d, eve).await.fails(2, "operator compan");
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
    let short = run(d, &user("bo"), Some("short\n")).await;
    short.fails(2, "at least 10 characters");
    // Nine characters: the newline must not count as a tenth.
    let nine = run(d, &user("cy"), Some("ninechars\n")).await;
    nine.fails(2, "at least 10 characters");
    cli(d, "api-key create --user cy@acme.test")
        .await
        .fails(1, "not found");
}

#[tokio::test]
pub(crate) async fn the_cli_acts_on_a_running_servers_database_at_once() {
    let t = TestApp::spawn().await;
    let d = t.data_dir();
    assert!(d.join("provisio.sqlite").is_file());
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
pub(crate) async fn import_json_one_order_or_an_array_each_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let (kim, lo) = (
        line("kim@kund.test", "2030-01-15"),
        line("lo@kund.test", "2030-02-01"),
    );
    let one = order_json("J1", vec![kim.clone(), lo]);
    let out = import(d, "one.json", &one.to_string(), "pia@acme.test").await;
    assert_eq!(out.code, 0, "{out}");
    let printed = sub_refs(report(&out, "J1"));
    assert_eq!(printed.len(), 2, "{out}");
    assert_eq!(
        printed,
        line_refs(&show_json(d, "J1").await),
        "stdout names the Sub refs"
    );

    let mut zero = kim.clone();
    zero["quantity"] = json!(0);
    let two = json!([
        order_json("J2", vec![kim.clone()]),
        order_json("J3", vec![kim, zero])
    ]);
    let out = import(d, "two.json", &two.to_string(), "pia@acme.test").await;
    assert_eq!(out.code, 1, "{out}");
    let good = report(&out, "J2");
    assert!(
        good.contains("created") && sub_refs(good).len() == 1,
        "{out}"
    );
    let failed = report(&out, "J3");
    assert!(
        failed.contains("FAILED") && failed.contains("quantity"),
        "{out}"
    );
    assert_eq!(line_refs(&show_json(d, "J2").await).len(), 1);
    cli(d, "order show J3").await.fails(1, "not found");
}

pub(crate) const CSV_HEADER: &str = "web_order_id,partner,end_customer,offer,quantity,requested_start_date,\
                          contact_email,contact_name,locale\n";

#[tokio::test]
pub(crate) async fn import_csv_groups_rows_by_web_order_id() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let csv = format!(
        "{CSV_HEADER}W1,Acme,Kund AB,A-FLEX,10,2030-01-15,kim@kund.test,Kim,sv\n\
         W2,Acme,Other AB,A-FLEX,3,2030-03-01,ola@other.test,,\n\
         W1,Acme,Kund AB,B-FIXED,2,2030-01-20,lo@kund.test,Lo,en\n"
    );
    let out = import(d, "orders.csv", &csv, "pia@acme.test").await;
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(sub_refs(report(&out, "W1")).len(), 2, "{out}");
    let w1 = show_json(d, "W1").await;
    assert_eq!(w1["lines"].as_array().unwrap().len(), 2, "{w1}");
    assert_eq!(w1["end_customer"]["name"], "Kund AB");
    assert_eq!(w1["partner"]["name"], "Acme");
    let w2 = show_json(d, "W2").await;
    assert_eq!(w2["lines"].as_array().unwrap().len(), 1, "{w2}");
    assert_eq!(w2["lines"][0]["quantity"], 3);

    // One bad row keeps its whole order out; other orders still go in.
    let csv = format!(
        "{CSV_HEADER}W3,Acme,Kund AB,A-FLEX,10,2030-01-15,kim@kund.test,Kim,sv\n\
         W3,Acme,Kund AB,A-FLEX,x,2030-01-15,lo@kund.test,Lo,sv\n\
         W4,Acme,Kund AB,A-FLEX,1,2030-01-15,kim@kund.test,Kim,sv\n"
    );
    let out = import(d, "bad.csv", &csv, "pia@acme.test").await;
    assert_eq!(out.code, 1, "{out}");
    assert!(report(&out, "W3").contains("FAILED"), "{out}");
    cli(d, "order show W3").await.fails(1, "not found");
    assert_eq!(line_refs(&show_json(d, "W4").await).len(), 1);
}

#[tokio::test]
pub(crate) async fn import_refuses_an_unknown_user_and_an_unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let one = order_json("J9", vec![line("kim@kund.test", "2030-01-15")]);
    let out = import(d, "one.json", &one.to_string(), "nobody@x.test").await;
    out.fails(2, "nobody@x.test");
    cli(d, "order show J9").await.fails(1, "not found");

    let missing = d.join("no-such-file.json");
    let args = format!("order import {} --as pia@acme.test", missing.display());
    cli(d, &args).await.fails(1, "no-such-file.json");
    let args = format!("order import {} --as pia@acme.test", d.display());
    let out = cli(d, &args).await;
    assert_eq!(out.code, 1, "a directory is not a readable file: {out}");
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
