//! What a backend's own search tests share: the terms every way of reading a search is asked
//! for, on the lines of the orders chapter, and the lists' keys to compare.

use crate::{LineContext, OrderSummary, Page};

/// The terms a search test asks for: those of the orders chapter (whole and partial, any
/// case), wildcards and punctuation taken literally, letters outside ASCII, a term no line
/// holds, and each of `refs` (the chapter's lines' references).
pub fn search_needles(refs: &[String]) -> Vec<String> {
    let mut needles: Vec<String> = [
        "w12",
        "kim@KUND",
        "kund ab",
        "KUND AB",
        "ab",
        "%",
        "_",
        "[k]und",
        "example",
        "sub",
        "@kund.example",
        "a\\b",
        "ÅÄÖ",
        "nobody@nowhere",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    needles.extend(refs.iter().cloned());
    needles
}

/// The references of a page of lines, in its order.
pub fn refs_of(page: &Page<LineContext>) -> Vec<String> {
    page.items
        .iter()
        .map(|l| l.line.sub_ref.to_string())
        .collect()
}

/// The web order ids of a page of orders, in its order.
pub fn order_ids_of(page: &Page<OrderSummary>) -> Vec<String> {
    page.items
        .iter()
        .map(|o| o.order.web_order_id.to_string())
        .collect()
}
