//! Support-case notifications (SPEC §11): to the agents that a case was opened, to the opener
//! that it was answered or resolved; one Subject and one thread for every notice of a case;
//! what people wrote quoted as text; no Reply-To, since nobody reads replies.

use provisio_domain::{CaseRequestType, EmailKind, Locale};
use provisio_mail::{CaseNotice, Envelope, Mailbox, Outbound, RenderError};

use crate::{email, marked, parse, render};

const CASE_URL: &str = "https://provisio.example/cases/0190f3a1-7c2e-7000-8000-0000000000c1";
const THREAD: &str = "case-0190f3a1-7c2e-7000-8000-0000000000c1@provisio";
const KINDS: [EmailKind; 3] = [
    EmailKind::CaseOpened,
    EmailKind::CaseAnswered,
    EmailKind::CaseResolved,
];

/// Olle (Partner AB) asked for the provisioning email of Sub1000042 again; Sam Support
/// answered and resolved it.
fn notice(locale: Locale, kind: EmailKind) -> CaseNotice {
    let olle = Mailbox::new(Some("Olle Ordersson".to_owned()), "olle@partner.example");
    let sam = Mailbox::new(Some("Sam Support".to_owned()), "sam@provisio.example");
    let (to, author, text, n) = match kind {
        EmailKind::CaseOpened => (
            Mailbox::new(Some("Support".to_owned()), "support@provisio.example"),
            None,
            "The email never came.\r\nWe checked the spam folder.",
            1,
        ),
        EmailKind::CaseAnswered => (olle.clone(), Some(sam), "I sent it again; please check.", 2),
        _ => (olle.clone(), Some(sam), "Kim confirmed it arrived.", 3),
    };
    CaseNotice {
        envelope: Envelope {
            message_id: format!("0190f3a1-7c2e-7000-8000-00000000000{n}@provisio"),
            to,
            reply_to: None,
            thread: Some(THREAD.to_owned()),
            ..email(locale, EmailKind::Initial).envelope
        },
        kind,
        request_type: CaseRequestType::ResendProvisioningEmail,
        subscription_ref: Some("Sub1000042".to_owned()),
        web_order_id: Some("W123".to_owned()),
        end_customer: Some("Kund AB".to_owned()),
        opener: olle,
        company: "Partner AB".to_owned(),
        author,
        text: Some(text.to_owned()),
        last_email_failed: false,
        case_url: CASE_URL.to_owned(),
    }
}

fn raw(notice: &CaseNotice) -> String {
    let bytes = provisio_mail::render(&Outbound::from(notice.clone()))
        .unwrap()
        .formatted();
    String::from_utf8(bytes).unwrap()
}

fn rendered(notice: &CaseNotice) -> mail_parser::Message<'static> {
    parse(raw(notice).as_bytes())
}

fn text_of(notice: &CaseNotice) -> String {
    rendered(notice).body_text(0).unwrap().replace("\r\n", "\n")
}

fn head(raw: &str) -> &str {
    &raw[..raw.find("\r\n\r\n").unwrap()]
}

#[test]
fn every_kind_says_first_what_happened_then_the_text_the_facts_and_the_link() {
    for (locale, kind, first) in [
        (
            Locale::En,
            EmailKind::CaseOpened,
            "Hello Support,\n\nA new case was opened by Olle Ordersson (olle@partner.example) \
             of Partner AB.\n\nDescription:\n> The email never came.\n> We checked the spam \
             folder.\n",
        ),
        (
            Locale::En,
            EmailKind::CaseAnswered,
            "Hello Olle Ordersson,\n\nSam Support answered your case:\n\n> I sent it again; \
             please check.\n",
        ),
        (
            Locale::En,
            EmailKind::CaseResolved,
            "Hello Olle Ordersson,\n\nYour case was resolved by Sam Support.\n\nComment:\n> Kim \
             confirmed it arrived.\n",
        ),
        (
            Locale::Sv,
            EmailKind::CaseOpened,
            "Hej Support,\n\nEtt nytt ärende har öppnats av Olle Ordersson \
             (olle@partner.example) på Partner AB.\n\nBeskrivning:\n> The email never came.\n",
        ),
        (
            Locale::Sv,
            EmailKind::CaseAnswered,
            "Hej Olle Ordersson,\n\nSam Support har svarat på ditt ärende:\n\n> I sent it",
        ),
        (
            Locale::Sv,
            EmailKind::CaseResolved,
            "Hej Olle Ordersson,\n\nDitt ärende har lösts av Sam Support.\n\nKommentar:\n> Kim",
        ),
    ] {
        let text = text_of(&notice(locale, kind));
        assert!(text.starts_with(first), "{locale} {kind}:\n{text}");
        let (facts, state, request, opened_by, no_reply) = match locale {
            Locale::En => (
                ["Subscription:", "Order:", "End customer:"],
                ("Case:", ["Open", "Waiting", "Resolved"]),
                ("Request type:", "Resend provisioning email"),
                "Opened by:",
                "Replies to this email are not read: answer on the case page.",
            ),
            Locale::Sv => (
                ["Prenumeration:", "Beställning:", "Slutkund:"],
                ("Ärende:", ["Öppet", "Väntar", "Löst"]),
                ("Typ av begäran:", "Skicka e-post om etablering igen"),
                "Öppnat av:",
                "Svar på det här meddelandet läses inte: svara på ärendesidan.",
            ),
        };
        let (case_label, states) = state;
        let state = states[KINDS.iter().position(|k| *k == kind).unwrap()];
        let line = |label: &str, value: &str| {
            text.lines()
                .any(|l| l.starts_with(label) && l.ends_with(&format!(" {value}")))
        };
        assert!(line(facts[0], "Sub1000042"), "{locale} {kind}:\n{text}");
        assert!(line(facts[1], "W123"), "{locale} {kind}:\n{text}");
        assert!(line(facts[2], "Kund AB"), "{locale} {kind}:\n{text}");
        assert!(
            line(
                opened_by,
                "Olle Ordersson (olle@partner.example), Partner AB"
            ),
            "{locale} {kind}:\n{text}"
        );
        assert!(line(case_label, state), "{locale} {kind}:\n{text}");
        assert!(line(request.0, request.1), "{locale} {kind}:\n{text}");
        assert!(
            text.lines().any(|l| l == no_reply),
            "{locale} {kind}:\n{text}"
        );
    }
}

