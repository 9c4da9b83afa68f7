//! What each line offers the person looking at it (SPEC §11 `actions`) and why it needs a
//! person, if it does (the attention reasons), as the domain decides them from the line's
//! facts; read for many lines at once (one query for their recent mail).

use jiff::Timestamp;
use provisio_domain::actions::{LineActions, line_actions};
use provisio_domain::attention::{Attention, attention};
use provisio_domain::next_step::{self, StepFacts, Waiting};
use provisio_domain::rate_limit::{ResendBudget, WINDOW};
use provisio_domain::{Actor, LineFacts, MailFact, OrderParties, SubRef, WebOrderId, decide};
use provisio_store::{EmailRecord, Line, LineContext, MailOf, Order};
use rustc_hash::FxHashMap;

use super::App;
use crate::error::AppResult;

/// A line as one person sees it: what they may do, how much of the resend limit is used, and
/// why it needs a person.
#[derive(Debug, Clone)]
pub struct Offered {
    pub actions: LineActions,
    pub budget: ResendBudget,
    pub attention: Option<Attention>,
    /// Why the line waits for a person, if it does (SPEC §11: the line shows it).
    pub waiting: Option<Waiting>,
    /// Some email of the line is queued, retrying or being sent.
    pub mail_on_its_way: bool,
}

impl App {
    /// [`Offered`] for each of `lines` (with their order's parties), in their order; their
    /// mail read as `of` says (`None`: by the lines' references).
    async fn offers(
        &self,
        actor: &Actor,
        lines: &[(&Line, &OrderParties)],
        of: Option<&WebOrderId>,
    ) -> AppResult<Vec<Offered>> {
        let now = self.clock.now();
        let refs: Vec<SubRef>;
        let of = match of {
            Some(order) => MailOf::Order(order),
            None => {
                refs = lines.iter().map(|(l, _)| l.sub_ref.clone()).collect();
                MailOf::Lines(&refs)
            }
        };
        // FxHash: SipHash of 1,000 references showed in the profile of an order read whole.
        let mut mail: FxHashMap<SubRef, Vec<MailFact>> = FxHashMap::default();
        for (sub_ref, fact) in self.store.recent_mail(of, now - WINDOW).await? {
            mail.entry(sub_ref).or_default().push(fact);
        }
        let limit = self.resend_limit();
        Ok(lines
            .iter()
            .map(|(line, parties)| {
                let facts = LineFacts {
                    state: line.state.clone(),
                    contact: line.contact(),
                    parties: (*parties).clone(),
                    mail: mail.remove(&line.sub_ref).unwrap_or_default(),
                    cases: vec![],
                };
                offered(&facts, line.last_email.as_ref(), actor, limit, now)
            })
            .collect())
    }

    /// [`Offered`] of one line whose mail (oldest first; all of it will do) is at hand.
    pub fn offered_with(
        &self,
        actor: &Actor,
        line: &LineContext,
        mail: Vec<MailFact>,
        now: Timestamp,
    ) -> Offered {
        let facts = LineFacts {
            state: line.line.state.clone(),
            contact: line.contact(),
            parties: line.parties(),
            mail,
            cases: vec![],
        };
        offered(
            &facts,
            line.line.last_email.as_ref(),
            actor,
            self.resend_limit(),
            now,
        )
    }

    /// [`Offered`] of one line.
    pub async fn offer(&self, actor: &Actor, line: &LineContext) -> AppResult<Offered> {
        let parties = line.parties();
        let mut one = self.offers(actor, &[(&line.line, &parties)], None).await?;
        Ok(one.remove(0))
    }

    /// [`Offered`] of every line of an order, read whole (its mail is read by the order).
    pub async fn order_offers(&self, actor: &Actor, order: &Order) -> AppResult<Vec<Offered>> {
        self.offers_in(actor, order, Some(&order.web_order_id))
            .await
    }

    /// [`Offered`] of the lines of an order read in part (a page of them: its mail is read by
    /// their references).
    pub async fn window_offers(&self, actor: &Actor, order: &Order) -> AppResult<Vec<Offered>> {
        self.offers_in(actor, order, None).await
    }

    async fn offers_in(
        &self,
        actor: &Actor,
        order: &Order,
        by_order: Option<&WebOrderId>,
    ) -> AppResult<Vec<Offered>> {
        let parties = order.parties();
        let lines: Vec<_> = order.lines.iter().map(|l| (l, &parties)).collect();
        self.offers(actor, &lines, by_order).await
    }

    /// [`Offered`] of each line of a list.
    pub async fn list_offers(
        &self,
        actor: &Actor,
        lines: &[LineContext],
    ) -> AppResult<Vec<Offered>> {
        let parties: Vec<OrderParties> = lines.iter().map(LineContext::parties).collect();
        let lines: Vec<_> = lines
            .iter()
            .zip(&parties)
            .map(|(l, p)| (&l.line, p))
            .collect();
        self.offers(actor, &lines, None).await
    }
}

fn offered(
    facts: &LineFacts,
    last_email: Option<&EmailRecord>,
    actor: &Actor,
    limit: provisio_domain::rate_limit::ResendLimit,
    now: Timestamp,
) -> Offered {
    let budget = decide::resend_budget(&facts.mail, limit, now);
    let last = last_email.map(EmailRecord::fact);
    let step = StepFacts {
        state: &facts.state,
        contact: &facts.contact.email,
        last_email: last.as_ref(),
        mail_on_its_way: facts.mail.iter().any(|m| m.state.on_its_way()),
    };
    Offered {
        actions: line_actions(facts, actor, limit, now),
        attention: attention(step, &budget, now),
        waiting: next_step::waiting(step),
        mail_on_its_way: step.mail_on_its_way,
        budget,
    }
}
