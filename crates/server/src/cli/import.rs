//! `provisio order import FILE --as EMAIL`: JSON (one order or an array) or CSV. A file whose
//! shape is wrong (empty, no rows, not comma-separated, an unknown column, a row without its
//! web order id) is refused whole; otherwise each order is imported whole or not at all, each
//! reported in one line, and the command exits 1 if any failed.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use provisio_domain::FieldPath;
use provisio_domain::order::RawLine;

use super::import_csv::{self, FileProblem, Group};
use crate::api::dto::NewOrderBody;
use crate::api::extract::parse_json;
use crate::app::App;
use crate::app::orders::OrderInput;
use crate::cli::Failure;
use crate::error::AppError;
use crate::i18n;

/// How many problems of one failed order its report line names; the rest are counted.
const PROBLEMS_SHOWN: usize = 3;

/// One order read from the file, or why it could not be read.
struct Parsed {
    label: String,
    input: Result<OrderInput, String>,
    /// For a CSV order, the file's line of each order line, so problems name the file's lines.
    csv_lines: Option<Vec<u64>>,
}

/// The words of a refused order on one line: its first problems, each field named by `name`.
fn problem_text(e: &AppError, name: impl Fn(&FieldPath) -> String) -> String {
    let messages = e.messages(&name);
    let mut words: Vec<String> = messages
        .iter()
        .take(PROBLEMS_SHOWN)
        .map(|m| i18n::render(provisio_domain::Locale::En, m))
        .collect();
    if messages.len() > PROBLEMS_SHOWN {
        words.push(format!(
            "and {} more problems",
            messages.len() - PROBLEMS_SHOWN
        ));
    }
    words.join("; ")
}

fn parse_json_file(bytes: &[u8]) -> Result<Vec<Parsed>, Failure> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).context("the file is not valid JSON")?;
    let items = match value {
        serde_json::Value::Array(items) if items.is_empty() => {
            return Err(refused(FileProblem::NoOrders));
        }
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
                .map_err(|e| problem_text(&e, super::flag));
            Parsed {
                label,
                input,
                csv_lines: None,
            }
        })
        .collect())
}

async fn parse_csv_file(app: &App, bytes: &[u8]) -> Result<Vec<Parsed>, Failure> {
    let groups = import_csv::read(bytes).map_err(refused)?;
    let mut parsed = Vec::with_capacity(groups.len());
    for group in groups {
        let input = csv_order(app, &group).await;
        parsed.push(Parsed {
            label: group.web_order_id,
            input,
            csv_lines: Some(group.rows.iter().map(|r| r.line).collect()),
        });
    }
    Ok(parsed)
}

/// A field of a CSV order as the file names it: `lines[2].quantity` is `line 7 quantity`
/// when the order's third row is the file's line 7.
fn csv_field(csv_lines: &[u64], path: &FieldPath) -> String {
    let path = path.to_string();
    let Some((index, field)) = path
        .strip_prefix("lines[")
        .and_then(|rest| rest.split_once("]."))
    else {
        return import_csv::column_of(&path).to_owned();
    };
    match index.parse::<usize>().ok().and_then(|i| csv_lines.get(i)) {
        Some(line) => format!("line {line} {}", import_csv::column_of(field)),
        None => path.clone(),
    }
}

