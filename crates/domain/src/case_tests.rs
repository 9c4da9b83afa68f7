//! The rules of support cases, as an opener and an agent meet them.

use jiff::SignedDuration;
use uuid::Uuid;

use crate::case::*;
use crate::decide::{self, Asker, Decision, Reporter, ResendAsk};
use crate::event::Event;
use crate::fixtures::{ada, email, facts, pia, t};
use crate::ids::{CaseId, CompanyId, UserId};
use crate::mail::{MailId, MintMail, Recipient};
use crate::organization::Organization;
use crate::permission::Actor;
use crate::rate_limit::ResendLimit;
use crate::refusal::Refusal;
use crate::state::{CaseRequestType, CaseState, CompanyKind, EmailKind, Role};
use crate::values::{Locale, SubRef, WebOrderId};

fn ids() -> impl MintMail {
    let mut n = 500u128;
    move || {
        n += 1;
        MailId {
            id: Uuid::from_u128(n),
            message_id: format!("{n}@test"),
        }
    }
}

/// Sam, a support agent of the operator.
fn sam() -> Actor {
    Actor {
        user_id: UserId::from_uuid(Uuid::from_u128(3)),
        name: "Sam".into(),
        email: "sam@operator.test".into(),
        role: Role::SupportAgent,
        company_id: CompanyId::from_uuid(Uuid::from_u128(20)),
        company_kind: CompanyKind::Operator,
        can_resend: false,
    }
}

/// Pia's colleague at the partner.
fn pelle() -> Actor {
    Actor {
        user_id: UserId::from_uuid(Uuid::from_u128(4)),
        name: "Pelle".into(),
        email: "pelle@partner.test".into(),
        ..pia()
    }
}

fn opener() -> Opener {
    let pia = pia();
    Opener {
        user: pia.user_id,
        company: pia.company_id,
        to: Recipient {
            email: email("pia@partner.test"),
            name: Some("Pia".into()),
            locale: Locale::Sv,
        },
    }
}

fn agents() -> Recipient {
    Recipient {
        email: email("support@operator.test"),
        name: None,
        locale: Locale::En,
    }
}

fn sub() -> SubRef {
    SubRef::parse("Sub1000001").unwrap()
}

fn opening() -> Opening {
    Opening {
        id: CaseId::from_uuid(Uuid::from_u128(77)),
        request_type: CaseRequestType::ResendProvisioningEmail,
        order: WebOrderId::parse("W-1").unwrap(),
        line: Some(sub()),
        description: CaseText::parse("Kim never got the email").unwrap(),
        by_support: false,
    }
}

fn case_in(state: CaseState) -> CaseFacts {
    CaseFacts {
        id: CaseId::from_uuid(Uuid::from_u128(77)),
        state,
        request_type: CaseRequestType::ResendProvisioningEmail,
        opener: opener(),
        claimed_by: None,
        first_answer_at: None,
        line: Some(sub()),
        version: 3,
        open_beside: None,
    }
}

fn text(s: &str) -> CaseText {
    CaseText::parse(s).unwrap()
}

const NOW: &str = "2026-05-04T10:00:00Z";

#[test]
fn opening_tells_the_agents_and_writes_the_event() {
    let opened = open(
        &opening(),
        opener(),
        &OpeningFacts::default(),
        Some(&agents()),
        t(NOW),
        &mut ids(),
    )
    .unwrap();
    assert_eq!(opened.case.state, CaseState::Open);
    assert_eq!(opened.effects.queue.len(), 1);
    let mail = &opened.effects.queue[0];
    assert_eq!(mail.kind, EmailKind::CaseOpened);
    assert_eq!(mail.to.email.as_str(), "support@operator.test");
    assert_eq!(mail.case.map(|c| c.case), Some(opened.case.id));
    assert!(matches!(
        opened.effects.events.as_slice(),
        [Event::CaseOpened { .. }]
    ));
    // Without an agents' address nobody is mailed, the case opens all the same.
    let quiet = open(
        &opening(),
        opener(),
        &OpeningFacts::default(),
        None,
        t(NOW),
        &mut ids(),
    )
    .unwrap();
    assert!(quiet.effects.queue.is_empty());
}

