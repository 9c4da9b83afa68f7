//! Lists of lines for real workloads (SPEC §11): filtered by stage, status, the attention
//! reason and "closing within N days", sorted by deadline or newest first; and the attention
//! list itself, each line under its most urgent reason with a count per reason.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use provisio_domain::attention::{Attention, Candidates};
use provisio_domain::search::Search;
use provisio_domain::{Actor, LineStatus, Scope, Stage};
use provisio_store::{LineContext, LineQuery, LineSort, Page, PageRequest};

use super::App;
use super::deadlines::current;
use super::offers::Offered;
use crate::error::{AppError, AppResult};
use crate::http::extract::parse_enum;

/// What a list of lines is narrowed to, as a query string gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFilter {
    pub q: Option<String>,
    /// Only lines whose provisioning is in progress (SPEC §9).
    pub incomplete_only: bool,
    pub stage: Option<Stage>,
    pub status: Option<LineStatus>,
    pub attention: Option<Attention>,
    pub closing_within_days: Option<u32>,
    pub sort: LineSort,
}

/// The most days "closing within" takes (a policy window is at most 3,650 days).
const MAX_DAYS: u32 = 3650;

impl LineFilter {
    /// Reads `stage`, `status`, `attention`, `closing_within_days`, `sort` and `q` (unknown
    /// or empty values: 422 on the parameter; empty: not filtered).
    pub fn from_query(params: &HashMap<String, String>) -> AppResult<Self> {
        let closing_within_days = match params.get("closing_within_days").map(String::as_str) {
            None | Some("") => None,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if n <= MAX_DAYS => Some(n),
                _ => {
                    return Err(AppError::invalid_value(
                        "closing_within_days",
                        "value-days",
                        vec![("value", raw.to_owned()), ("max", MAX_DAYS.to_string())],
                    ));
                }
            },
        };
        let sort = match params.get("sort").map(String::as_str) {
            None | Some("") | Some("newest") => LineSort::Newest,
            Some("deadline") => LineSort::Deadline,
            Some(other) => {
                return Err(AppError::invalid_value(
                    "sort",
                    "value-unknown-variant",
                    vec![
                        ("value", other.to_owned()),
                        ("what", "order".to_owned()),
                        ("allowed", "deadline, newest".to_owned()),
                    ],
                ));
            }
        };
        Ok(Self {
            q: params
                .get("q")
                .map(|q| q.trim().to_owned())
                .filter(|q| !q.is_empty()),
            incomplete_only: false,
            stage: parse_enum("stage", params.get("stage"), Stage::parse)?,
            status: parse_enum("status", params.get("status"), LineStatus::parse)?,
            attention: parse_enum("attention", params.get("attention"), Attention::parse)?,
            closing_within_days,
            sort,
        })
    }

    /// The filter as query parameters (for links that keep it), empty ones left out.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![];
        let mut push = |k, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                pairs.push((k, v));
            }
        };
        push("q", self.q.clone());
        push("stage", self.stage.map(|s| s.as_str().to_owned()));
        push("status", self.status.map(|s| s.as_str().to_owned()));
        push("attention", self.attention.map(|a| a.as_str().to_owned()));
        push(
            "closing_within_days",
            self.closing_within_days.map(|d| d.to_string()),
        );
        push(
            "sort",
            (self.sort == LineSort::Deadline).then(|| "deadline".to_owned()),
        );
        pairs
    }

    /// The instant "closing within N days" means at `now`.
    pub fn closing_by(&self, now: Timestamp) -> Option<Timestamp> {
        self.closing_within_days
            .map(|d| now + SignedDuration::from_hours(24 * i64::from(d)))
    }

    fn query(
        &self,
        actor: &Actor,
        now: Timestamp,
        page: PageRequest,
        candidates: bool,
    ) -> LineQuery {
        let stages = match (self.stage, self.incomplete_only) {
            (Some(s), _) => vec![s],
            (None, true) => Stage::ALL
                .iter()
                .copied()
                .filter(|s| s.provisioning_in_progress())
                .collect(),
            (None, false) => vec![],
        };
        LineQuery {
            q: self.q.as_deref().and_then(Search::parse),
            stages,
            status: self.status,
            closing_by: self.closing_by(now),
            attention: candidates.then(|| Candidates::at(now)),
            sort: self.sort,
            ..LineQuery::new(Scope::of(actor), page)
        }
    }
}

