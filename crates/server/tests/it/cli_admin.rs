//! The operator's administration commands (issue 12): company and user lists, disable,
//! enable, the resend permission, API keys listed and revoked, on a running server's
//! database (they take effect at once).

use crate::cli::{cli, is_api_key, partner_with_member};
use crate::helpers::*;

#[tokio::test]
async fn companies_and_users_are_listed_and_users_changed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cli(d, "company list")
        .await
        .ok()
        .contains("no companies yet");
    partner_with_member(d).await;
    cli(d, "company create --name Dist --kind distributor")
        .await
        .ok();
    let companies = cli(d, "company list").await;
    let rows: Vec<&str> = companies.ok().lines().collect();
    assert!(
        rows[0].starts_with("NAME") && rows[0].contains("KIND"),
        "{companies}"
    );
    assert!(
        rows[1].starts_with("Dist") && rows[1].contains("distributor"),
        "newest first: {companies}"
    );
    assert!(
        rows[2].starts_with("Acme") && rows[2].contains("partner"),
        "{companies}"
    );

    let users = cli(d, "user list --company acme").await;
    let row = users.ok().lines().find(|l| l.contains("pia@acme.test"));
    let row = row.unwrap_or_else(|| panic!("{users}"));
    assert!(
        row.contains("Acme")
            && row.contains("member")
            && row.contains("no")
            && row.contains("active"),
        "{row}"
    );
    cli(d, "user list --company Dist")
        .await
        .ok()
        .contains("no users in Dist");
    cli(d, "user list --company Nope")
        .await
        .fails(1, "no company 'Nope'");

    let up = cli(d, "user update pia@acme.test --can-resend true").await;
    assert!(up.ok().contains("may resend"), "{up}");
    let users = cli(d, "user list").await;
    let row = users
        .ok()
        .lines()
        .find(|l| l.contains("pia@acme.test"))
        .unwrap();
    assert!(row.contains("yes"), "{row}");
    cli(d, "user update pia@acme.test --can-resend maybe")
        .await
        .fails(2, "maybe");
    cli(d, "user update pia@acme.test")
        .await
        .fails(2, "--can-resend");

    let off = cli(d, "user disable pia@acme.test").await;
    assert!(
        off.ok().contains("disabled user Pia <pia@acme.test>"),
        "{off}"
    );
    let users = cli(d, "user list").await;
    assert!(
        users
            .ok()
            .lines()
            .any(|l| l.contains("pia@acme.test") && l.ends_with("disabled")),
        "{users}"
    );
    let on = cli(d, "user enable pia@acme.test").await;
    assert!(on.ok().contains("enabled user Pia"), "{on}");
    cli(d, "user disable nobody@acme.test")
        .await
        .fails(1, "user not found");
    cli(d, "user disable not-an-address")
        .await
        .fails(2, "not-an-address");
}

#[tokio::test]
async fn keys_are_listed_and_revoked_and_a_disabled_users_key_is_refused_by_the_server() {
    let t = TestApp::spawn().await;
    let d = t.data_dir();
    partner_with_member(&d).await;
    cli(&d, "api-key list --user pia@acme.test")
        .await
        .ok()
        .contains("has no API keys");
    let mut keys = Vec::new();
    for _ in 0..2 {
        let out = cli(&d, "api-key create --user pia@acme.test").await;
        let key = out.ok().lines().last().unwrap_or_default().to_owned();
        assert!(is_api_key(&key), "{out}");
        keys.push(key);
    }
    assert_eq!(t.get("/api/v1/orders", &keys[0]).await.status, 200);
    let listed = t
        .until("the first key's use in the list", || async {
            let out = cli(&d, "api-key list --user pia@acme.test").await;
            let text = out.ok().to_owned();
            let used = text.lines().filter(|l| l.contains(" never ")).count() == 1;
            used.then_some(text)
        })
        .await;
    let rows: Vec<&str> = listed.lines().collect();
    assert!(
        rows[1].contains("CREATED") && rows[1].contains("LAST USED") && rows[1].contains("REVOKED"),
        "{listed}"
    );
    assert_eq!(rows.len(), 4, "{listed}");
    assert!(!listed.contains("pvk_"), "never the key: {listed}");
    // The oldest (last row) was used; the newest never.
    assert!(rows[2].contains(" never "), "{listed}");
    let first_id = rows[3].split_whitespace().next().unwrap();

    let out = cli(&d, &format!("api-key revoke {first_id}")).await;
    assert!(
        out.ok().contains(&format!("revoked API key {first_id}")),
        "{out}"
    );
    t.get("/api/v1/orders", &keys[0])
        .await
        .problem(401, "unauthenticated");
    assert_eq!(t.get("/api/v1/orders", &keys[1]).await.status, 200);
    let listed = cli(&d, "api-key list --user pia@acme.test").await;
    let row = listed
        .ok()
        .lines()
        .find(|l| l.starts_with(first_id))
        .unwrap();
    assert!(!row.trim_end().ends_with('-'), "a revocation time: {row}");
    cli(&d, "api-key revoke not-a-key")
        .await
        .fails(1, "API key not found");

    cli(&d, "user disable pia@acme.test").await.ok();
    t.get("/api/v1/orders", &keys[1])
        .await
        .problem(401, "unauthenticated");
    cli(&d, "user enable pia@acme.test").await.ok();
    assert_eq!(t.get("/api/v1/orders", &keys[1]).await.status, 200);
}
