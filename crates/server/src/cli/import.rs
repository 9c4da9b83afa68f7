//! `provisio order import FILE --as EMAIL`: JSON (one order or an array) or CSV. A file whose
//! shape is wrong (empty, no rows, not comma-separated, an unknown column, a row without its
//! web order id) is refused whole; otherwise each order is imported whole or not at all, each
//! reported in one line, and the command exits 1 if any failed.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use provisio_domain::order::RawLine;
use provisio_domain::{Actor, FieldPath};
use provisio_store::ImportedOrder;

use super::import_csv::{self, CsvOrders, FileProblem, Group, Row};
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

/// A CSV file's orders with the partners they name, each looked up once: its id, or why it
/// cannot be named.
struct CsvFile<'f> {
    orders: CsvOrders<'f>,
    partners: HashMap<String, Result<String, String>>,
}

async fn parse_csv_file<'f>(app: &App, bytes: &'f [u8]) -> Result<CsvFile<'f>, Failure> {
    let orders = import_csv::read(bytes).map_err(refused)?;
    let mut partners: HashMap<String, Result<String, String>> = HashMap::new();
    for group in &orders.groups {
        let name = group.partner.as_str();
        if !partners.contains_key(name) {
            let partner = app
                .find_company(name, true)
                .await
                .map_err(|e| problem_text(&e, super::flag))
                .and_then(|c| c.ok_or_else(|| format!("no company '{name}'")))
                .map(|c| c.id.to_string());
            partners.insert(name.to_owned(), partner);
        }
    }
    Ok(CsvFile { orders, partners })
}

impl CsvFile<'_> {
    /// An order of the file, its rows read from it now.
    fn order(&self, group: &Group) -> Parsed {
        let rows = self.orders.rows(group);
        let csv_lines = rows
            .as_ref()
            .map(|rows| rows.iter().map(|r| r.line).collect())
            .ok();
        let input = rows
            .map_err(|p| p.to_string())
            .and_then(|rows| csv_order(&self.partners, group, &rows));
        Parsed {
            label: group.web_order_id.clone(),
            input,
            csv_lines,
        }
    }
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

