//! Reading an `order import` CSV file (SPEC §9): the header names the columns
//! `web_order_id,partner,end_customer,offer,quantity,requested_start_date,contact_email,
//! contact_name,locale` (the last two may be left out), rows with the same `web_order_id` form
//! one order. The file's shape is checked whole before anything is imported: a file with no
//! rows, another separator, a column we do not know or a row without its order's id is
//! refused with the line that is wrong, since importing the rest could place an order without
//! some of its lines.

use std::collections::HashMap;

/// The columns, in the order SPEC §9 lists them.
pub const COLUMNS: [&str; 9] = [
    "web_order_id",
    "partner",
    "end_customer",
    "offer",
    "quantity",
    "requested_start_date",
    "contact_email",
    "contact_name",
    "locale",
];

/// The columns a file may leave out: their values are optional.
const OPTIONAL: [&str; 2] = ["contact_name", "locale"];

/// Separators people's spreadsheets use instead of the comma.
const OTHER_SEPARATORS: [char; 3] = [';', '\t', '|'];

/// Why the file as a whole cannot be imported; nothing of it is.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileProblem {
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header but no rows")]
    NoRows,
    #[error("the file holds an empty list: no orders")]
    NoOrders,
    #[error(
        "line 1: expected comma-separated columns {} (found one column '{found}'; is the file separated by '{separator}'?)",
        COLUMNS.join(",")
    )]
    OtherSeparator { found: String, separator: String },
    #[error("line 1: unknown column '{column}' (the columns are {})", COLUMNS.join(","))]
    UnknownColumn { column: String },
    #[error("line 1: column '{column}' appears twice")]
    DuplicateColumn { column: String },
    #[error("line 1: missing column '{column}' (the columns are {})", COLUMNS.join(","))]
    MissingColumn { column: &'static str },
    #[error("line {line}: web_order_id is empty (each row names the order it belongs to)")]
    NoWebOrderId { line: u64 },
    #[error("line {line}: {found} columns, but the header has {expected}")]
    ColumnCount {
        line: u64,
        found: usize,
        expected: usize,
    },
    #[error("line {line}: {reason}")]
    Unreadable { line: u64, reason: String },
}

/// One row: its line in the file and its values.
#[derive(Debug, Clone)]
pub struct Row<'f> {
    pub line: u64,
    record: csv::StringRecord,
    columns: &'f [&'static str],
}

impl Row<'_> {
    /// The value of a column (empty when the file has no such column).
    pub fn get(&self, column: &str) -> &str {
        let at = self.columns.iter().position(|c| *c == column);
        at.and_then(|i| self.record.get(i)).unwrap_or("")
    }

    /// An optional value: absent when empty.
    pub fn optional(&self, column: &str) -> Option<String> {
        Some(self.get(column).to_owned()).filter(|v| !v.is_empty())
    }
}

/// The rows of one order, in file order: where each is in the file (its values are read
/// again when the order is imported, so a file of millions of lines is not held in memory
/// twice over).
#[derive(Debug)]
pub struct Group {
    pub web_order_id: String,
    /// The partner its first row names.
    pub partner: String,
    rows: Vec<csv::Position>,
}

/// A CSV file checked whole: its columns and its orders.
pub struct CsvOrders<'f> {
    bytes: &'f [u8],
    columns: Vec<&'static str>,
    pub groups: Vec<Group>,
}

fn reader<R: std::io::Read>(from: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        // Read again a row at a time: a small buffer, refilled after each jump.
        .buffer_capacity(1024)
        .from_reader(from)
}

/// The file's orders, or the one problem that keeps the whole file out.
pub fn read(bytes: &[u8]) -> Result<CsvOrders<'_>, FileProblem> {
    let mut reader = reader(bytes);
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(FileProblem::Empty),
        Some(r) => r.map_err(|e| unreadable(&e, 1))?,
    };
    let columns = header_columns(&header)?;
    let column = |name| columns.iter().position(|c| *c == name);
    let (id_at, partner_at) = (column("web_order_id"), column("partner"));
    let mut groups: Vec<Group> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for record in records {
        let record = record.map_err(|e| unreadable(&e, 0))?;
        let position = record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        let line = position.line();
        if record.len() != columns.len() {
            return Err(FileProblem::ColumnCount {
                line,
                found: record.len(),
                expected: columns.len(),
            });
        }
        let field = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("");
        let id = field(id_at);
        if id.is_empty() {
            return Err(FileProblem::NoWebOrderId { line });
        }
        match by_id.get(id) {
            Some(&i) => groups[i].rows.push(position),
            None => {
                by_id.insert(id.to_owned(), groups.len());
                groups.push(Group {
                    web_order_id: id.to_owned(),
                    partner: field(partner_at).to_owned(),
                    rows: vec![position],
                });
            }
        }
    }
    if groups.is_empty() {
        return Err(FileProblem::NoRows);
    }
    Ok(CsvOrders {
        bytes,
        columns,
        groups,
    })
}

