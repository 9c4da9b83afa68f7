use super::*;

fn with(f: impl FnOnce(&mut RawConfig)) -> anyhow::Result<Config> {
    let mut raw = RawConfig::default();
    f(&mut raw);
    Config::from_raw(raw, PathBuf::from("/tmp/x"))
}

#[test]
fn defaults_are_sensible() {
    let c = with(|_| {}).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(c.sender_addresses(), ["provisio@localhost"]);
    assert_eq!(c.body_limit_bytes, 2 * 1024 * 1024);
    assert!(c.admin_portal_url.is_none());
}

#[test]
fn bad_values_fail_fast_with_the_key() {
    for (f, key) in [
        (
            Box::new(|r: &mut RawConfig| r.listen = "nope".into()) as Box<dyn Fn(&mut RawConfig)>,
            "listen",
        ),
        (
            Box::new(|r: &mut RawConfig| r.time_zone = "Mars/Base".into()),
            "time_zone",
        ),
        (
            Box::new(|r: &mut RawConfig| r.smtp_url = Some("http://x".into())),
            "smtp_url",
        ),
        (
            Box::new(|r: &mut RawConfig| r.public_url = Some("ftp://x".into())),
            "public_url",
        ),
        (
            Box::new(|r: &mut RawConfig| r.mail_from = "not an address".into()),
            "mail_from",
        ),
        (
            Box::new(|r: &mut RawConfig| r.database_url = Some("mysql://x".into())),
            "DATABASE_URL",
        ),
        (
            Box::new(|r: &mut RawConfig| r.smtp_connections = 0),
            "smtp_connections",
        ),
        (
            Box::new(|r: &mut RawConfig| r.smtp_connections = 101),
            "smtp_connections",
        ),
        (
            Box::new(|r: &mut RawConfig| r.sends_in_flight = 0),
            "sends_in_flight",
        ),
        (
            Box::new(|r: &mut RawConfig| r.sends_in_flight = 1001),
            "sends_in_flight",
        ),
    ] {
        let err = format!("{:#}", with(f).unwrap_err());
        assert!(err.contains(key), "{err}");
    }
}

#[test]
fn the_file_in_the_data_directory_is_read_and_typos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let overrides = Overrides {
        data_dir: Some(dir.path().to_path_buf()),
        listen: None,
    };
    std::fs::write(
        dir.path().join(CONFIG_FILE),
        "time_zone = \"Europe/Stockholm\"\nresend_limit_per_hour = 3\n",
    )
    .unwrap();
    let c = Config::load(&overrides).unwrap();
    assert_eq!(
        (c.time_zone_name.as_str(), c.resend_limit_per_hour),
        ("Europe/Stockholm", 3)
    );
    let with_flag = Overrides {
        listen: Some("127.0.0.1:9999".into()),
        ..overrides.clone()
    };
    assert_eq!(
        Config::load(&with_flag).unwrap().listen.to_string(),
        "127.0.0.1:9999",
        "flags win"
    );
    std::fs::write(dir.path().join(CONFIG_FILE), "time_zon = \"UTC\"\n").unwrap();
    let err = format!("{:#}", Config::load(&overrides).unwrap_err());
    assert!(err.contains("time_zon"), "{err}");
}

#[test]
fn dkim_needs_a_readable_key_and_a_selector_and_defaults_to_the_senders_domain() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("dkim.key");
    std::fs::write(&key, "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n").unwrap();
    let key = key.display().to_string();
    let c = with(|r| {
        r.mail_from = "Provisioning <provisioning@sender.test>".into();
        r.dkim_key_file = Some(key.clone());
        r.dkim_selector = Some("mail2026".into());
    })
    .unwrap();
    let dkim = c.dkim.as_ref().unwrap();
    assert_eq!(dkim.dns_name(), "mail2026._domainkey.sender.test");
    assert!(format!("{c:?}").contains("mail2026._domainkey.sender.test"));
    let err = |f: &dyn Fn(&mut RawConfig)| format!("{:#}", with(f).unwrap_err());
    assert!(err(&|r| r.dkim_key_file = Some(key.clone())).contains("dkim_selector"));
    assert!(err(&|r| r.dkim_selector = Some("s".into())).contains("dkim_key_file"));
    let missing = err(&|r| {
        r.dkim_key_file = Some("/nonexistent/dkim.key".into());
        r.dkim_selector = Some("s".into());
    });
    assert!(
        missing.contains("cannot read /nonexistent/dkim.key"),
        "{missing}"
    );
}

#[test]
fn the_ehlo_name_is_configured_or_the_fqdn_or_the_senders_domain() {
    let c = with(|r| r.smtp_helo_name = Some("Mail.Provisio.Example".into())).unwrap();
    assert_eq!(c.smtp_helo_name, "mail.provisio.example");
    let c = with(|r| r.smtp_helo_name = Some("post.bücher.example".into())).unwrap();
    assert_eq!(c.smtp_helo_name, "post.xn--bcher-kva.example");
    for bad in ["[127.0.0.1]", "two words", "-x.example", "a..b"] {
        let e = with(|r| r.smtp_helo_name = Some(bad.into())).unwrap_err();
        assert!(format!("{e:#}").contains("smtp_helo_name"), "{bad}: {e:#}");
    }
    let from = Sender::parse("Provisio <noreply@sender.example>").unwrap();
    let default = |host| default_helo_name(host, &from);
    assert_eq!(default(Some("app1.dc.example")), "app1.dc.example");
    assert_eq!(
        default(Some("app1")),
        "sender.example",
        "not fully qualified"
    );
    assert_eq!(default(None), "sender.example", "no name");
    assert_eq!(default(Some("bad_name.example")), "sender.example");
}

#[test]
fn sender_with_display_name() {
    let s = Sender::parse("Provisioning <provisioning@sender.test>").unwrap();
    assert_eq!(s.name.as_deref(), Some("Provisioning"));
    assert_eq!(s.address, "provisioning@sender.test");
    assert_eq!(
        Sender::parse("provisio@localhost").unwrap().address,
        "provisio@localhost"
    );
    assert!(Sender::parse("a@b@c").is_err());
    assert!(Sender::parse("Name <>").is_err());
    assert_eq!(Sender::parse("a@b.test").unwrap().name, None);
}

#[test]
fn secrets_never_reach_debug_output() {
    let c = with(|r| {
        r.smtp_url = Some("smtp://user:hunter2@mail.test:587".into());
        r.database_url = Some("postgres://app:s3cret@db.test/provisio".into());
    })
    .unwrap();
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("s3cret"),
        "{shown}"
    );
    assert!(shown.contains("smtp://user:***@mail.test:587"), "{shown}");
}
