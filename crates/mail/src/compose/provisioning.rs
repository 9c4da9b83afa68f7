//! The composer of provisioning emails: the words, taken from `locales/*/email.ftl`, laid out
//! twice: as plain text and as HTML (askama, which escapes every value).

use askama::Template;
use provisio_domain::{EmailKind, Locale};

use super::rich::Marks;
use super::{Composed, Texts, fact_lines, greeting};
use crate::error::RenderError;
use crate::outbound::ProvisioningEmail;

/// Composes the subject, text and HTML of a provisioning email in its locale.
pub(crate) fn compose(email: &ProvisioningEmail) -> Result<Composed, RenderError> {
    let body = Body::new(email)?;
    Ok(Composed {
        text: body.text(),
        html: body.html()?,
        subject: body.subject,
    })
}

/// The translated texts of one email, values already filled in (not yet escaped).
pub(crate) struct Body {
    pub(crate) locale: Locale,
    pub(crate) subject: String,
    pub(crate) greeting: String,
    pub(crate) intro: String,
    /// (label, value) rows: order, subscription, customer, partner, offer, quantity, RSD,
    /// deadline.
    pub(crate) facts: Vec<(String, String)>,
    pub(crate) setup_lead: String,
    pub(crate) setup_button: String,
    pub(crate) setup_url: String,
    pub(crate) deadline_note: String,
    /// The sentence about the admin portal, then its address: the address stands on its own
    /// (a line of the text part, a link in the HTML), never followed by a full stop a mail
    /// client would take into the link.
    pub(crate) admin_portal: Option<(String, String)>,
    pub(crate) help: String,
    pub(crate) footer: String,
    /// The dates and addresses above, kept whole on a narrow screen.
    pub(crate) marks: Marks,
}

impl Body {
    pub(crate) fn new(email: &ProvisioningEmail) -> Result<Self, RenderError> {
        let locale = email.envelope.locale;
        let t = Texts(locale);
        let kind = kind_key(email.kind);
        let (deadline_at, zone) = deadline_text(email);
        let deadline = format!("{deadline_at} {zone}");
        let start_date = email.requested_start_date.strftime("%Y-%m-%d").to_string();
        // A resend or contact change after the window lapsed: the line is closed, yet setup
        // still works (R6), so the email must not read as a deadline still ahead.
        let passed = email.envelope.date >= email.deadline;
        let order = [
            ("order", email.web_order_id.as_str()),
            ("sub", email.subscription_ref.as_str()),
            ("customer", email.end_customer.as_str()),
            ("partner", email.partner.as_str()),
        ];
        let greeting = greeting(&t, &email.envelope.to)?;
        let mut marks = Marks::default()
            .date(deadline_at)
            .zone(zone)
            .date(start_date.clone())
            .address(email.help_contact.address.clone());
        // A hand-off (SPEC §10): the colleague learns who asked them, first thing.
        let intro = match &email.handed_off_by {
            Some(by) if email.kind == EmailKind::ContactChanged => {
                marks = marks.address(by.address.clone());
                let from = [("from", by.address.as_str())];
                t.get(
                    "email-intro-contact_changed-handed_off",
                    &[order.as_slice(), &from].concat(),
                )?
            }
            _ => t.get(&format!("email-intro-{kind}"), &order)?,
        };
        let mut facts = vec![
            (t.get("email-label-order", &[])?, email.web_order_id.clone()),
            (
                t.get("email-label-subscription", &[])?,
                email.subscription_ref.clone(),
            ),
            (
                t.get("email-label-customer", &[])?,
                email.end_customer.clone(),
            ),
            (t.get("email-label-partner", &[])?, email.partner.clone()),
            (t.get("email-label-offer", &[])?, email.offer.clone()),
            (
                t.get("email-label-quantity", &[])?,
                email.quantity.to_string(),
            ),
            (t.get("email-label-start-date", &[])?, start_date),
            (
                t.get(
                    if passed {
                        "email-label-deadline-passed"
                    } else {
                        "email-label-deadline"
                    },
                    &[],
                )?,
                deadline.clone(),
            ),
        ];
        if let (Some(by), EmailKind::ContactChanged) = (&email.handed_off_by, email.kind) {
            facts.push((t.get("email-label-handed-off-by", &[])?, by.address.clone()));
        }
        let admin_portal = match &email.admin_portal_url {
            Some(url) => Some((t.get("email-admin-portal", &[])?, url.clone())),
            None => None,
        };
        Ok(Self {
            locale,
            subject: t.get(&format!("email-subject-{kind}"), &order)?,
            greeting,
            intro,
            facts,
            setup_lead: t.get("email-setup-lead", &[])?,
            setup_button: t.get("email-setup-button", &[])?,
            setup_url: email.setup_url.clone(),
            deadline_note: t.get(
                if passed {
                    "email-deadline-passed-note"
                } else {
                    "email-deadline-note"
                },
                &[("deadline", &deadline), ("partner", &email.partner)],
            )?,
            admin_portal,
            help: t.get(
                "email-help",
                &[
                    ("name", email.help_contact.display_name()),
                    ("email", &email.help_contact.address),
                ],
            )?,
            footer: t.get("email-footer", &[("partner", &email.partner)])?,
            marks,
        })
    }

    /// The text part. The setup link stands alone on its own line, so every mail client
    /// makes it clickable and nobody copies a trailing word with it.
    fn text(&self) -> String {
        let mut out = format!("{}\n\n{}\n\n", self.greeting, self.intro);
        out.push_str(&fact_lines(&self.facts));
        out.push_str(&format!(
            "\n{}\n{}\n\n{}\n\n",
            self.setup_lead, self.setup_url, self.deadline_note
        ));
        if let Some((lead, url)) = &self.admin_portal {
            out.push_str(&format!("{lead}\n{url}\n\n"));
        }
        out.push_str(&format!("{}\n\n-- \n{}\n", self.help, self.footer));
        out
    }

    fn html(&self) -> Result<String, RenderError> {
        Ok(HtmlBody { body: self }.render()?)
    }
}

#[derive(Template)]
#[template(path = "provisioning.html")]
struct HtmlBody<'a> {
    body: &'a Body,
}

fn kind_key(kind: EmailKind) -> &'static str {
    match kind {
        EmailKind::Initial => "initial",
        EmailKind::Resend => "resend",
        EmailKind::ContactChanged => "contact_changed",
        EmailKind::Reminder => "reminder",
        // Not provisioning emails: composed by `hand_off` and `case`; never built into this
        // value.
        EmailKind::HandedOff => "handed_off",
        EmailKind::CaseOpened => "case_opened",
        EmailKind::CaseAnswered => "case_answered",
        EmailKind::CaseResolved => "case_resolved",
    }
}

/// ("2025-03-21 09:30", "Europe/Stockholm"): a date and time a person can act on, with the
/// zone named so nobody has to guess.
fn deadline_text(email: &ProvisioningEmail) -> (String, String) {
    let zoned = email.deadline.to_zoned_datetime(email.time_zone.clone());
    let zone = match email.time_zone.iana_name() {
        Some(name) => name.to_owned(),
        None => zoned.strftime("UTC%:z").to_string(),
    };
    (zoned.strftime("%Y-%m-%d %H:%M").to_string(), zone)
}
