//! The notice of a case as it is sent (the composer is `provisio_mail`'s): the case as it
//! stands at this attempt, the comment the notice reports, the thread every notice of the
//! case shares, and a link to the case page.

use provisio_domain::case::Note;
use provisio_domain::{EmailKind, EmailState};
use provisio_mail::{CaseNotice, Envelope, Mailbox, Outbound};
use provisio_store::{CaseRecord, EmailRecord, LineContext};

use super::App;

impl App {
    /// The `Message-ID` every notice of a case refers to (`In-Reply-To`, `References`), so a
    /// mail program shows them as one conversation.
    pub fn case_thread(&self, case: &CaseRecord) -> String {
        let domain = self
            .config
            .mail_from
            .address
            .rsplit_once('@')
            .map_or("provisio.invalid", |(_, d)| d);
        format!("case-{}@{domain}", case.id().as_uuid().simple())
    }

    /// The address the service's own notes in a case are signed with.
    pub fn sender(&self) -> &str {
        &self.config.mail_from.address
    }

    /// The case page, absolute.
    pub fn case_url(&self, case: &CaseRecord) -> String {
        let public_url = self.config.public_url.as_str().trim_end_matches('/');
        format!("{public_url}/cases/{}", case.id())
    }

    pub(super) fn case_mail(
        &self,
        email: &EmailRecord,
        message_id: &str,
        case: &CaseRecord,
        comment: Option<uuid::Uuid>,
        line: Option<&LineContext>,
    ) -> Outbound {
        let config = &self.config;
        let reported = comment.and_then(|id| case.comments.iter().find(|c| c.id == id));
        let text = match email.kind {
            EmailKind::CaseOpened => Some(case.description.clone()),
            _ => reported.and_then(|c| match &c.note {
                Note::Text(t) => Some(t.as_str().to_owned()),
                _ => None,
            }),
        };
        let person = |p: &provisio_store::Person| Mailbox::new(Some(p.name.clone()), &p.email);
        // Who answered (the comment's author) or resolved (who asked for the notice); none
        // when the service resolved it.
        let author = match reported.and_then(|c| c.author.as_ref()) {
            Some(p) => Some(person(p)),
            None => email.requested_by.map(|id| {
                let known = case
                    .comments
                    .iter()
                    .filter_map(|c| c.author.as_ref())
                    .chain(case.claimed_by.as_ref())
                    .find(|p| p.id == id);
                match known {
                    Some(p) => person(p),
                    None => Mailbox::new(None, config.mail_from.address.clone()),
                }
            }),
        };
        Outbound::Case(CaseNotice {
            envelope: Envelope {
                message_id: message_id.to_owned(),
                date: self.clock.now(),
                from: Mailbox::new(
                    config.mail_from.name.clone(),
                    config.mail_from.address.clone(),
                ),
                reply_to: None,
                to: Mailbox::new(email.to_name.clone(), email.to.as_str()),
                locale: email.locale,
                thread: Some(self.case_thread(case)),
            },
            kind: email.kind,
            request_type: case.facts.request_type,
            subscription_ref: case.facts.line.as_ref().map(ToString::to_string),
            web_order_id: Some(case.order.to_string()),
            end_customer: line.map(|l| l.end_customer.clone()),
            opener: person(&case.opener),
            company: case.company.name.clone(),
            author,
            text,
            last_email_failed: line
                .and_then(|l| l.line.last_email.as_ref())
                .is_some_and(|e| e.state == EmailState::Failed),
            case_url: self.case_url(case),
        })
    }
}
