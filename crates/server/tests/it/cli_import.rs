//! `provisio order import FILE --as EMAIL` (SPEC §9), run as the built binary: JSON or CSV,
//! each order whole or not at all and reported in one line; a file of the wrong shape is
//! refused whole with the line that is wrong, and exits 1.

use serde_json::json;

use crate::cli::*;
use crate::helpers::*;

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
        good.contains("imported 1 line") && sub_refs(good).len() == 1,
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
    // A well-formed address nobody has: the service refuses (1); not an address: usage (2).
    let out = import(d, "one.json", &one.to_string(), "nobody@x.test").await;
    out.fails(1, "nobody@x.test");
    let out = import(d, "one.json", &one.to_string(), "not-an-email").await;
    out.fails(2, "not-an-email");
    cli(d, "order show J9").await.fails(1, "not found");

    let missing = d.join("no-such-file.json");
    let args = format!("order import {} --as pia@acme.test", missing.display());
    cli(d, &args).await.fails(1, "no-such-file.json");
    let args = format!("order import {} --as pia@acme.test", d.display());
    let out = cli(d, &args).await;
    assert_eq!(out.code, 1, "a directory is not a readable file: {out}");
}

/// Imports `content` as pia@acme.test and asserts the whole file was refused: exit 1, the
/// words `says` on stderr, nothing imported (the orders named stay unknown).
async fn refused_whole(d: &std::path::Path, content: &str, says: &str, orders: &[&str]) {
    let out = import(d, "bad.csv", content, "pia@acme.test").await;
    out.fails(1, says);
    assert!(out.stderr.contains("nothing was imported"), "{out}");
    for id in orders {
        cli(d, &format!("order show {id}"))
            .await
            .fails(1, "not found");
    }
}

#[tokio::test]
async fn a_file_of_the_wrong_shape_is_refused_whole_with_the_line_that_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let row = |id: &str| format!("{id},Acme,Kund AB,A-FLEX,1,2030-01-15,kim@kund.test,Kim,sv\n");
    refused_whole(d, "", "the file is empty", &[]).await;
    refused_whole(d, " \n\n", "the file is empty", &[]).await;
    refused_whole(d, "[]", "no orders", &[]).await;
    refused_whole(d, CSV_HEADER, "the file has a header but no rows", &[]).await;
    let semicolons = format!("{CSV_HEADER}{}", row("W1")).replace(',', ";");
    refused_whole(
        d,
        &semicolons,
        "line 1: expected comma-separated columns web_order_id,partner,",
        &["W1"],
    )
    .await;
    let out = import(d, "semi.csv", &semicolons, "pia@acme.test").await;
    assert!(
        out.stderr.contains(
            "(found one column 'web_order_id;partner;end_custo…'; is the file separated by ';'?)"
        ),
        "{out}"
    );
    let extra = format!(
        "{}{}",
        CSV_HEADER.replace("locale\n", "locale,foo\n"),
        row("W2").replace('\n', ",bar\n")
    );
    refused_whole(d, &extra, "line 1: unknown column 'foo'", &["W2"]).await;
    let longer_row = format!(
        "{CSV_HEADER}{}{}",
        row("W3"),
        row("W3").replace('\n', ",x\n")
    );
    refused_whole(
        d,
        &longer_row,
        "line 3: 10 columns, but the header has 9",
        &["W3"],
    )
    .await;
    // A row without its order's id: the order it belongs to would be imported without it.
    let no_id = format!("{CSV_HEADER}{}{}{}", row("W4"), row(""), row("W5"));
    refused_whole(d, &no_id, "line 3: web_order_id is empty", &["W4", "W5"]).await;
    let missing = format!("{}{}", CSV_HEADER.replace("quantity,", ""), "W6,Acme\n");
    refused_whole(d, &missing, "line 1: missing column 'quantity'", &["W6"]).await;

    // The same rows, comma-separated, go in.
    let good = format!("{CSV_HEADER}{}{}", row("W4"), row("W5"));
    import(d, "good.csv", &good, "pia@acme.test").await.ok();
}

