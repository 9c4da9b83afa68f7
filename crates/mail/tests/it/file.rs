use provisio_domain::{EmailKind, Locale};
use provisio_mail::{Fault, FileTransport, Transport};

use crate::{email, parse, render};

#[tokio::test]
async fn files_are_written_whole_under_sortable_names() {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("data/mail");
    let transport = FileTransport::new(&mail_dir);
    assert_eq!(
        transport.describe(),
        format!("files in {}", mail_dir.display())
    );

    let message = render(&email(Locale::Sv, EmailKind::Initial)).unwrap();
    let accepted = transport.send(&message).await.unwrap();

    let path = mail_dir.join("20250314T080005Z_0190f3a1-7c2e-7000-8000-000000000001@provisio.eml");
    assert_eq!(
        accepted.reply, "",
        "a file has no reply (its name is not one)"
    );
    let parsed = parse(&std::fs::read(&path).unwrap());
    assert_eq!(
        parsed.message_id(),
        Some("0190f3a1-7c2e-7000-8000-000000000001@provisio")
    );
    assert!(parsed.subject().unwrap().contains("Sub1000042"));
    let names: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left behind: {names:?}");

    // A second email sorts after the first.
    let mut later = email(Locale::En, EmailKind::Resend);
    later.envelope.date = "2025-03-15T10:00:00Z".parse().unwrap();
    later.envelope.message_id = "0190f3a1-0000-7000-8000-000000000002@provisio".to_owned();
    transport.send(&render(&later).unwrap()).await.unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&mail_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names[1].starts_with("20250315T100000Z_"), "{names:?}");
}

#[tokio::test]
async fn an_unwritable_directory_is_a_fault_of_the_transport() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let transport = FileTransport::new(blocker.join("mail"));
    let message = render(&email(Locale::En, EmailKind::Initial)).unwrap();
    let error = transport.send(&message).await.unwrap_err();
    assert_eq!(error.fault, Fault::Transport);
    assert!(
        error.reply.starts_with("could not write"),
        "{}",
        error.reply
    );
}
