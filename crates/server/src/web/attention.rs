//! `/` once signed in: what needs attention (SPEC §11). The lines that will not move on by
//! themselves, grouped by reason, most urgent first, with a count per reason and each line's
//! own actions; `?reason=` shows one reason's lines, in pages.

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use provisio_domain::attention::Attention;

use super::orders::page_links;
use super::page::{Chrome, html, or_error_page};
use super::rows::{Row, name_partners, row};
use super::session::SignedIn;
use crate::app::App;
use crate::app::line_list::{LineFilter, Listed};
use crate::app::workspace::LineView;
use crate::error::AppResult;
use crate::http::extract::{page_request, parse_enum};
use crate::i18n::{attention_label, attention_todo};

/// One reason with how many lines it holds, and its link.
struct Count {
    code: &'static str,
    label: String,
    count: usize,
    href: String,
    current: bool,
}

/// The lines of one reason on this page.
struct Group {
    code: &'static str,
    heading: String,
    todo: String,
    rows: Vec<Row>,
    /// "Show all N" when the page shows only some of them.
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "attention.html")]
struct AttentionPage {
    c: Chrome,
    counts: Vec<Count>,
    groups: Vec<Group>,
    filtered: bool,
    total: usize,
    show_select: bool,
    show_order: bool,
    columns: usize,
    back: String,
    admin_portal: Option<String>,
    next_page: Option<String>,
    first_page: bool,
    first_href: String,
}

/// Lines shown per reason on the whole list, and per page of one reason.
const PER_GROUP: usize = 10;
const PAGE: &str = "25";

pub async fn page(app: App, s: SignedIn, query: HashMap<String, String>) -> Response {
    let locale = s.visitor.locale;
    or_error_page(locale, attention_page(app, s, query).await)
}

async fn attention_page(
    app: App,
    s: SignedIn,
    query: HashMap<String, String>,
) -> AppResult<Response> {
    let only = parse_enum("reason", query.get("reason"), Attention::parse)?;
    let cursor = query.get("cursor").map(String::as_str);
    let limit = match only {
        Some(_) => PAGE.to_owned(),
        None => (PER_GROUP * Attention::ALL.len()).to_string(),
    };
    let request = page_request(Some(&limit), cursor)?;
    let first_page = request.after.is_none();
    let found = app
        .attention(&s.actor, &LineFilter::default(), only, request)
        .await?;
    let reason = only.map(|a| a.as_str()).unwrap_or_default();
    let filters = [("reason", reason)];
    let (next_page, first_href) = match only {
        Some(_) => page_links("/", &filters, found.page.next),
        None => (None, "/".to_owned()),
    };
    let notes = s.visitor.take_notes().await?;
    let c = Chrome::new(&s.visitor, "attention", &first_href, &notes);
    let now = app.clock.now();
    let policies = app.policies().await?;
    let mut by_reason: HashMap<Attention, Vec<Listed>> = HashMap::new();
    for listed in found.page.items {
        if let Some(a) = listed.offered.attention {
            by_reason.entry(a).or_default().push(listed);
        }
    }
    let mut groups = vec![];
    for (a, count) in &found.counts {
        let Some(lines) = by_reason.remove(a) else {
            continue;
        };
        let mut rows = Vec::with_capacity(lines.len());
        let shown = if only.is_some() {
            lines.len()
        } else {
            PER_GROUP
        };
        for listed in lines.into_iter().take(shown) {
            let view = LineView::listed(listed.line, listed.offered, &policies, now);
            rows.push(row(&app, &c, &view, &notes, now));
        }
        name_partners(&s.actor, &mut rows);
        let more = (only.is_none() && *count > rows.len())
            .then(|| c.t_with("web-attention-show-all", &[("count", &count.to_string())]));
        groups.push(Group {
            code: a.as_str(),
            heading: c.t_with(
                "web-attention-heading",
                &[
                    ("reason", &attention_label(c.locale, *a)),
                    ("count", &count.to_string()),
                ],
            ),
            todo: attention_todo(c.locale, *a),
            rows,
            more,
        });
    }
    let counts = found
        .counts
        .iter()
        .map(|(a, n)| Count {
            code: a.as_str(),
            label: attention_label(c.locale, *a),
            count: *n,
            href: format!("/?reason={}", a.as_str()),
            current: only == Some(*a),
        })
        .collect();
    let total = found.counts.iter().map(|(_, n)| n).sum();
    let title = c.t("web-attention-title");
    let page = AttentionPage {
        c: c.titled(title),
        counts,
        groups,
        filtered: only.is_some(),
        total,
        show_select: false,
        show_order: true,
        columns: 7,
        back: first_href.clone(),
        admin_portal: app.admin_portal(),
        next_page,
        first_page,
        first_href,
    };
    Ok(html(StatusCode::OK, &page, s.visitor.locale))
}