impl CsvOrders<'_> {
    /// The rows of `group`, read again from the file.
    pub fn rows(&self, group: &Group) -> Result<Vec<Row<'_>>, FileProblem> {
        let mut reader = reader(std::io::Cursor::new(self.bytes));
        let mut rows = Vec::with_capacity(group.rows.len());
        // Where the row read last ended: a group's rows usually follow each other.
        let mut next = None;
        for at in &group.rows {
            if next != Some(at.byte()) {
                reader
                    .seek(at.clone())
                    .map_err(|e| unreadable(&e, at.line()))?;
            }
            let mut record = csv::StringRecord::new();
            reader
                .read_record(&mut record)
                .map_err(|e| unreadable(&e, at.line()))?;
            next = Some(reader.position().byte());
            rows.push(Row {
                line: at.line(),
                record,
                columns: &self.columns,
            });
        }
        Ok(rows)
    }
}

/// The header's columns, each one we know, none twice, none required missing.
fn header_columns(header: &csv::StringRecord) -> Result<Vec<&'static str>, FileProblem> {
    if header.len() == 1 {
        let only = &header[0];
        if let Some(sep) = OTHER_SEPARATORS.iter().find(|s| only.contains(**s)) {
            return Err(FileProblem::OtherSeparator {
                found: shortened(only),
                separator: sep.escape_default().to_string(),
            });
        }
    }
    let mut columns = Vec::with_capacity(header.len());
    for name in header {
        let known = COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name));
        let Some(&column) = known else {
            return Err(FileProblem::UnknownColumn {
                column: shortened(name),
            });
        };
        if columns.contains(&column) {
            return Err(FileProblem::DuplicateColumn {
                column: column.to_owned(),
            });
        }
        columns.push(column);
    }
    let missing = COLUMNS
        .iter()
        .find(|c| !OPTIONAL.contains(c) && !columns.contains(c));
    match missing {
        Some(column) => Err(FileProblem::MissingColumn { column }),
        None => Ok(columns),
    }
}

fn unreadable(e: &csv::Error, fallback_line: u64) -> FileProblem {
    let line = e.position().map_or(fallback_line, csv::Position::line);
    let reason = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_owned(),
        _ => e.to_string(),
    };
    FileProblem::Unreadable { line, reason }
}