#[test]
fn every_notice_of_one_case_has_one_subject() {
    for (locale, about_sub, about_order, from_company) in [
        (
            Locale::En,
            "Case about Sub1000042: Resend provisioning email",
            "Case about order W123: Change provisioning contact",
            "Case from Partner AB: Other",
        ),
        (
            Locale::Sv,
            "Ärende om Sub1000042: Skicka e-post om etablering igen",
            "Ärende om beställning W123: Ändra kontakt för etablering",
            "Ärende från Partner AB: Annat",
        ),
    ] {
        for kind in KINDS {
            let mut case = notice(locale, kind);
            assert_eq!(rendered(&case).subject(), Some(about_sub), "{kind}");
            // No line named: the order; nothing named: the opener's company.
            case.subscription_ref = None;
            case.request_type = CaseRequestType::ChangeProvisioningContact;
            assert_eq!(rendered(&case).subject(), Some(about_order), "{kind}");
            case.web_order_id = None;
            case.request_type = CaseRequestType::Other;
            assert_eq!(rendered(&case).subject(), Some(from_company), "{kind}");
        }
    }
}

#[test]
fn a_notice_names_its_case_thread_and_keeps_its_own_message_id() {
    for kind in KINDS {
        let case = notice(Locale::En, kind);
        let raw = raw(&case);
        let message = parse(raw.as_bytes());
        assert_eq!(
            message.message_id(),
            Some(case.envelope.message_id.as_str())
        );
        for header in ["In-Reply-To", "References"] {
            assert_eq!(
                message.header_raw(header).map(str::trim),
                Some(format!("<{THREAD}>").as_str()),
                "{kind} {header}: {}",
                head(&raw)
            );
        }
    }
    // Mail of no thread names none.
    let bytes = render(&email(Locale::En, EmailKind::Initial))
        .unwrap()
        .formatted();
    let provisioning = String::from_utf8(bytes).unwrap();
    for header in ["In-Reply-To:", "References:"] {
        assert!(!head(&provisioning).contains(header), "{provisioning}");
    }
    // A thread id is checked as a Message-ID is.
    let mut bad = notice(Locale::En, EmailKind::CaseAnswered);
    bad.envelope.thread = Some(format!("<{THREAD}>\r\nBcc: spy@evil.example"));
    let error = provisio_mail::render(&Outbound::from(bad)).unwrap_err();
    assert!(matches!(error, RenderError::Thread), "{error}");
}

#[test]
fn the_case_link_stands_alone_on_one_line_of_the_text_part() {
    let long = "https://provisio.partner-portal.example.com/cases/\
                0190f3a1-7c2e-7000-8000-0000000000c1";
    for locale in Locale::ALL {
        for kind in KINDS {
            let mut case = notice(locale, kind);
            case.case_url = long.to_owned();
            let raw = raw(&case);
            let text = parse(raw.as_bytes())
                .body_text(0)
                .unwrap()
                .replace("\r\n", "\n");
            assert!(text.lines().any(|l| l == long), "{locale} {kind}:\n{text}");
            // Also in the raw message, for a reader that shows it undecoded.
            assert!(raw.lines().any(|l| l == long), "{locale} {kind}:\n{raw}");
            let html = parse(raw.as_bytes()).body_html(0).unwrap().into_owned();
            assert!(html.contains(&format!("<a href=\"{long}\"")), "{html}");
        }
    }
}

