use super::*;
use crate::fixtures::{RSD, ada, email, facts, pia, t};
use crate::mail::MailFact;
use crate::state::{EmailKind, EmailState, Role, Stage};
use jiff::SignedDuration;

const NOW: &str = "2026-05-04T09:00:00Z";

fn offered(f: &LineFacts, actor: &Actor) -> LineActions {
    line_actions(f, actor, ResendLimit { per_hour: 2 }, t(NOW))
}

fn resend_by(actor: &Actor, minutes_ago: i64) -> MailFact {
    MailFact {
        id: Uuid::from_u128(minutes_ago as u128 + 1),
        kind: EmailKind::Resend,
        to: email("kim@kund.test"),
        state: EmailState::Sent,
        queued_at: t(NOW) - SignedDuration::from_mins(minutes_ago),
        requested_by: Some(actor.user_id),
    }
}

#[test]
fn the_ordering_contact_may_do_everything_before_the_point_of_no_return() {
    let a = offered(&facts(), &pia());
    assert!(a.resend.allowed() && a.change_contact.allowed() && a.cancel.allowed());
    assert_eq!((a.resend.reason(), a.resend.until), (None, None));
}

#[test]
fn a_colleague_without_the_grant_is_told_whom_to_ask() {
    let mut colleague = pia();
    colleague.user_id = crate::ids::UserId::from_uuid(Uuid::from_u128(99));
    let a = offered(&facts(), &colleague);
    for offer in [&a.resend, &a.change_contact, &a.cancel] {
        assert_eq!(offer.reason(), Some("permission_denied"));
        assert!(matches!(
            offer.refusal,
            Some(Refusal::PermissionDenied { ordering_contact: Some(ref c), .. }) if c.name == "Pia"
        ));
    }
    colleague.can_resend = true;
    let a = offered(&facts(), &colleague);
    assert!(a.resend.allowed() && a.change_contact.allowed());
    assert_eq!(
        a.cancel.reason(),
        Some("permission_denied"),
        "R9: the granted may not cancel"
    );
}

#[test]
fn a_used_up_limit_says_until_when() {
    let mut f = facts();
    f.mail = vec![resend_by(&pia(), 50), resend_by(&ada(), 10)];
    let a = offered(&f, &pia());
    assert_eq!(a.resend.reason(), Some("resend_rate_limited"));
    // The oldest resend leaves the hour in 10 minutes.
    assert_eq!(a.resend.until, Some(t("2026-05-04T09:10:00Z")));
    assert!(a.change_contact.allowed(), "the limit counts resends only");
    // An hour later it is allowed again.
    let later = line_actions(
        &f,
        &pia(),
        ResendLimit { per_hour: 2 },
        t("2026-05-04T09:11:00Z"),
    );
    assert!(later.resend.allowed());
}

#[test]
fn past_the_point_of_no_return_and_cancelled_lines_refuse_in_their_own_words() {
    let mut f = facts();
    f.state.stage = Stage::Onboarded;
    let a = offered(&f, &ada());
    for offer in [&a.resend, &a.change_contact, &a.cancel] {
        assert_eq!(offer.reason(), Some("past_point_of_no_return"));
        assert_eq!(offer.until, None);
    }
    f.state.stage = Stage::Cancelled;
    let a = offered(&f, &ada());
    assert_eq!(a.resend.reason(), Some("line_cancelled"));
    assert_eq!(a.change_contact.reason(), Some("line_cancelled"));
    assert_eq!(a.cancel.reason(), Some("invalid_transition"));
}

#[test]
fn a_support_agent_may_resend_but_not_cancel() {
    let mut sam = ada();
    sam.role = Role::SupportAgent;
    let mut f = facts();
    f.state.rsd_start = t(RSD);
    let a = offered(&f, &sam);
    assert!(a.resend.allowed() && a.change_contact.allowed());
    assert_eq!(a.cancel.reason(), Some("permission_denied"));
}