#[test]
fn a_second_open_case_for_the_line_and_request_answers_with_the_first() {
    let first = CaseId::from_uuid(Uuid::from_u128(5));
    let facts = OpeningFacts {
        open_for_line: vec![(first, pia().company_id)],
        ..OpeningFacts::default()
    };
    let refused = open(&opening(), opener(), &facts, None, t(NOW), &mut ids());
    assert_eq!(refused, Err(Refusal::CaseExists { case_id: first }));
    // Another company's open case is not this company's to be answered with; support, who
    // see every case, are.
    let distributors = OpeningFacts {
        open_for_line: vec![(first, CompanyId::from_uuid(Uuid::from_u128(30)))],
        ..OpeningFacts::default()
    };
    assert!(
        open(
            &opening(),
            opener(),
            &distributors,
            None,
            t(NOW),
            &mut ids()
        )
        .is_ok()
    );
    let by_support = Opening {
        by_support: true,
        ..opening()
    };
    assert_eq!(
        open(
            &by_support,
            opener(),
            &distributors,
            None,
            t(NOW),
            &mut ids()
        ),
        Err(Refusal::CaseExists { case_id: first })
    );
    assert_eq!(
        Refusal::CaseExists { case_id: first }.code(),
        "already_exists"
    );
}

#[test]
fn ten_cases_an_hour_then_the_wait_until_the_oldest_leaves_the_hour() {
    let now = t(NOW);
    let nine: Vec<_> = (1..=9)
        .map(|m| now - SignedDuration::from_mins(m * 5))
        .collect();
    let facts = OpeningFacts {
        opened_recently: nine.clone(),
        ..OpeningFacts::default()
    };
    assert!(open(&opening(), opener(), &facts, None, now, &mut ids()).is_ok());
    let mut ten = nine;
    ten.push(now - SignedDuration::from_mins(50));
    let facts = OpeningFacts {
        opened_recently: ten,
        ..OpeningFacts::default()
    };
    let refused = open(&opening(), opener(), &facts, None, now, &mut ids()).unwrap_err();
    // The oldest of the ten was 50 minutes ago: ten minutes to wait.
    assert_eq!(
        refused,
        Refusal::CaseRateLimited {
            limit: CASES_PER_HOUR,
            retry_after_secs: 600
        }
    );
    assert_eq!(refused.code(), "rate_limited");
    // Openings older than the hour do not count.
    let old = OpeningFacts {
        opened_recently: vec![now - SignedDuration::from_mins(61); 20],
        ..OpeningFacts::default()
    };
    assert!(open(&opening(), opener(), &old, None, now, &mut ids()).is_ok());
}

#[test]
fn an_agents_public_answer_waits_on_the_opener_and_tells_them() {
    let e = comment(
        &case_in(CaseState::Open),
        &sam(),
        text("Resent it, please check spam"),
        false,
        t(NOW),
        &mut ids(),
    )
    .unwrap();
    let write = e.write.clone().unwrap();
    assert_eq!(write.state, CaseState::Waiting);
    assert_eq!(write.first_answer_at, Some(t(NOW)));
    assert_eq!(e.version, 3, "written over the version read");
    let mail = &e.queue[0];
    assert_eq!(mail.kind, EmailKind::CaseAnswered);
    assert_eq!(mail.to.email.as_str(), "pia@partner.test");
    assert_eq!(
        mail.case.and_then(|c| c.comment),
        e.comment.as_ref().map(|c| c.id),
        "the notice reports this answer"
    );
    // A later answer keeps the first answer's time.
    let mut answered = case_in(CaseState::Open);
    answered.first_answer_at = Some(t("2026-05-04T09:00:00Z"));
    let later = comment(&answered, &sam(), text("Again"), false, t(NOW), &mut ids()).unwrap();
    assert_eq!(
        later.write.unwrap().first_answer_at,
        Some(t("2026-05-04T09:00:00Z"))
    );
}

