//! Replays the demo's history through the real code paths: an [`App`] on a test clock that
//! starts weeks in the past and only moves forward, with the scheduler's work (first sends,
//! closure by policy, delivery to `.eml` files) done at every step. Nothing is written by
//! hand and the stored test-clock offset is never touched, so the history looks exactly as if
//! the service had run all along.

use std::sync::Arc;

use anyhow::Context;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use provisio_domain::order::{RawLine, RawOrder};
use provisio_domain::{Actor, LineStatus, SubRef};
use provisio_mail::{Accepted, FileTransport, SendError, Transport};
use tokio::sync::watch;

use crate::app::App;
use crate::app::orders::OrderInput;
use crate::clock::Clock;
use crate::scheduler::{self, Delivery};

/// An address of the demo's story that does not exist: its mail server refuses mail to it for
/// good, as a real one would (the demo's line whose last email failed).
pub(super) const NO_SUCH_MAILBOX: &str = "noor.hadad@globex.example";

/// The replay's mail server: it takes every message into a `.eml` file but those to
/// [`NO_SUCH_MAILBOX`], which it refuses with the reply a real server gives. (Only the
/// replay; the running demo writes every message to a file.)
struct DemoMailServer {
    files: FileTransport,
}

#[async_trait::async_trait]
impl Transport for DemoMailServer {
    async fn send(&self, message: &lettre::Message) -> Result<Accepted, SendError> {
        let to_nobody = message
            .envelope()
            .to()
            .iter()
            .any(|a| AsRef::<str>::as_ref(a) == NO_SUCH_MAILBOX);
        if to_nobody {
            return Err(SendError::permanent(
                "550 5.1.1 <noor.hadad@globex.example>: Recipient address rejected: \
                 User unknown in virtual mailbox table",
            ));
        }
        self.files.send(message).await
    }

    fn describe(&self) -> String {
        self.files.describe()
    }
}

/// How long after a deadline the replayed scheduler closes the line (the real one polls
/// every second).
const CLOSE_DELAY: SignedDuration = SignedDuration::from_secs(20);

/// A line of a demo order: offer, quantity, RSD in days from the day it is ordered, contact.
pub(super) struct DemoLine {
    pub offer: &'static str,
    pub quantity: i64,
    pub rsd_in_days: i64,
    pub contact: (&'static str, &'static str),
    pub locale: &'static str,
}

pub(super) struct Replay {
    /// The service as it was at the replay's moment.
    pub app: App,
    /// The clock offset at which the replay ends: the running server's business now.
    end: SignedDuration,
    delivery: Delivery,
    /// Never set: delivery runs to the end of each batch.
    stop: (watch::Sender<bool>, watch::Receiver<bool>),
    /// The demo's lines; the replay stops at each of their deadlines to close them on time.
    lines: Vec<SubRef>,
}

/// `d` days and `h` hours.
pub(super) fn days(d: i64, h: i64) -> SignedDuration {
    SignedDuration::from_hours(d * 24 + h)
}

impl Replay {
    /// A replay starting `ago` before the server's business now.
    pub fn new(server: &App, ago: SignedDuration) -> Self {
        let end = server.clock.offset();
        let app = server.with_clock(Clock::test_at(end - ago));
        let transport = Arc::new(DemoMailServer {
            files: FileTransport::new(app.config.data_dir().join("mail")),
        });
        let delivery = Delivery::new(app.clone(), transport);
        Self {
            app,
            end,
            delivery,
            stop: watch::channel(false),
            lines: vec![],
        }
    }

    pub fn now(&self) -> Timestamp {
        self.app.clock.now()
    }

    /// Today in the business time zone, by the replay's clock.
    pub fn today(&self) -> Date {
        self.now()
            .to_zoned_datetime(self.app.config.time_zone.clone())
            .date()
    }

    /// Moves the clock forward to `ago` before the end (never back), stopping at each demo
    /// line's deadline on the way so that it closes then, as the scheduler would have.
    pub async fn to(&mut self, ago: SignedDuration) -> anyhow::Result<()> {
        let target = self.end - ago;
        while let Some(deadline) = self.next_deadline(target).await? {
            let offset = deadline.duration_since(self.app.clock.real_now()) + CLOSE_DELAY;
            self.app.clock.set_offset(offset.min(target));
            self.tick().await?;
        }
        self.app.clock.set_offset(target);
        self.tick().await
    }

    /// The earliest deadline of an open demo line that falls before `target` (an offset).
    async fn next_deadline(&self, target: SignedDuration) -> anyhow::Result<Option<Timestamp>> {
        let until = self.app.clock.real_now() + target;
        let now = self.now();
        let mut next: Option<Timestamp> = None;
        for sub_ref in &self.lines {
            let line = self.app.line_for_operator(sub_ref.as_str()).await?;
            let state = &line.line.state;
            if let (LineStatus::Open, Some(at)) = (state.status, state.closes_at)
                && at + CLOSE_DELAY < until
                // Passed already (and closed by then): never the same deadline twice.
                && at + CLOSE_DELAY > now
            {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        Ok(next)
    }

    /// One round of the scheduler at the replay's now: due first sends, closures, delivery.
    pub async fn tick(&self) -> anyhow::Result<()> {
        let now = self.now();
        scheduler::queue_first_sends(&self.app, now).await?;
        scheduler::close_lapsed(&self.app, now).await?;
        while self.delivery.run_once(&self.stop.1).await? > 0 {}
        Ok(())
    }

    pub async fn actor(&self, email: &str) -> anyhow::Result<Actor> {
        Ok(self.app.actor_by_email(email).await?)
    }

    /// `by` places an order (with a distributor when given); its lines are emailed as due.
    /// Returns the lines' subscription references.
    pub async fn order(
        &mut self,
        by: &str,
        web_order_id: &str,
        (customer, locale): (&str, &str),
        distributor: Option<&str>,
        lines: &[DemoLine],
    ) -> anyhow::Result<Vec<SubRef>> {
        let actor = self.actor(by).await?;
        let distributor_id = match distributor {
            Some(name) => Some(
                self.app
                    .find_company(name, true)
                    .await?
                    .with_context(|| format!("no company {name}"))?
                    .id
                    .to_string(),
            ),
            None => None,
        };
        let today = self.today();
        let mut raw_lines = Vec::with_capacity(lines.len());
        for l in lines {
            raw_lines.push(RawLine {
                offer: l.offer.into(),
                quantity: l.quantity,
                requested_start_date: today.checked_add(l.rsd_in_days.days())?.to_string(),
                contact_email: l.contact.1.into(),
                contact_name: Some(l.contact.0.into()),
                locale: Some(l.locale.into()),
            });
        }
        let input = OrderInput {
            order: RawOrder {
                web_order_id: Some(web_order_id.into()),
                end_customer_name: customer.into(),
                locale: Some(locale.into()),
                lines: raw_lines,
            },
            distributor_id,
            ..OrderInput::default()
        };
        let order = self
            .app
            .create_order(&actor, input, None)
            .await
            .with_context(|| format!("placing {web_order_id}"))?
            .into_inner();
        let refs: Vec<SubRef> = order.lines.iter().map(|l| l.sub_ref.clone()).collect();
        self.lines.extend(refs.iter().cloned());
        self.tick().await?;
        Ok(refs)
    }

    /// Ends the replay: gives up any lease (there should be none) of its delivery.
    pub async fn finish(self) {
        self.delivery.shutdown().await;
    }
}