#[test]
fn the_quoted_text_stays_text_in_the_html_part() {
    let mut answered = notice(Locale::En, EmailKind::CaseAnswered);
    answered.text = Some("Try <script>alert(1)</script> & \"this\"\nthen <b>wait</b>".to_owned());
    let message = rendered(&answered);
    let html = message.body_html(0).unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<b>"),
        "markup from the answer: {html}"
    );
    assert!(
        html.contains("Try &#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;this&#34;<br>then"),
        "{html}"
    );
    let text = message.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(
        text.contains("\n> Try <script>alert(1)</script> & \"this\"\n> then <b>wait</b>\n"),
        "the text part quotes it as written:\n{text}"
    );
}

#[test]
fn breaks_in_names_and_companies_never_reach_a_header() {
    let mut case = notice(Locale::En, EmailKind::CaseOpened);
    case.subscription_ref = None;
    case.web_order_id = None;
    case.company = "Partner AB\r\nBcc: spy@evil.example".to_owned();
    case.opener.name = Some("Olle\nBcc: spy@evil.example".to_owned());
    case.envelope.to.name = Some("Support\r\nBcc: spy@evil.example".to_owned());
    let raw = raw(&case);
    let head = head(&raw);
    assert!(!head.to_ascii_lowercase().contains("\nbcc:"), "{head}");
    let message = parse(raw.as_bytes());
    assert!(message.bcc().is_none(), "{head}");
    assert_eq!(
        message.subject(),
        Some("Case from Partner AB  Bcc: spy@evil.example: Resend provisioning email")
    );
    let to = message.to().and_then(|l| l.first()).unwrap();
    assert_eq!(to.name(), Some("Support  Bcc: spy@evil.example"));
}

#[test]
fn no_notice_invites_a_reply_by_email() {
    for kind in KINDS {
        let mut case = notice(Locale::En, kind);
        // Even an envelope that names one: nobody reads replies to a case notice.
        case.envelope.reply_to = Some(Mailbox::new(None, "olle@partner.example"));
        let raw = raw(&case);
        assert!(
            !head(&raw).lines().any(|l| l.starts_with("Reply-To:")),
            "{kind}: {raw}"
        );
        assert!(parse(raw.as_bytes()).reply_to().is_none());
    }
}

#[test]
fn a_case_the_service_resolved_says_the_organization_was_onboarded() {
    for (locale, says, by) in [
        (
            Locale::En,
            "Your case resolved itself: the organization was onboarded",
            "resolved by",
        ),
        (
            Locale::Sv,
            "Ditt ärende löstes av sig självt: organisationen har registrerats",
            "har lösts av",
        ),
    ] {
        let mut case = notice(locale, EmailKind::CaseResolved);
        case.author = None;
        case.text = None;
        let text = text_of(&case);
        let first = text.split("\n\n").nth(1).unwrap();
        assert!(first.starts_with(says), "{locale}:\n{text}");
        assert!(
            !text.contains(by) && !text.contains("\n>"),
            "{locale}:\n{text}"
        );
        assert!(!text.contains("Comment:") && !text.contains("Kommentar:"));
    }
}

#[test]
fn a_failed_last_email_is_told_to_the_agents_before_the_facts() {
    let failed = "The last provisioning email of this line could not be delivered";
    let mut opened = notice(Locale::En, EmailKind::CaseOpened);
    assert!(!text_of(&opened).contains(failed));
    opened.last_email_failed = true;
    let text = text_of(&opened);
    let (at, facts) = (text.find(failed), text.find("Subscription:"));
    assert!(at.is_some() && at < facts, "{text}");
    let html = rendered(&opened).body_html(0).unwrap().into_owned();
    assert!(html.contains(failed), "{html}");
    let mut sv = notice(Locale::Sv, EmailKind::CaseOpened);
    sv.last_email_failed = true;
    assert!(text_of(&sv).contains("Det senaste etableringsmeddelandet för orderraden"));
}

#[test]
fn addresses_in_the_html_part_break_only_where_a_reader_expects() {
    let html = rendered(&notice(Locale::En, EmailKind::CaseOpened))
        .body_html(0)
        .unwrap()
        .into_owned();
    assert!(
        marked(&html).contains("Olle Ordersson ([olle@]<wbr>[partner]<wbr>[.example]) of"),
        "{html}"
    );
}

#[test]
fn only_a_case_kind_makes_a_case_notice() {
    let mut wrong = notice(Locale::En, EmailKind::CaseOpened);
    wrong.kind = EmailKind::Resend;
    let error = provisio_mail::render(&Outbound::from(wrong)).unwrap_err();
    assert!(matches!(error, RenderError::NotACase { .. }), "{error}");
}
