//! The composer of the support-case notifications (SPEC §11): to the agents that a case was
//! opened, to its opener that it was answered or resolved. Every notice of one case has one
//! Subject (what the case is about and its request type, never what happened), so that mail
//! programs that thread by subject keep them together; what happened is the first paragraph,
//! then the text people wrote (the description, the answer, the resolving comment) quoted in
//! full, the case's facts, and the case page's link alone on its line. Replies by email are
//! not read, and the notice says so: answers belong on the case page.

use askama::Template;
use provisio_domain::{CaseState, EmailKind, Locale};

use super::rich::Marks;
use super::{Composed, Texts, fact_lines, greeting, person};
use crate::error::RenderError;
use crate::outbound::CaseNotice;

pub(crate) fn compose(notice: &CaseNotice) -> Result<Composed, RenderError> {
    let body = Body::new(notice)?;
    Ok(Composed {
        text: body.text(),
        html: Html { body: &body }.render()?,
        subject: body.subject,
    })
}

/// The translated texts of one notice, values filled in (not yet escaped).
pub(crate) struct Body {
    pub(crate) locale: Locale,
    pub(crate) subject: String,
    pub(crate) greeting: String,
    /// What happened, first thing.
    pub(crate) intro: String,
    /// "Description:" or "Comment:" before the quoted text; none where the intro leads to it.
    pub(crate) quote_lead: Option<String>,
    /// The text people wrote, line by line, shown in full.
    pub(crate) quote: Vec<String>,
    /// The line's last provisioning email failed (to the agents, with a new case).
    pub(crate) warning: Option<String>,
    pub(crate) facts: Vec<(String, String)>,
    pub(crate) link_lead: String,
    pub(crate) case_url: String,
    pub(crate) no_reply: String,
    pub(crate) footer: String,
    pub(crate) marks: Marks,
}

impl Body {
    fn new(notice: &CaseNotice) -> Result<Self, RenderError> {
        let locale = notice.envelope.locale;
        let t = Texts(locale);
        let request_type = t.get(
            &format!("email-case-type-{}", notice.request_type.as_str()),
            &[],
        )?;
        let state = match notice.kind {
            EmailKind::CaseOpened => CaseState::Open,
            EmailKind::CaseAnswered => CaseState::Waiting,
            EmailKind::CaseResolved => CaseState::Resolved,
            kind @ (EmailKind::Initial
            | EmailKind::Resend
            | EmailKind::ContactChanged
            | EmailKind::Reminder
            | EmailKind::HandedOff) => return Err(RenderError::NotACase { kind }),
        };
        let opener = person(&notice.opener);
        let author = notice.author.as_ref().map(|a| a.display_name());
        let args = [
            ("opener", opener.as_str()),
            ("company", notice.company.as_str()),
            ("author", author.unwrap_or_default()),
        ];
        let text = notice
            .text
            .as_deref()
            .filter(|text| !text.trim().is_empty());
        let (intro, quote_lead) = match (state, author) {
            (CaseState::Open, _) => (
                t.get("email-intro-case_opened", &args)?,
                Some(t.get("email-case-description", &[])?),
            ),
            (CaseState::Waiting, _) => (t.get("email-intro-case_answered", &args)?, None),
            (CaseState::Resolved, Some(_)) => (
                t.get("email-intro-case_resolved", &args)?,
                Some(t.get("email-case-comment", &[])?),
            ),
            (CaseState::Resolved, None) => {
                (t.get("email-intro-case_resolved-by-service", &args)?, None)
            }
        };
        let warning = if state == CaseState::Open && notice.last_email_failed {
            Some(t.get("email-case-last-email-failed", &[])?)
        } else {
            None
        };
        let mut facts = vec![(
            t.get("email-label-case", &[])?,
            t.get(&format!("email-case-state-{}", state.as_str()), &[])?,
        )];
        for (label, value) in [
            ("email-label-subscription", &notice.subscription_ref),
            ("email-label-order", &notice.web_order_id),
            ("email-label-customer", &notice.end_customer),
        ] {
            if let Some(value) = value {
                facts.push((t.get(label, &[])?, value.clone()));
            }
        }
        facts.push((
            t.get("email-label-request-type", &[])?,
            request_type.clone(),
        ));
        facts.push((
            t.get("email-label-opened-by", &[])?,
            format!("{opener}, {}", notice.company),
        ));
        let mut marks = Marks::default().address(notice.opener.address.clone());
        if let Some(author) = &notice.author {
            marks = marks.address(author.address.clone());
        }
        Ok(Self {
            locale,
            subject: subject(&t, notice, &request_type)?,
            greeting: greeting(&t, &notice.envelope.to)?,
            intro,
            quote_lead: quote_lead.filter(|_| text.is_some()),
            quote: text.map(lines).unwrap_or_default(),
            warning,
            facts,
            link_lead: t.get("email-case-link", &[])?,
            case_url: notice.case_url.clone(),
            no_reply: t.get("email-case-no-reply", &[])?,
            footer: t.get("email-case-footer", &[])?,
            marks,
        })
    }

    /// The text part: the quoted text as a reply quotes (`> ` before each line), the case
    /// link alone on its line, as the setup link is in a provisioning email.
    fn text(&self) -> String {
        let mut out = format!("{}\n\n{}\n\n", self.greeting, self.intro);
        if !self.quote.is_empty() {
            if let Some(lead) = &self.quote_lead {
                out.push_str(&format!("{lead}\n"));
            }
            for line in &self.quote {
                out.push_str(&if line.is_empty() {
                    ">\n".to_owned()
                } else {
                    format!("> {line}\n")
                });
            }
            out.push('\n');
        }
        if let Some(warning) = &self.warning {
            out.push_str(&format!("{warning}\n\n"));
        }
        out.push_str(&fact_lines(&self.facts));
        out.push_str(&format!(
            "\n{}\n{}\n\n{}\n\n-- \n{}\n",
            self.link_lead, self.case_url, self.no_reply, self.footer
        ));
        out
    }
}

/// One Subject for every notice of one case: the line it is about, else the order, else the
/// opener's company, and the request type. What happened is never in it.
fn subject(t: &Texts, notice: &CaseNotice, request_type: &str) -> Result<String, RenderError> {
    let (key, about) = match (&notice.subscription_ref, &notice.web_order_id) {
        (Some(sub), _) => ("email-case-subject-sub", ("sub", sub)),
        (None, Some(order)) => ("email-case-subject-order", ("order", order)),
        (None, None) => ("email-case-subject-company", ("company", &notice.company)),
    };
    t.get(key, &[(about.0, about.1.as_str()), ("type", request_type)])
}

/// The text's lines, whatever their line ends (a browser's form sends CRLF), without blank
/// lines around them.
fn lines(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim_start_matches('\n')
        .trim_end()
        .split('\n')
        .map(|line| line.trim_end().to_owned())
        .collect()
}

#[derive(Template)]
#[template(path = "case.html")]
struct Html<'a> {
    body: &'a Body,
}