#[tokio::test]
async fn an_order_of_1000_lines_is_reported_in_one_short_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let mut csv = CSV_HEADER.to_owned();
    for i in 0..1000 {
        csv.push_str(&format!(
            "W1000,Acme,Kund AB,A-FLEX,1,2030-01-15,c{i}@kund.test,,\n"
        ));
    }
    let out = import(d, "big.csv", &csv, "pia@acme.test").await;
    let stdout = out.ok();
    let refs = line_refs(&show_json(d, "W1000").await);
    assert_eq!(refs.len(), 1000);
    let expect = format!("W1000: imported 1000 lines ({} … {})", refs[0], refs[999]);
    assert_eq!(report(&out, "W1000"), expect, "{out}");
    assert_eq!(sub_refs(stdout).len(), 2, "only the first and last: {out}");
    assert!(stdout.lines().count() <= 2, "{out}");

    // A failed order of many bad lines: one line too, naming its first problems by CSV line.
    let bad = csv
        .replace("W1000,", "W2000,")
        .replace(",1,2030", ",0,2030");
    let out = import(d, "bad.csv", &bad, "pia@acme.test").await;
    assert_eq!(out.code, 1, "{out}");
    let failed = report(&out, "W2000");
    assert!(
        failed.contains("FAILED, nothing imported")
            && failed.contains("line 2 quantity")
            && failed.contains("and 997 more problems"),
        "{out}"
    );
    assert!(failed.len() < 400, "one short line: {failed}");
}

#[tokio::test]
async fn many_orders_go_in_together_and_each_refused_one_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    partner_with_member(d).await;
    let taken = format!("{CSV_HEADER}T7,Acme,Kund AB,A-FLEX,1,2030-01-15,kim@kund.test,,\n");
    import(d, "taken.csv", &taken, "pia@acme.test").await.ok();

    // Twelve orders of 1,000 lines (more than one write holds), an id already taken and a
    // partner nobody has among them, and orders of one line after.
    let mut csv = CSV_HEADER.to_owned();
    let mut expect = Vec::new();
    for o in 1..=14 {
        let (id, partner, lines) = match o {
            5 => ("T7".to_owned(), "Acme", 3),
            9 => ("W9".to_owned(), "Nobody AB", 2),
            13 | 14 => (format!("W{o}"), "Acme", 1),
            _ => (format!("W{o}"), "Acme", 1000),
        };
        for i in 0..lines {
            csv.push_str(&format!(
                "{id},{partner},Kund AB,A-FLEX,1,2030-01-15,c{i}@o{o}.kund.test,,\n"
            ));
        }
        expect.push(id);
    }
    let out = import(d, "many.csv", &csv, "pia@acme.test").await;
    assert_eq!(out.code, 1, "two orders failed: {out}");
    let reported: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_once(':').map(|(id, _)| id))
        .filter(|id| id.starts_with('W') || id.starts_with('T'))
        .collect();
    assert_eq!(
        reported, expect,
        "each order reported once, in the file's order: {out}"
    );
    assert!(report(&out, "T7").contains("FAILED"), "{out}");
    assert!(
        report(&out, "W9").contains("no company 'Nobody AB'"),
        "{out}"
    );
    assert!(
        out.stdout.contains("12 order(s) imported, 2 failed"),
        "{out}"
    );
    let t7 = show_json(d, "T7").await;
    assert_eq!(line_refs(&t7).len(), 1, "the taken order kept its one line");

    let mut all_refs = std::collections::HashSet::new();
    for id in expect
        .iter()
        .filter(|id| !["T7", "W9"].contains(&id.as_str()))
    {
        let refs = line_refs(&show_json(d, id).await);
        let report = report(&out, id);
        assert!(
            report.contains(&refs[0]) && report.contains(&refs[refs.len() - 1]),
            "{report} names {id}'s first and last line"
        );
        assert!(
            refs.iter().all(|r| all_refs.insert(r.clone())),
            "{id}: unique references"
        );
    }
    assert_eq!(
        all_refs.len(),
        10 * 1000 + 2,
        "ten orders of 1,000 lines and two of one"
    );
}
