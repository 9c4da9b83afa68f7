//! What the workspace pages show of a line beyond its record, decided by the same rules the
//! actions use (no second copy: the domain's `actions` and `attention`, app/offers.rs): which
//! actions the user may take and why not (R2–R5, R9), how much of the resend limit is used
//! (R10), the line's history, and an email as its recipient saw it.

use jiff::Timestamp;
use provisio_domain::{Actor, MailFact, OfferPolicies};
use provisio_mail::{Composed, compose};
use provisio_store::{EmailRecord, LineContext};

use super::App;
use super::offers::Offered;
use super::outbox::MailOf;
use super::timeline::{TimelineItem, items};
use crate::error::{AppError, AppResult, Thing};

/// A line with what the page needs beside it.
#[derive(Debug, Clone)]
pub struct LineView {
    pub line: LineContext,
    /// What the user may do with the line, why it needs a person and what it waits for (the
    /// domain's).
    pub offered: Offered,
    /// The line's timeline, newest first (`timeline.rs`), when the page shows one line; `None`
    /// in a list, whose rows read it when opened (a page of many lines stays cheap).
    pub history: Option<Vec<TimelineItem>>,
    /// For a line not sent yet that the user may resend: the deadline a resend now starts
    /// (SPEC §11: such a resend is the first send).
    pub first_send_deadline: Option<Timestamp>,
}

impl LineView {
    /// `line` as a list shows it: what it offers is at hand, its history is read when opened.
    pub fn listed(
        line: LineContext,
        offered: Offered,
        policies: &OfferPolicies,
        now: Timestamp,
    ) -> Self {
        let first_send_deadline = first_send_deadline(&line, &offered, policies, now);
        Self {
            line,
            offered,
            history: None,
            first_send_deadline,
        }
    }
}

/// A resend now would be the first send: its dialog says when the deadline will be.
fn first_send_deadline(
    line: &LineContext,
    offered: &Offered,
    policies: &OfferPolicies,
    now: Timestamp,
) -> Option<Timestamp> {
    let state = &line.line.state;
    (offered.actions.resend.allowed() && state.first_sent_at.is_none())
        .then(|| state.deadline_shown(now, policies.window(&line.line.offer)))
}

/// An email's words as its recipient saw them, the setup link masked.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub email: EmailRecord,
    pub line: LineContext,
    pub from: String,
    pub words: Composed,
}

/// What stands in for the setup token on pages: the link worked for its recipient only.
pub const MASKED_TOKEN: &str = "••••••••";

impl App {
    /// A line the actor may see with its actions and history. `policies` as read once for
    /// the page ([`App::policies`]).
    pub async fn line_view(
        &self,
        actor: &Actor,
        line: LineContext,
        policies: &OfferPolicies,
    ) -> AppResult<LineView> {
        let emails = self.store.line_emails(&line.line.sub_ref).await?;
        let events = self.store.line_events(&line.line.sub_ref).await?;
        let now = self.clock.now();
        let mail: Vec<MailFact> = emails.iter().rev().map(EmailRecord::fact).collect();
        let offered = self.offered_with(actor, &line, mail, now);
        Ok(LineView {
            history: Some(items(&events, &emails)),
            ..LineView::listed(line, offered, policies, now)
        })
    }

    /// A line the actor may see with its actions, without its history (a page that shows
    /// no timeline: a resend's question, Edit contact).
    pub async fn line_view_brief(
        &self,
        actor: &Actor,
        line: LineContext,
        policies: &OfferPolicies,
    ) -> AppResult<LineView> {
        let offered = self.offer(actor, &line).await?;
        Ok(LineView::listed(line, offered, policies, self.clock.now()))
    }

    /// One email of a line, as it was written to its recipient (their language, the
    /// deadline as it stands), with [`MASKED_TOKEN`] for the setup token.
    pub async fn sent_email(
        &self,
        actor: &Actor,
        raw_ref: &str,
        email_id: &str,
    ) -> AppResult<SentEmail> {
        let line = self.line(actor, raw_ref).await?;
        let id = uuid::Uuid::parse_str(email_id).map_err(|_| AppError::not_found(Thing::Email))?;
        let emails = self.store.line_emails(&line.line.sub_ref).await?;
        let email = emails
            .into_iter()
            .find(|e| e.id == id)
            .ok_or(AppError::not_found(Thing::Email))?;
        let policies = self.policies().await?;
        let mail = self.line_mail(
            &line,
            MailOf {
                email: &email,
                message_id: "",
                date: email.sent_at.unwrap_or(email.queued_at),
                token: MASKED_TOKEN,
            },
            &policies,
        );
        let words = compose(&mail).map_err(|e| anyhow::anyhow!("composing an email: {e}"))?;
        let from = &self.config.mail_from;
        let from = match &from.name {
            Some(name) => format!("{name} <{}>", from.address),
            None => from.address.clone(),
        };
        Ok(SentEmail {
            email,
            line,
            from,
            words,
        })
    }

    /// The sender addresses customers' IT admins allowlist (SPEC §4).
    pub fn sender_addresses(&self) -> Vec<String> {
        self.config.sender_addresses()
    }
}

/// A contact change on one line or on every line of its order.
pub struct ContactChange {
    pub before: String,
    pub line: LineContext,
}

impl App {
    /// R4 on `raw_ref` and, with `all_lines`, on every other line of its order that is still
    /// before its point of no return; each line gets its own result, `raw_ref`'s first.
    pub async fn change_contact_of_lines(
        &self,
        actor: &Actor,
        raw_ref: &str,
        input: super::lines::ContactInput,
        all_lines: bool,
    ) -> AppResult<Vec<(String, AppResult<ContactChange>)>> {
        let first = self.line(actor, raw_ref).await?;
        let mut targets = vec![first.line.clone()];
        if all_lines {
            let order = self.order(actor, first.web_order_id.as_str()).await?;
            targets.extend(order.lines.into_iter().filter(|l| {
                l.sub_ref != first.line.sub_ref && l.state.ensure_before_ponr().is_ok()
            }));
        }
        let mut results = Vec::with_capacity(targets.len());
        for line in targets {
            let sub_ref = line.sub_ref.to_string();
            let result = self
                .change_contact(actor, &sub_ref, input.clone())
                .await
                .map(|changed| ContactChange {
                    before: line.contact_email.to_string(),
                    line: changed,
                });
            let stop = results.is_empty() && result.is_err();
            results.push((sub_ref, result));
            // The line the user chose refused (a bad address, say): the others would too.
            if stop {
                break;
            }
        }
        Ok(results)
    }
}