fn csv_order(
    partners: &HashMap<String, Result<String, String>>,
    group: &Group,
    rows: &[Row<'_>],
) -> Result<OrderInput, String> {
    let Some(first) = rows.first() else {
        return Err("no rows".to_owned());
    };
    for row in rows {
        if row.get("partner") != first.get("partner")
            || row.get("end_customer") != first.get("end_customer")
        {
            return Err(format!(
                "line {}: partner and end_customer must be the same on every row of an order",
                row.line
            ));
        }
    }
    let partner = partners
        .get(first.get("partner"))
        .cloned()
        .unwrap_or_else(|| Err(format!("no company '{}'", first.get("partner"))))?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
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
        partner_id: Some(partner),
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
fn imported(o: &ImportedOrder) -> String {
    let (id, first, last) = (&o.web_order_id, &o.first_ref, &o.last_ref);
    match o.lines {
        1 => format!("{id}: imported 1 line ({first})"),
        n => format!("{id}: imported {n} lines ({first} … {last})"),
    }
}

/// About how many lines one write of the import holds: many orders to one commit, since a
/// commit rewrites every page its lines touched (the indexes by contact and the search
/// index's pages most); small enough that a server on the same database waits for it only
/// briefly. An order is never split.
const BATCH_LINES: usize = 10_000;

/// How many batches are written at once, reported in the file's order all the same. On
/// PostgreSQL two database backends then share the work, which one of them did alone with
/// the other core idle (200,000 lines as two imports side by side: 8.9 -> 5.7–6.8 s); on
/// SQLite the one writer takes them in turn while the next is checked.
const IN_FLIGHT: usize = 2;

/// The next orders of the file to write together: at least one, then as many as keep the
/// batch within [`BATCH_LINES`] (an order that cannot be read counts as none).
fn next_batch(orders: &mut std::iter::Peekable<impl Iterator<Item = Parsed>>) -> Vec<Parsed> {
    let mut batch = Vec::new();
    let mut lines = 0;
    while let Some(next) = orders.peek() {
        let size = next.input.as_ref().map_or(0, |i| i.order.lines.len());
        if !batch.is_empty() && lines + size > BATCH_LINES {
            break;
        }
        lines += size;
        batch.extend(orders.next());
    }
    batch
}

/// What an order is reported with when no answer came for it (a bug: the app answers each
/// order it is given).
fn unanswered() -> AppError {
    AppError::Internal(anyhow::anyhow!("no answer for the order"))
}

/// Writes the readable orders of `inputs` together; when that write fails as a whole (none
/// of them written), each again on its own, so that only an order that cannot be written
/// fails.
async fn write_batch(
    app: &App,
    actor: &Actor,
    inputs: &[OrderInput],
) -> Vec<Result<ImportedOrder, AppError>> {
    match app.import_orders(actor, inputs).await {
        Ok(results) => results,
        Err(_) if inputs.len() > 1 => {
            let mut results = Vec::with_capacity(inputs.len());
            for input in inputs {
                results.push(
                    match app.import_orders(actor, std::slice::from_ref(input)).await {
                        Ok(mut one) => one.pop().unwrap_or_else(|| Err(unanswered())),
                        Err(e) => Err(e),
                    },
                );
            }
            results
        }
        Err(e) => vec![Err(e)],
    }
}

/// What became of each order of a batch, in the file's order: imported, or why not in the
/// words of its report line.
async fn write_parsed(
    app: &App,
    actor: &Actor,
    batch: Vec<Parsed>,
) -> Vec<(String, Result<ImportedOrder, String>)> {
    let mut inputs = Vec::with_capacity(batch.len());
    let mut readable = Vec::with_capacity(batch.len());
    for order in batch {
        match order.input {
            Ok(input) => {
                inputs.push(input);
                readable.push((order.label, order.csv_lines, None));
            }
            Err(why) => readable.push((order.label, order.csv_lines, Some(why))),
        }
    }
    let mut written = write_batch(app, actor, &inputs).await.into_iter();
    readable
        .into_iter()
        .map(|(label, csv_lines, unreadable)| {
            let outcome = match unreadable {
                Some(why) => Err(why),
                None => written
                    .next()
                    .unwrap_or_else(|| Err(unanswered()))
                    .map_err(|e| match &csv_lines {
                        Some(lines) => problem_text(&e, |p| csv_field(lines, p)),
                        None => problem_text(&e, super::flag),
                    }),
            };
            (label, outcome)
        })
        .collect()
}

pub async fn run(app: &App, file: &Path, as_user: &str) -> Result<(), Failure> {
    let actor = app.actor_by_email(as_user).await?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // A UTF-8 byte-order mark, as some spreadsheets write, is not part of the content.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    // A CSV file's orders are read from it one batch at a time.
    let csv;
    let (count, orders): (usize, Box<dyn Iterator<Item = Parsed> + '_>) = match first {
        None => return Err(refused(FileProblem::Empty)),
        Some(b'{' | b'[') => {
            let orders = parse_json_file(bytes)?;
            (orders.len(), Box::new(orders.into_iter()))
        }
        Some(_) => {
            csv = parse_csv_file(app, bytes).await?;
            let groups = &csv.orders.groups;
            (groups.len(), Box::new(groups.iter().map(|g| csv.order(g))))
        }
    };
    let progress = ProgressBar::new(count as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} orders {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut created, mut failed) = (0usize, 0usize);
    let mut orders = orders.peekable();
    let batches = std::iter::from_fn(|| orders.peek().is_some().then(|| next_batch(&mut orders)));
    let mut written = futures::stream::iter(batches.map(|batch| write_parsed(app, &actor, batch)))
        .buffered(IN_FLIGHT);
    while let Some(outcomes) = written.next().await {
        let mut reports = String::new();
        for (label, outcome) in outcomes {
            match outcome {
                Ok(o) => {
                    created += 1;
                    reports.push_str(&imported(&o));
                }
                Err(why) => {
                    failed += 1;
                    reports.push_str(&format!("{label}: FAILED, nothing imported: {why}"));
                }
            }
            reports.push('\n');
            progress.inc(1);
        }
        progress.suspend(|| print!("{reports}"));
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
    use provisio_domain::{SubRef, WebOrderId};

    #[test]
    fn an_order_is_reported_in_one_short_line() {
        let order = |id: &str, lines: usize, first: u64, last: u64| ImportedOrder {
            web_order_id: WebOrderId::parse(id).unwrap(),
            lines,
            first_ref: SubRef::from_number(first),
            last_ref: SubRef::from_number(last),
        };
        assert_eq!(
            imported(&order("W1", 1, 1, 1)),
            "W1: imported 1 line (Sub1)"
        );
        assert_eq!(
            imported(&order("W2", 3, 1, 3)),
            "W2: imported 3 lines (Sub1 … Sub3)"
        );
    }
}
