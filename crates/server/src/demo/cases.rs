//! The demo's support cases, opened and worked through the real code as the replay goes:
//! one answered by support and waiting on the partner (the line whose mail server refused
//! the address), one that resolved itself when its line was onboarded, and one just opened
//! with a screenshot, unclaimed in the agents' queue.

use provisio_domain::SubRef;

use super::replay::Replay;
use crate::app::cases::{CaseInput, Upload};

/// A small screenshot: an empty mailbox (a 2×2 PNG stands for it).
const SCREENSHOT: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// `by` opens a case about `line`; returns its id.
pub(super) async fn open(
    r: &Replay,
    by: &str,
    line: &SubRef,
    request_type: &str,
    description: &str,
    with_screenshot: bool,
) -> anyhow::Result<String> {
    let actor = r.actor(by).await?;
    let input = CaseInput {
        request_type: Some(request_type.to_owned()),
        subscription_ref: Some(line.to_string()),
        order_id: None,
        description: description.to_owned(),
    };
    let files = if with_screenshot {
        vec![Upload {
            filename: "inbox-empty.png".into(),
            bytes: SCREENSHOT.to_vec(),
        }]
    } else {
        vec![]
    };
    let case = r.app.open_case(&actor, input, files).await?;
    Ok(case.id().to_string())
}

/// Support claims the case and answers it publicly.
pub(super) async fn claim_and_answer(
    r: &Replay,
    by: &str,
    case: &str,
    note: &str,
    answer: &str,
) -> anyhow::Result<()> {
    let actor = r.actor(by).await?;
    r.app.claim_case(&actor, case).await?;
    r.app.comment_case(&actor, case, note, true).await?;
    r.app.comment_case(&actor, case, answer, false).await?;
    Ok(())
}