#[test]
fn an_internal_note_is_for_support_moves_nothing_and_tells_nobody() {
    let e = comment(
        &case_in(CaseState::Open),
        &sam(),
        text("MX of kund.test greylists"),
        true,
        t(NOW),
        &mut ids(),
    )
    .unwrap();
    assert!(e.write.is_none());
    assert!(e.queue.is_empty());
    assert!(e.comment.unwrap().internal);
    let refused = comment(
        &case_in(CaseState::Open),
        &pia(),
        text("psst"),
        true,
        t(NOW),
        &mut ids(),
    );
    assert!(matches!(refused, Err(Refusal::PermissionDenied { .. })));
}

#[test]
fn the_openers_side_reopens_a_waiting_or_resolved_case_without_mail() {
    for state in [CaseState::Waiting, CaseState::Resolved] {
        for who in [pia(), pelle()] {
            let e = comment(
                &case_in(state),
                &who,
                text("Still nothing"),
                false,
                t(NOW),
                &mut ids(),
            )
            .unwrap();
            assert_eq!(e.write.unwrap().state, CaseState::Open, "{state}");
            assert!(e.queue.is_empty(), "never mailed for their side's comment");
            assert!(
                e.events
                    .iter()
                    .any(|ev| matches!(ev, Event::CaseReopened { .. }))
            );
        }
    }
    let open_case = comment(
        &case_in(CaseState::Open),
        &pia(),
        text("More detail"),
        false,
        t(NOW),
        &mut ids(),
    )
    .unwrap();
    assert!(open_case.write.is_none(), "an open case stays open");
}

#[test]
fn claims_are_supports_and_a_second_claim_by_the_same_agent_changes_nothing() {
    let e = claim(&case_in(CaseState::Open), &sam()).unwrap();
    assert_eq!(e.write.unwrap().claimed_by, Some(sam().user_id));
    let mut mine = case_in(CaseState::Open);
    mine.claimed_by = Some(sam().user_id);
    assert!(claim(&mine, &sam()).unwrap().is_empty());
    assert!(claim(&case_in(CaseState::Open), &pia()).is_err());
    assert!(claim(&mine, &ada()).is_ok(), "an admin may take it over");
}

#[test]
fn resolving_tells_the_opener_unless_they_did_it() {
    let by_agent = resolve(&case_in(CaseState::Waiting), &sam(), t(NOW), &mut ids());
    let write = by_agent.write.clone().unwrap();
    assert_eq!(write.state, CaseState::Resolved);
    assert_eq!(write.resolved_at, Some(t(NOW)));
    assert_eq!(by_agent.queue[0].kind, EmailKind::CaseResolved);
    let by_opener = resolve(&case_in(CaseState::Open), &pia(), t(NOW), &mut ids());
    assert!(by_opener.queue.is_empty());
    assert!(resolve(&case_in(CaseState::Resolved), &sam(), t(NOW), &mut ids()).is_empty());
}

#[test]
fn onboarding_the_line_resolves_its_open_cases_and_tells_each_opener() {
    let mut f = facts();
    f.cases = vec![case_in(CaseState::Open), case_in(CaseState::Waiting)];
    let org = Organization {
        id: "org-1".into(),
        name: "Kund AB".into(),
    };
    let Decision::Apply(e) = decide::onboard(&f, Reporter::User(&ada()), &org, t(NOW), &mut ids())
    else {
        panic!("onboarding applies")
    };
    assert_eq!(e.cases.len(), 2);
    for c in &e.cases {
        assert_eq!(c.write.as_ref().unwrap().state, CaseState::Resolved);
        let note = &c.comment.as_ref().unwrap().note;
        assert_eq!(
            *note,
            Note::Onboarded {
                organization: "Kund AB".into()
            }
        );
        assert_eq!(c.queue[0].kind, EmailKind::CaseResolved);
        assert_eq!(c.queue[0].requested_by, None, "the service resolved it");
    }
}

