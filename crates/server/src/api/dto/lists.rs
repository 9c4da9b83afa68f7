//! The paged lists and what they carry: order summaries, companies (a distributor with its
//! partners), users, lines. Each list is `{"items": [...], "next_cursor"}`.

use std::collections::BTreeMap;

use provisio_store::OrderSummary;
use serde::Serialize;
use utoipa::ToSchema;

use super::{CompanyDto, LineDto, OrderHeadDto, UserDto};

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
pub struct LineList {
    pub items: Vec<LineDto>,
    pub next_cursor: Option<String>,
}