async fn csv_order(app: &App, group: &Group) -> Result<OrderInput, String> {
    let Some(first) = group.rows.first() else {
        return Err("no rows".to_owned());
    };
    for row in &group.rows {
        if row.get("partner") != first.get("partner")
            || row.get("end_customer") != first.get("end_customer")
        {
            return Err(format!(
                "line {}: partner and end_customer must be the same on every row of an order",
                row.line
            ));
        }
    }
    let partner_name = first.get("partner");
    let partner = app
        .find_company(partner_name, true)
        .await
        .map_err(|e| problem_text(&e, super::flag))?
        .ok_or_else(|| format!("no company '{partner_name}'"))?;
    let mut lines = Vec::with_capacity(group.rows.len());
    for row in &group.rows {
        let quantity = row.get("quantity").parse::<i64>().map_err(|_| {
            format!(
                "line {}: quantity '{}' is not a whole number",
                row.line,
                row.get("quantity")
            )
        })?;
        lines.push(RawLine {
            offer: row.get("offer").to_owned(),
            quantity,
            requested_start_date: row.get("requested_start_date").to_owned(),
            contact_email: row.get("contact_email").to_owned(),
            contact_name: row.optional("contact_name"),
            locale: row.optional("locale"),
        });
    }
    let mut input = OrderInput {
        partner_id: Some(partner.id.to_string()),
        ..Default::default()
    };
    input.order.web_order_id = Some(group.web_order_id.clone());
    input.order.end_customer_name = first.get("end_customer").to_owned();
    input.order.lines = lines;
    Ok(input)
}

/// A file refused whole: exit 1 (its content is wrong, not the command line).
fn refused(problem: FileProblem) -> Failure {
    Failure::new(1, anyhow::anyhow!("{problem}; nothing was imported"))
}

/// The one report line of an imported order: `W1: imported 1000 lines (Sub1 … Sub1000)`.
fn imported(web_order_id: &str, refs: &[&str]) -> String {
    let lines = match refs.len() {
        1 => "1 line".to_owned(),
        n => format!("{n} lines"),
    };
    let span = match refs {
        [] => String::new(),
        [one] => format!(" ({one})"),
        [first, .., last] => format!(" ({first} … {last})"),
    };
    format!("{web_order_id}: imported {lines}{span}")
}

pub async fn run(app: &App, file: &Path, as_user: &str) -> Result<(), Failure> {
    let actor = app.actor_by_email(as_user).await?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // A UTF-8 byte-order mark, as some spreadsheets write, is not part of the content.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let orders = match first {
        None => return Err(refused(FileProblem::Empty)),
        Some(b'{' | b'[') => parse_json_file(bytes)?,
        Some(_) => parse_csv_file(app, bytes).await?,
    };
    let progress = ProgressBar::new(orders.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} orders {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut created, mut failed) = (0usize, 0usize);
    for order in orders {
        let outcome = match order.input {
            Ok(input) => {
                app.create_order(&actor, input, None)
                    .await
                    .map_err(|e| match &order.csv_lines {
                        Some(lines) => problem_text(&e, |p| csv_field(lines, p)),
                        None => problem_text(&e, super::flag),
                    })
            }
            Err(e) => Err(e),
        };
        let report = match outcome {
            Ok(o) => {
                let o = o.into_inner();
                let refs: Vec<&str> = o.lines.iter().map(|l| l.sub_ref.as_str()).collect();
                created += 1;
                imported(o.web_order_id.as_ref(), &refs)
            }
            Err(why) => {
                failed += 1;
                format!("{}: FAILED, nothing imported: {why}", order.label)
            }
        };
        progress.suspend(|| println!("{report}"));
        progress.inc(1);
    }
    progress.finish_and_clear();
    if created > 0 {
        // The imported orders stay imported whatever this does; the next reads are planned
        // for them at once.
        if let Err(e) = app.refresh_statistics().await {
            eprintln!("warning: the database's statistics were not refreshed: {e}");
        }
    }
    println!("{created} order(s) imported, {failed} failed");
    if failed > 0 {
        return Err(Failure::new(
            1,
            anyhow::anyhow!("{failed} order(s) were not imported"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_reported_in_one_short_line() {
        assert_eq!(imported("W1", &["Sub1"]), "W1: imported 1 line (Sub1)");
        assert_eq!(
            imported("W2", &["Sub1", "Sub2", "Sub3"]),
            "W2: imported 3 lines (Sub1 … Sub3)"
        );
    }
}