/// A line of a list with what it offers the person looking.
#[derive(Debug, Clone)]
pub struct Listed {
    pub line: LineContext,
    pub offered: Offered,
}

/// The attention list: how many lines need a person for each reason (every reason, zeros
/// included, most urgent first), and a page of them, most urgent first.
#[derive(Debug, Clone)]
pub struct AttentionList {
    pub counts: Vec<(Attention, usize)>,
    pub page: Page<Listed>,
}

/// Candidates read per store call while the attention list is gathered.
const BATCH: u32 = 200;

impl App {
    /// Lines the actor may see, narrowed by `filter`, with what each offers them.
    pub async fn list_lines(
        &self,
        actor: &Actor,
        filter: &LineFilter,
        page: PageRequest,
    ) -> AppResult<Page<Listed>> {
        if let Some(reason) = filter.attention {
            let found = self.attention(actor, filter, Some(reason), page).await?;
            return Ok(found.page);
        }
        let query = filter.query(actor, self.clock.now(), page, false);
        let read = self.store.list_lines(&query);
        let mut found = self
            .read_current(read, |f| f.items.iter_mut().map(|c| &mut c.line).collect())
            .await?;
        found.items.retain(|l| query.scope.admits(&l.parties()));
        let offers = self.list_offers(actor, &found.items).await?;
        Ok(Page {
            items: found
                .items
                .into_iter()
                .zip(offers)
                .map(|(line, offered)| Listed { line, offered })
                .collect(),
            next: found.next,
        })
    }

    /// The lines that need a person (SPEC §11), within `filter`, each under its most urgent
    /// reason; `only` one reason's. The cursor is a position in the list.
    pub async fn attention(
        &self,
        actor: &Actor,
        filter: &LineFilter,
        only: Option<Attention>,
        page: PageRequest,
    ) -> AppResult<AttentionList> {
        let now = self.clock.now();
        let policies = self.policies().await?;
        let mut filter = filter.clone();
        filter.sort = LineSort::Newest;
        let mut all = vec![];
        let mut after = None;
        loop {
            let query = filter.query(
                actor,
                now,
                PageRequest {
                    after,
                    limit: BATCH,
                },
                true,
            );
            let mut found = self.store.list_lines(&query).await?;
            found.items.retain(|l| query.scope.admits(&l.parties()));
            current(&policies, found.items.iter_mut().map(|c| &mut c.line));
            let offers = self.list_offers(actor, &found.items).await?;
            all.extend(
                found
                    .items
                    .into_iter()
                    .zip(offers)
                    .filter(|(_, o)| o.attention.is_some())
                    .map(|(line, offered)| Listed { line, offered }),
            );
            match found.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let counts = Attention::ALL
            .map(|a| {
                (
                    a,
                    all.iter()
                        .filter(|l| l.offered.attention == Some(a))
                        .count(),
                )
            })
            .to_vec();
        all.retain(|l| only.is_none() || l.offered.attention == only);
        all.sort_by_key(|l| {
            let s = &l.line.line.state;
            (
                l.offered.attention,
                s.closes_at.or(s.closed_at).unwrap_or(s.rsd_start),
                l.line.line.sub_ref.to_string(),
            )
        });
        let skip = usize::try_from(page.after.unwrap_or(0).max(0)).unwrap_or(usize::MAX);
        let total = all.len();
        let items: Vec<Listed> = all
            .into_iter()
            .skip(skip)
            .take(page.limit as usize)
            .collect();
        let shown = skip.saturating_add(items.len());
        let next = (shown < total).then(|| i64::try_from(shown).unwrap_or(i64::MAX));
        Ok(AttentionList {
            counts,
            page: Page { items, next },
        })
    }
}