#[test]
fn an_on_behalf_resend_names_the_case_and_leaves_a_note() {
    let f = facts();
    let case = case_in(CaseState::Open);
    let ask = ResendAsk {
        by: Asker::User(ada()),
        keyed: false,
        limit: ResendLimit::default(),
        now: t(NOW),
        for_case: Some(case.clone()),
    };
    let Decision::Apply(e) = decide::resend(&f, &ask, &mut ids()) else {
        panic!("the resend applies")
    };
    let mail = &e.queue[0];
    assert_eq!(mail.for_case, Some(case.id));
    assert!(e.events.iter().any(|ev| matches!(
        ev,
        Event::ResendRequested { case_id: Some(id), .. } if *id == case.id
    )));
    let note = e.cases[0].comment.as_ref().unwrap();
    assert_eq!(note.author, Some(ada().user_id));
    assert_eq!(
        note.note,
        Note::ResendQueued {
            email_id: mail.id,
            to: "kim@kund.test".into()
        }
    );
    assert!(ensure_may_resend_for(&case, &pia()).is_err());
    let mut no_line = case.clone();
    no_line.line = None;
    assert_eq!(
        ensure_may_resend_for(&no_line, &sam()),
        Err(Refusal::CaseWithoutLine)
    );
}

#[test]
fn the_smtp_answer_to_an_on_behalf_resend_is_noted_once() {
    let id = Uuid::from_u128(9);
    let accepted = resend_answered(
        id,
        "kim@kund.test",
        Answered::Accepted,
        1,
        Some("250 ok"),
        &mut ids(),
    );
    assert!(matches!(
        accepted.unwrap().note,
        Note::ResendAnswered {
            result: Answered::Accepted,
            ..
        }
    ));
    assert!(resend_answered(id, "k@x.test", Answered::Deferred, 1, None, &mut ids()).is_some());
    assert!(resend_answered(id, "k@x.test", Answered::Deferred, 2, None, &mut ids()).is_none());
    assert!(resend_answered(id, "k@x.test", Answered::Refused, 3, None, &mut ids()).is_some());
}

#[test]
fn case_text_is_trimmed_bounded_and_free_of_controls() {
    assert_eq!(text("  hej \r\n då ").as_str(), "hej \n då");
    assert!(CaseText::parse("   ").is_err());
    assert!(CaseText::parse(&"x".repeat(TEXT_MAX_CHARS + 1)).is_err());
    assert!(CaseText::parse("a\u{7}b").is_err());
    assert!(CaseText::parse("tab\tok").is_ok());
}

#[test]
fn support_sees_every_case_others_their_companys() {
    let company = pia().company_id;
    assert!(may_see(&pia(), company));
    assert!(may_see(&pelle(), company));
    assert!(may_see(&sam(), company));
    let other = CompanyId::from_uuid(Uuid::from_u128(99));
    assert!(!may_see(&pia(), other));
}

#[test]
fn a_resolved_case_does_not_reopen_beside_a_newer_open_one() {
    let newer = CaseId::from_uuid(Uuid::from_u128(78));
    let mut old = case_in(CaseState::Resolved);
    old.open_beside = Some(newer);
    for who in [pia(), sam()] {
        let refused = comment(&old, &who, text("Again"), false, t(NOW), &mut ids());
        assert_eq!(refused, Err(Refusal::CaseExists { case_id: newer }));
    }
    // An internal note on it moves nothing, so it may be written.
    assert!(
        comment(
            &old,
            &sam(),
            text("see the newer case"),
            true,
            t(NOW),
            &mut ids()
        )
        .is_ok()
    );
}
