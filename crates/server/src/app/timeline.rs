//! A line's history as one timeline (SPEC §11, issue 19 point 4): its events (its order's
//! included), its emails and their delivery attempts joined, newest first, each with who did
//! it in words ("Pia Partner", "the customer, on the setup page", "provisio, on the requested
//! start date"). The items are typed ([`By`], [`What`], the email as it stands now); the
//! edges render their words (pages, the API's JSON and CSV) in the reader's language.
//!
//! Who did it comes from the event: its user, by name and role; else the setup page when the
//! event says so (`via: setup_link`), and the emails queued or overtaken in that same step
//! (same instant, next in order: the store writes a step's events together); else the
//! automatic first email at the start of the requested start date; else provisio itself
//! (delivery, closure by policy). The email a resend or a contact change queues is shown
//! with that step, not as a step of its own.

use std::collections::HashSet;

use jiff::Timestamp;
use provisio_domain::{Actor, EmailKind};
use provisio_store::{EmailRecord, EventRecord, LineContext};

use super::App;
use super::event_words::{By, Mail, Reply, What};
use crate::error::{AppResult, Message};

/// One line's timeline.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub line: LineContext,
    /// Newest first.
    pub items: Vec<TimelineItem>,
}

/// One thing that happened to a line.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineItem {
    pub at: Timestamp,
    /// The stored event type (`email.sent`), for machines: the API's `type`. Pages never
    /// show it.
    pub kind: String,
    pub by: By,
    pub what: What,
    /// The email the item is about, as it stands now (its delivery state, attempts and
    /// the mail server's last reply).
    pub email: Option<EmailRecord>,
}

impl TimelineItem {
    pub fn actor(&self) -> Message {
        self.by.message()
    }

    pub fn title(&self) -> Message {
        self.what.title()
    }

    /// The details; an email still on its way (no sent or failed item yet) says where it is
    /// and what the mail server said last.
    pub fn details(&self) -> Vec<Message> {
        let mut words = self.what.details();
        let asked = matches!(
            self.what,
            What::EmailQueued(_) | What::ResendRequested { .. } | What::ContactChanged { .. }
        );
        if let Some(e) = self
            .email
            .as_ref()
            .filter(|e| asked && e.state.on_its_way())
        {
            words.push(
                Message::new("timeline-on-its-way")
                    .with_message("state", super::event_words::state(e.state))
                    .with("count", e.attempts.to_string()),
            );
            words.extend(e.last_reply.as_deref().map(|r| Reply::of(r).message()));
        }
        words
    }
}

impl App {
    /// The timeline of a line the actor may see (another tenant's line is `not_found`, as an
    /// unknown one).
    pub async fn timeline(&self, actor: &Actor, raw_ref: &str) -> AppResult<Timeline> {
        let line = self.line(actor, raw_ref).await?;
        let events = self.store.line_events(&line.line.sub_ref).await?;
        let emails = self.store.line_emails(&line.line.sub_ref).await?;
        Ok(Timeline {
            items: items(&events, &emails),
            line,
        })
    }
}

/// The timeline of `events` (oldest first, as stored) and `emails`, newest first. The email
/// a resend or a contact change queues is shown with it (not as an item of its own); an
/// email without any event (none today) still gets an item.
pub fn items(events: &[EventRecord], emails: &[EmailRecord]) -> Vec<TimelineItem> {
    let email = |id: Option<uuid::Uuid>| id.and_then(|id| emails.iter().find(|e| e.id == id));
    let mut items: Vec<TimelineItem> = Vec::with_capacity(events.len());
    let mut previous: Option<(Timestamp, By)> = None;
    for event in events {
        let what = What::of(event);
        let by = actor(event, &what, previous.as_ref());
        previous = Some((event.at, by.clone()));
        let found = email(what.email_id()).cloned();
        if let (What::EmailQueued(mail), Some(asked)) = (&what, items.last_mut())
            && asked.at == event.at
            && asked.by == by
            && asks_for(&asked.what, mail)
        {
            asked.email = found;
            continue;
        }
        items.push(TimelineItem {
            at: event.at,
            kind: event.kind.clone(),
            email: found,
            by,
            what,
        });
    }
    let named: HashSet<uuid::Uuid> = items
        .iter()
        .filter_map(|i| i.email.as_ref().map(|e| e.id))
        .collect();
    for e in emails.iter().filter(|e| !named.contains(&e.id)) {
        items.push(TimelineItem {
            at: e.queued_at,
            kind: "email.queued".into(),
            by: By::Service,
            what: What::EmailQueued(Mail {
                id: Some(e.id),
                kind: Some(e.kind),
                to: e.to.to_string(),
            }),
            email: Some(e.clone()),
        });
    }
    // Newest first; within one instant, the later step first.
    items.reverse();
    items.sort_by_key(|i| std::cmp::Reverse(i.at));
    items
}

/// Whether `mail` is the email the step `asked` queues: a resend's, or the new contact's.
fn asks_for(asked: &What, mail: &Mail) -> bool {
    match asked {
        What::ResendRequested { mail: resent, .. } => resent.id.is_some() && resent.id == mail.id,
        What::ContactChanged { to, .. } => *to == mail.to,
        _ => false,
    }
}

/// Who did `event`, `previous` being who did the event before it.
fn actor(event: &EventRecord, what: &What, previous: Option<&(Timestamp, By)>) -> By {
    if let Some(person) = By::person(event) {
        return person;
    }
    let via_setup = event.data.get("via").and_then(|v| v.as_str()) == Some("setup_link");
    let same_step_as_customer = matches!(previous, Some((at, By::Customer)) if *at == event.at);
    match what {
        _ if via_setup => By::Customer,
        What::EmailQueued(_) | What::EmailCancelled { .. } if same_step_as_customer => By::Customer,
        What::EmailQueued(Mail {
            kind: Some(EmailKind::Initial),
            ..
        }) => By::ServiceOnStartDate,
        _ => By::Service,
    }
}

#[cfg(test)]
mod tests;
