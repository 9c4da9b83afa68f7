use super::*;
use crate::fixtures::{email, facts, t};
use crate::lifecycle::LineState;
use crate::mail::MailFact;
use crate::state::{EmailKind, EmailState, LineStatus};
use crate::values::ContactEmail;
use uuid::Uuid;

const NOW: &str = "2026-05-10T12:00:00Z";

fn sent_line() -> LineState {
    let mut s = facts().state;
    s.stage = Stage::AwaitingProvisioning;
    s.initial_queued = true;
    s.first_sent_at = Some(t("2026-05-04T06:00:00Z"));
    s.closes_at = Some(t("2026-05-20T00:00:00Z"));
    s
}

fn last(state: EmailState, to: &str) -> MailFact {
    MailFact {
        id: Uuid::from_u128(1),
        kind: EmailKind::Resend,
        to: email(to),
        state,
        queued_at: t("2026-05-10T11:00:00Z"),
        requested_by: None,
    }
}

const ROOM: ResendBudget = ResendBudget {
    used: 1,
    limit: 5,
    next_at: None,
};

fn reason(
    state: &LineState,
    last_email: Option<&MailFact>,
    budget: &ResendBudget,
) -> Option<Attention> {
    let contact: ContactEmail = email("kim@kund.test");
    let on_its_way = last_email.is_some_and(|m| m.state.on_its_way());
    attention(
        StepFacts {
            state,
            contact: &contact,
            last_email,
            mail_on_its_way: on_its_way,
        },
        budget,
        t(NOW),
    )
}

#[test]
fn a_line_running_its_window_needs_nobody() {
    assert_eq!(reason(&sent_line(), None, &ROOM), None);
    assert_eq!(
        reason(&facts().state, None, &ROOM),
        None,
        "the first send is due"
    );
}

#[test]
fn each_reason_and_its_urgency() {
    let used = ResendBudget {
        used: 5,
        limit: 5,
        next_at: Some(t("2026-05-10T12:30:00Z")),
    };
    let failed = last(EmailState::Failed, "kim@kund.test");
    let mut soon = sent_line();
    soon.closes_at = Some(t("2026-05-12T11:00:00Z"));
    let mut closed = sent_line();
    closed.status = LineStatus::Closed;
    let mut onboarded = sent_line();
    onboarded.stage = Stage::Onboarded;

    assert_eq!(
        reason(&sent_line(), None, &used),
        Some(Attention::ResendBudgetUsed)
    );
    assert_eq!(reason(&soon, None, &ROOM), Some(Attention::ClosingSoon));
    assert_eq!(reason(&soon, None, &used), Some(Attention::ClosingSoon));
    assert_eq!(
        reason(&closed, None, &used),
        Some(Attention::ClosedInProgress)
    );
    assert_eq!(
        reason(&closed, Some(&failed), &used),
        Some(Attention::LastEmailFailed)
    );
    assert_eq!(
        reason(&onboarded, None, &used),
        Some(Attention::OnboardedNotProvisioned)
    );
    // The order of ALL is the order of urgency.
    let mut sorted = Attention::ALL;
    sorted.sort();
    assert_eq!(sorted, Attention::ALL);
}

#[test]
fn a_reason_goes_away_by_itself() {
    let mut closed = sent_line();
    closed.status = LineStatus::Closed;
    // A resend on its way: delivery will act, nobody needs to.
    let queued = last(EmailState::Queued, "kim@kund.test");
    assert_eq!(reason(&closed, Some(&queued), &ROOM), None);
    // A failure to an address the line has left is not the line's.
    let old = last(EmailState::Failed, "old@kund.test");
    assert_eq!(reason(&sent_line(), Some(&old), &ROOM), None);
    // Provisioned and cancelled lines need nobody.
    for stage in [Stage::Provisioned, Stage::Cancelled] {
        let mut done = closed.clone();
        done.stage = stage;
        assert_eq!(reason(&done, None, &ROOM), None);
    }
}

#[test]
fn reasons_read_and_parse_as_the_api_names_them() {
    for a in Attention::ALL {
        assert_eq!(Attention::parse(a.as_str()), Ok(a));
    }
    let unknown = Attention::parse("closing").unwrap_err();
    assert!(
        unknown
            .allowed
            .starts_with("last_email_failed, closed_in_progress")
    );
}
