//! `provisio order import FILE --as EMAIL`: JSON (one order or an array) or CSV. Each order is
//! imported whole or not at all; the command reports every order and exits 1 if any failed.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use provisio_domain::order::RawLine;
use serde::Deserialize;

use crate::api::dto::NewOrderBody;
use crate::api::extract::parse_json;
use crate::app::App;
use crate::app::orders::OrderInput;
use crate::cli::Failure;
use crate::error::AppError;

/// One order read from the file, or why it could not be read.
struct Parsed {
    label: String,
    input: Result<OrderInput, String>,
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    web_order_id: String,
    partner: String,
    end_customer: String,
    offer: String,
    quantity: String,
    requested_start_date: String,
    contact_email: String,
    #[serde(default)]
    contact_name: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

fn problem_text(e: &AppError) -> String {
    crate::cli::text(e)
}

fn parse_json_file(bytes: &[u8]) -> anyhow::Result<Vec<Parsed>> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).context("the file is not valid JSON")?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let label = item
                .get("web_order_id")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("order #{}", i + 1));
            let input = parse_json::<NewOrderBody>(item.to_string().as_bytes())
                .map(|(body, _)| OrderInput::from(body))
                .map_err(|e| problem_text(&e));
            Parsed { label, input }
        })
        .collect())
}

async fn parse_csv_file(app: &App, bytes: &[u8]) -> anyhow::Result<Vec<Parsed>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut groups: Vec<(String, Vec<(usize, CsvRow)>)> = Vec::new();
    for (i, row) in reader.deserialize::<CsvRow>().enumerate() {
        let line_no = i + 2; // the header is line 1
        let row = row.with_context(|| format!("CSV line {line_no} cannot be read"))?;
        match groups.iter_mut().find(|(id, _)| *id == row.web_order_id) {
            Some((_, rows)) => rows.push((line_no, row)),
            None => groups.push((row.web_order_id.clone(), vec![(line_no, row)])),
        }
    }
    let mut parsed = Vec::with_capacity(groups.len());
    for (web_order_id, rows) in groups {
        let input = csv_order(app, &web_order_id, &rows).await;
        parsed.push(Parsed {
            label: web_order_id,
            input,
        });
    }
    Ok(parsed)
}

async fn csv_order(
    app: &App,
    web_order_id: &str,
    rows: &[(usize, CsvRow)],
) -> Result<OrderInput, String> {
    let (_, first) = &rows[0];
    for (line_no, row) in rows {
        if row.partner != first.partner || row.end_customer != first.end_customer {
            return Err(format!(
                "CSV line {line_no}: partner and end_customer must be the same on every row of an order"
            ));
        }
    }
    let partner = app
        .find_company(&first.partner, true)
        .await
        .map_err(|e| problem_text(&e))?
        .ok_or_else(|| format!("no company '{}'", first.partner))?;
    let mut lines = Vec::with_capacity(rows.len());
    for (line_no, row) in rows {
        let quantity = row.quantity.parse::<i64>().map_err(|_| {
            format!(
                "CSV line {line_no}: quantity '{}' is not a whole number",
                row.quantity
            )
        })?;
        lines.push(RawLine {
            offer: row.offer.clone(),
            quantity,
            requested_start_date: row.requested_start_date.clone(),
            contact_email: row.contact_email.clone(),
            contact_name: row.contact_name.clone().filter(|n| !n.is_empty()),
            locale: row.locale.clone().filter(|l| !l.is_empty()),
        });
    }
    let mut input = OrderInput {
        partner_id: Some(partner.id.to_string()),
        ..Default::default()
    };
    input.order.web_order_id = Some(web_order_id.to_owned()).filter(|id| !id.is_empty());
    input.order.end_customer_name = first.end_customer.clone();
    input.order.lines = lines;
    Ok(input)
}

pub async fn run(app: &App, file: &Path, as_user: &str) -> Result<(), Failure> {
    let actor = app.actor_by_email(as_user).await?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let is_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    let orders = if is_json {
        parse_json_file(&bytes)?
    } else {
        parse_csv_file(app, &bytes).await?
    };
    let progress = ProgressBar::new(orders.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} orders {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut created, mut failed) = (0usize, 0usize);
    for order in orders {
        let outcome = match order.input {
            Ok(input) => app
                .create_order(&actor, input, None)
                .await
                .map_err(|e| problem_text(&e)),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(o) => {
                let o = o.into_inner();
                let refs: Vec<&str> = o.lines.iter().map(|l| l.sub_ref.as_str()).collect();
                progress.suspend(|| {
                    println!(
                        "{}: created, {} line(s): {}",
                        o.web_order_id,
                        refs.len(),
                        refs.join(", ")
                    )
                });
                created += 1;
            }
            Err(why) => {
                progress.suspend(|| println!("{}: FAILED, nothing imported: {why}", order.label));
                failed += 1;
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!("{created} order(s) imported, {failed} failed");
    if failed > 0 {
        return Err(Failure::new(
            1,
            anyhow::anyhow!("{failed} order(s) were not imported"),
        ));
    }
    Ok(())
}
