//! SPEC §11 "Tenancy": in an order, another tenant's company or user answers exactly like an
//! unknown one — the same status, code and words, byte for byte — so a caller cannot tell
//! which of another tenant's ids exist, what kind of company they name, or how they are
//! linked.

use serde_json::{Value, json};

use crate::bad_input::{ORDERS, UNKNOWN_ID};
use crate::helpers::*;

/// The order `base` with `field` set to `value`.
fn naming(base: &Value, field: &str, value: &str) -> Value {
    let mut body = base.clone();
    body[field] = json!(value);
    body
}

/// Posts each body as `key` and checks that every answer is the first one, byte for byte:
/// 422 `invalid_request` on `field`, naming none of the values sent.
async fn same_answers(t: &TestApp, key: &str, field: &str, bodies: Vec<(&str, Value)>) {
    let mut first: Option<(u16, String)> = None;
    for (what, body) in bodies {
        let r = t.post(ORDERS, key, body.clone()).await;
        let p = r.problem(422, "invalid_request");
        assert_eq!(p["errors"][0]["path"], field, "{what}: {}", r.text);
        for sent in [
            &body["partner_id"],
            &body["distributor_id"],
            &body["placed_by"],
        ] {
            if let Some(sent) = sent.as_str() {
                assert!(!r.text.contains(sent), "{what}: names {sent}: {}", r.text);
            }
        }
        for name in ["Other", "Dist", "Olle"] {
            assert!(!r.text.contains(name), "{what}: names {name}: {}", r.text);
        }
        let answer = (r.status.as_u16(), r.text.clone());
        match &first {
            None => first = Some(answer),
            Some(f) => assert_eq!(&answer, f, "{what} answers unlike the first"),
        }
    }
    assert_eq!(t.order_count().await, 0, "nothing was placed");
}

#[tokio::test]
async fn a_partner_naming_another_tenants_company_is_answered_as_for_an_unknown_id() {
    let w = World::new().await;
    let t = &w.t;
    // Dist serves Acme; Lone serves nobody.
    let lone = t.company("Lone Distribution", "distributor").await;
    let base = order_body();
    same_answers(
        t,
        &w.pia,
        "partner_id",
        vec![
            ("unknown id", naming(&base, "partner_id", UNKNOWN_ID)),
            ("another partner", naming(&base, "partner_id", &w.other)),
            ("a distributor", naming(&base, "partner_id", &w.dist)),
            ("the operator", naming(&base, "partner_id", &w.operator)),
        ],
    )
    .await;
    same_answers(
        t,
        &w.pia,
        "distributor_id",
        vec![
            ("unknown id", naming(&base, "distributor_id", UNKNOWN_ID)),
            ("another partner", naming(&base, "distributor_id", &w.other)),
            (
                "a distributor not serving Acme",
                naming(&base, "distributor_id", &lone),
            ),
            ("the operator", naming(&base, "distributor_id", &w.operator)),
        ],
    )
    .await;
    // The partner is judged first, whatever the distributor field holds.
    let both = naming(
        &naming(&base, "partner_id", &w.other),
        "distributor_id",
        UNKNOWN_ID,
    );
    let unknown_both = naming(
        &naming(&base, "partner_id", UNKNOWN_ID),
        "distributor_id",
        &lone,
    );
    same_answers(
        t,
        &w.pia,
        "partner_id",
        vec![("another partner", both), ("unknown partner", unknown_both)],
    )
    .await;
    // The one that serves Acme is accepted.
    t.post(ORDERS, &w.pia, naming(&base, "distributor_id", &w.dist))
        .await
        .ok(201);
}

#[tokio::test]
async fn a_distributor_naming_a_partner_it_does_not_serve_is_answered_as_for_an_unknown_id() {
    let w = World::new().await;
    let t = &w.t;
    let lone = t.company("Lone Distribution", "distributor").await;
    let base = order_body();
    same_answers(
        t,
        &w.dana,
        "partner_id",
        vec![
            ("unknown id", naming(&base, "partner_id", UNKNOWN_ID)),
            (
                "a partner not served",
                naming(&base, "partner_id", &w.other),
            ),
            ("another distributor", naming(&base, "partner_id", &lone)),
        ],
    )
    .await;
    let for_acme = naming(&base, "partner_id", &w.acme);
    same_answers(
        t,
        &w.dana,
        "distributor_id",
        vec![
            (
                "unknown id",
                naming(&for_acme, "distributor_id", UNKNOWN_ID),
            ),
            (
                "another distributor",
                naming(&for_acme, "distributor_id", &lone),
            ),
            (
                "another partner",
                naming(&for_acme, "distributor_id", &w.other),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_user_of_another_company_as_ordering_contact_is_answered_as_an_unknown_user() {
    let w = World::new().await;
    let t = &w.t;
    let for_acme = naming(&order_body(), "partner_id", &w.acme);
    // An admin sees every company, yet the answer is the same words.
    same_answers(
        t,
        &t.admin,
        "placed_by",
        vec![
            (
                "unknown address",
                naming(&for_acme, "placed_by", "ghost@acme.test"),
            ),
            (
                "a user of another partner",
                naming(&for_acme, "placed_by", "olle@other.test"),
            ),
        ],
    )
    .await;
    // Acme's integration orders on behalf of Acme's users only.
    same_answers(
        t,
        &w.erp,
        "placed_by",
        vec![
            (
                "unknown address",
                naming(&order_body(), "placed_by", "ghost@acme.test"),
            ),
            (
                "a user of another partner",
                naming(&order_body(), "placed_by", "olle@other.test"),
            ),
        ],
    )
    .await;
    let mut cy = order_body();
    cy["placed_by"] = json!("cy@acme.test");
    t.post(ORDERS, &w.erp, cy).await.ok(201);
}
