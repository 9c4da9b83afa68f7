//! The composer of the hand-off notice (SPEC §10): the ordering contact learns that the
//! provisioning contact handed the setup off to a colleague, and to whom. No setup link: the
//! colleague got their own provisioning email. A link to the line in the workspace instead,
//! and the provisioning emails' footer.

use askama::Template;
use provisio_domain::Locale;

use super::rich::Marks;
use super::{Composed, Texts, fact_lines, greeting, person};
use crate::error::RenderError;
use crate::outbound::HandOffNotice;

pub(crate) fn compose(notice: &HandOffNotice) -> Result<Composed, RenderError> {
    let t = Texts(notice.envelope.locale);
    let from = person(&notice.from);
    let to = person(&notice.to);
    let args = [
        ("order", notice.web_order_id.as_str()),
        ("sub", notice.subscription_ref.as_str()),
        ("customer", notice.end_customer.as_str()),
        ("from", from.as_str()),
        ("to", to.as_str()),
    ];
    let greeting = greeting(&t, &notice.envelope.to)?;
    let body = Body {
        locale: notice.envelope.locale,
        subject: t.get("email-subject-handed_off", &args)?,
        greeting,
        intro: t.get("email-intro-handed_off", &args)?,
        facts: vec![
            (
                t.get("email-label-order", &[])?,
                notice.web_order_id.clone(),
            ),
            (
                t.get("email-label-subscription", &[])?,
                notice.subscription_ref.clone(),
            ),
            (
                t.get("email-label-customer", &[])?,
                notice.end_customer.clone(),
            ),
            (t.get("email-label-offer", &[])?, notice.offer.clone()),
            (t.get("email-label-handed-off-by", &[])?, from.clone()),
            (t.get("email-label-handed-off-to", &[])?, to.clone()),
        ],
        next: t.get("email-handed_off-next", &args)?,
        line_lead: t.get("email-handed_off-line", &[])?,
        line_url: notice.line_url.clone(),
        footer: t.get("email-footer", &[("partner", &notice.partner)])?,
        marks: Marks::default()
            .address(notice.from.address.clone())
            .address(notice.to.address.clone()),
    };
    // The link stands alone on its line, as the setup link does in a provisioning email.
    let text = format!(
        "{}\n\n{}\n\n{}\n{}\n\n{}\n{}\n\n-- \n{}\n",
        body.greeting,
        body.intro,
        fact_lines(&body.facts),
        body.next,
        body.line_lead,
        body.line_url,
        body.footer
    );
    Ok(Composed {
        html: Html { body: &body }.render()?,
        text,
        subject: body.subject,
    })
}

pub(crate) struct Body {
    pub(crate) locale: Locale,
    pub(crate) subject: String,
    pub(crate) greeting: String,
    pub(crate) intro: String,
    pub(crate) facts: Vec<(String, String)>,
    pub(crate) next: String,
    pub(crate) line_lead: String,
    pub(crate) line_url: String,
    pub(crate) footer: String,
    pub(crate) marks: Marks,
}

#[derive(Template)]
#[template(path = "hand_off.html")]
struct Html<'a> {
    body: &'a Body,
}
