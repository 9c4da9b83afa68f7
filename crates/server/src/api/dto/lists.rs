//! The paged lists and what they carry: order summaries, companies (a distributor with its
//! partners), users, lines. Each list is `{"items": [...], "next_cursor"}`.

use std::collections::BTreeMap;

use provisio_store::OrderSummary;
use serde::Serialize;
use utoipa::ToSchema;

use super::{CompanyDto, LineDto, OrderHeadDto, UserDto};
use crate::app::line_list::AttentionList;

/// An order in a list: the order without its lines, with how many lines it has by stage and
/// by status (`GET /api/v1/orders/{order_id}` carries the lines).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummaryDto {
    #[serde(flatten)]
    pub head: OrderHeadDto,
    pub line_count: u32,
    /// Line counts by stage; stages without lines are left out.
    #[schema(value_type = BTreeMap<String, u32>)]
    pub lines_by_stage: BTreeMap<&'static str, u32>,
    /// Line counts by status; statuses without lines are left out.
    #[schema(value_type = BTreeMap<String, u32>)]
    pub lines_by_status: BTreeMap<&'static str, u32>,
}

impl From<&OrderSummary> for OrderSummaryDto {
    fn from(s: &OrderSummary) -> Self {
        Self {
            head: (&s.order).into(),
            line_count: s.line_count,
            lines_by_stage: s
                .lines_by_stage
                .iter()
                .map(|(k, n)| (k.as_str(), *n))
                .collect(),
            lines_by_status: s
                .lines_by_status
                .iter()
                .map(|(k, n)| (k.as_str(), *n))
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderSummaryDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyList {
    pub items: Vec<CompanyDto>,
    pub next_cursor: Option<String>,
}

/// A company; a distributor also with the partners it serves.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyDetailDto {
    #[serde(flatten)]
    pub company: CompanyDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partners: Option<Vec<CompanyDto>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineList<'a> {
    pub items: Vec<LineDto<'a>>,
    pub next_cursor: Option<String>,
}

/// The attention list (SPEC §11).
#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionDto<'a> {
    /// How many lines need a person for each reason (every reason, zeros included).
    #[schema(value_type = std::collections::BTreeMap<String, u64>)]
    pub counts: serde_json::Map<String, serde_json::Value>,
    /// Most urgent first.
    pub items: Vec<AttentionItemDto<'a>>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionItemDto<'a> {
    #[schema(example = "last_email_failed")]
    pub reason: String,
    /// The order's partner (agents and admins see every partner's lines).
    pub partner: CompanyDto,
    pub line: LineDto<'a>,
}

impl<'a> AttentionDto<'a> {
    pub fn new(list: &'a AttentionList) -> Self {
        Self {
            counts: list
                .counts
                .iter()
                .map(|(a, n)| (a.as_str().to_owned(), serde_json::Value::from(*n)))
                .collect(),
            items: list
                .page
                .items
                .iter()
                .map(|l| AttentionItemDto {
                    reason: l
                        .offered
                        .attention
                        .map(|a| a.as_str().to_owned())
                        .unwrap_or_default(),
                    partner: (&l.line.partner).into(),
                    line: LineDto::listed(&l.line, &l.offered),
                })
                .collect(),
            next_cursor: list.page.next.map(crate::http::extract::encode_cursor),
        }
    }
}