/// A value as the operator can recognize it in a message: at most 30 characters.
fn shortened(value: &str) -> String {
    const MAX: usize = 30;
    match value.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// The CSV column an order's field came from, for messages about a row (`lines[2].quantity`
/// is the `quantity` of the order's third row).
pub fn column_of(field: &str) -> &str {
    match field {
        "provisioning_contact.email" => "contact_email",
        "provisioning_contact.name" => "contact_name",
        "end_customer.name" => "end_customer",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "web_order_id,partner,end_customer,offer,quantity,requested_start_date,contact_email,contact_name,locale\n";

    fn problem(text: &str) -> FileProblem {
        match read(text.as_bytes()) {
            Ok(_) => panic!("the file is refused"),
            Err(p) => p,
        }
    }

    #[test]
    fn rows_group_by_web_order_id_with_their_lines() {
        let text = format!(
            "{HEADER}W1,Acme,Kund AB,A-FLEX,1,2030-01-01,a@k.test,,\n\n\
             W2,Acme,Kund AB,A-FLEX,1,2030-01-01,b@k.test,B,sv\n\
             W1,Acme,Kund AB,A-FLEX,2,2030-01-01,c@k.test,C,en\n"
        );
        let file = read(text.as_bytes()).unwrap();
        let ids: Vec<_> = file
            .groups
            .iter()
            .map(|g| g.web_order_id.as_str())
            .collect();
        assert_eq!(ids, ["W1", "W2"]);
        let w1 = file.rows(&file.groups[0]).unwrap();
        let lines: Vec<_> = w1.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 5], "blank lines count in the numbering");
        assert_eq!(w1[1].get("quantity"), "2");
        assert_eq!(w1[1].get("contact_email"), "c@k.test");
        assert_eq!(w1[0].optional("contact_name"), None);
        let w2 = file.rows(&file.groups[1]).unwrap();
        assert_eq!(
            (
                w2.len(),
                w2[0].get("contact_name"),
                file.groups[1].partner.as_str()
            ),
            (1, "B", "Acme")
        );
    }

    #[test]
    fn quoted_values_read_back_whole_when_an_order_is_read_again() {
        let text = format!(
            "{HEADER}W1,Acme,\"Kund, AB\",A-FLEX,1,2030-01-01,a@k.test,\"Kim\nBo\",sv\n\
             W2,Acme,Kund AB,A-FLEX,1,2030-01-01,b@k.test,,\n\
             W1,Acme,\"Kund, AB\",A-FLEX,3,2030-01-01,\" c@k.test \",\"Lo \"\"L\"\"\",en\n"
        );
        let file = read(text.as_bytes()).unwrap();
        let w1 = file.rows(&file.groups[0]).unwrap();
        let got: Vec<_> = w1
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.get("end_customer"),
                    r.get("contact_email"),
                    r.get("contact_name"),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2, "Kund, AB", "a@k.test", "Kim\nBo"),
                (5, "Kund, AB", "c@k.test", "Lo \"L\"")
            ]
        );
    }

    #[test]
    fn optional_columns_may_be_left_out_and_columns_come_in_any_order() {
        let text = "offer,web_order_id,partner,end_customer,quantity,requested_start_date,contact_email\n\
                    A-FLEX,W1,Acme,Kund AB,1,2030-01-01,a@k.test\n";
        let file = read(text.as_bytes()).unwrap();
        let rows = file.rows(&file.groups[0]).unwrap();
        assert_eq!(rows[0].get("offer"), "A-FLEX");
        assert_eq!(rows[0].get("contact_email"), "a@k.test");
        assert_eq!(rows[0].optional("locale"), None);
    }

    #[test]
    fn each_bad_shape_names_its_line() {
        assert_eq!(problem(""), FileProblem::Empty);
        assert_eq!(problem(HEADER), FileProblem::NoRows);
        let semi = HEADER.replace(',', ";");
        let p = problem(&format!("{semi}W1;Acme\n"));
        assert!(
            p.to_string().starts_with(
                "line 1: expected comma-separated columns web_order_id,partner,end_customer,"
            ) && p.to_string().ends_with(
                "(found one column 'web_order_id;partner;end_custo…'; is the file separated by ';'?)"
            ),
            "{p}"
        );
        let tab = problem(&HEADER.replace(',', "\t"));
        assert!(tab.to_string().contains("separated by '\\t'"), "{tab}");
        let extra = HEADER.replace("locale", "locale,foo");
        assert_eq!(
            problem(&extra),
            FileProblem::UnknownColumn {
                column: "foo".into()
            },
            "an extra column is an error, not ignored"
        );
        assert!(
            problem(&extra)
                .to_string()
                .starts_with("line 1: unknown column 'foo'")
        );
        let twice = HEADER.replace("locale", "offer");
        assert_eq!(
            problem(&twice),
            FileProblem::DuplicateColumn {
                column: "offer".into()
            }
        );
        let missing = HEADER.replace("quantity,", "");
        assert_eq!(
            problem(&missing),
            FileProblem::MissingColumn { column: "quantity" }
        );
        let no_id = format!(
            "{HEADER}W1,Acme,Kund AB,A-FLEX,1,2030-01-01,a@k.test,,\n\
             ,Acme,Kund AB,A-FLEX,1,2030-01-01,b@k.test,,\n"
        );
        let p = problem(&no_id);
        assert_eq!(p, FileProblem::NoWebOrderId { line: 3 });
        assert!(
            p.to_string().starts_with("line 3: web_order_id is empty"),
            "{p}"
        );
        let long = format!("{HEADER}W1,Acme,Kund AB,A-FLEX,1,2030-01-01,a@k.test,,,x\n");
        assert_eq!(
            problem(&long),
            FileProblem::ColumnCount {
                line: 2,
                found: 10,
                expected: 9
            }
        );
    }

    #[test]
    fn a_field_names_its_csv_column() {
        assert_eq!(column_of("provisioning_contact.email"), "contact_email");
        assert_eq!(column_of("quantity"), "quantity");
    }
}
