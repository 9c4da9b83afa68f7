//! The one mapping of stored rows to domain values, for every backend: a backend says how to
//! read a column of its rows ([`Columns`]: SQLite keeps instants as text and flags as 0/1,
//! PostgreSQL as `timestamptz` and `boolean`), and the lines, emails, companies and events
//! are made from them here, the same way for both. A value that does not parse is corrupt
//! data, never the caller's fault.

use jiff::Timestamp;
use jiff::civil::Date;
use provisio_domain::{
    ClosedReason, CompanyId, CompanyKind, ContactEmail, EmailKind, EmailState, LineState,
    LineStatus, Locale, OfferSku, Role, Stage, SubRef, UserId, WebOrderId,
};

use crate::{
    Company, EmailRecord, EventRecord, HandOff, Line, LineContext, Organization, Person,
    StoreError, StoreResult,
};

pub use crate::rows_cases::{CaseRow, case_from, comment_from, meta_from, note_row};

/// A row read by column name, as its backend stores the values.
pub trait Columns {
    fn text(&self, name: &str) -> StoreResult<String>;
    fn opt_text(&self, name: &str) -> StoreResult<Option<String>>;
    fn int(&self, name: &str) -> StoreResult<i64>;
    fn flag(&self, name: &str) -> StoreResult<bool>;
    fn instant(&self, name: &str) -> StoreResult<Timestamp>;
    fn opt_instant(&self, name: &str) -> StoreResult<Option<Timestamp>>;
    /// A text column handed to `parse` without keeping it (a backend that can lend the
    /// row's bytes makes no copy: a scan of a million lines' states parses ~3 million).
    fn parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> T) -> StoreResult<T> {
        Ok(parse(&self.text(name)?))
    }
    /// [`Columns::parsed`] of a column that may be NULL.
    fn opt_parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> T) -> StoreResult<Option<T>> {
        Ok(self.opt_text(name)?.as_deref().map(parse))
    }
}

/// The columns [`state_from`] reads of a line aliased `l`, no more: for a scan that only
/// decides (a policy's preview reads a million lines; every column read costs). Both
/// backends' SQL names the same columns.
#[macro_export]
macro_rules! line_state_values {
    () => {
        "l.stage, l.status, l.closed_reason, l.closed_at, l.rsd_start_at, l.first_sent_at,
         l.closes_at, l.initial_queued"
    };
}

/// [`line_state_values!`] with the line's ids and version, which a write over the version
/// read needs.
#[macro_export]
macro_rules! line_state_columns {
    () => {
        concat!(
            "l.id, l.order_id, l.version, ",
            $crate::line_state_values!()
        )
    };
}

/// Parses a stored value with the domain's parser; a failure means corrupt data.
pub fn stored<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> StoreResult<T> {
    r.map_err(|e| StoreError::corrupt(format!("{what}: {e}")))
}

/// A stored id.
pub fn uuid(s: &str) -> StoreResult<uuid::Uuid> {
    stored("id", uuid::Uuid::parse_str(s))
}

/// A user's id, or none.
pub fn opt_user(row: &impl Columns, name: &str) -> StoreResult<Option<UserId>> {
    row.opt_text(name)?
        .map(|id| uuid(&id).map(UserId::from_uuid))
        .transpose()
}

/// A company from the columns `{prefix}id`, `{prefix}name`, `{prefix}kind`.
pub fn company_from(row: &impl Columns, prefix: &str) -> StoreResult<Company> {
    let get = |c: &str| row.text(&format!("{prefix}{c}"));
    Ok(Company {
        id: CompanyId::from_uuid(uuid(&get("id")?)?),
        name: get("name")?,
        kind: stored("company kind", CompanyKind::parse(&get("kind")?))?,
    })
}

/// A line's provisioning contact from its columns `contact_email`, `contact_name`, `locale`.
pub fn contact_from(row: &impl Columns) -> StoreResult<provisio_domain::Recipient> {
    Ok(provisio_domain::Recipient {
        email: stored(
            "contact",
            row.parsed("contact_email", ContactEmail::from_stored)?,
        )?,
        name: row.opt_text("contact_name")?,
        locale: stored("locale", row.parsed("locale", Locale::parse)?)?,
    })
}

/// A line's state from its columns `stage`, `status`, `closed_reason`, `closed_at`,
/// `rsd_start_at`, `first_sent_at`, `closes_at`, `initial_queued`.
pub fn state_from(row: &impl Columns) -> StoreResult<LineState> {
    Ok(LineState {
        stage: stored("stage", row.parsed("stage", Stage::parse)?)?,
        status: stored("status", row.parsed("status", LineStatus::parse)?)?,
        closed_reason: row
            .opt_parsed("closed_reason", ClosedReason::parse)?
            .map(|r| stored("closed reason", r))
            .transpose()?,
        closed_at: row.opt_instant("closed_at")?,
        rsd_start: row.instant("rsd_start_at")?,
        first_sent_at: row.opt_instant("first_sent_at")?,
        closes_at: row.opt_instant("closes_at")?,
        initial_queued: row.flag("initial_queued")?,
    })
}

/// A line from its columns, its last email's prefixed `le_`.
pub fn line_from(row: &impl Columns) -> StoreResult<Line> {
    let organization = match (
        row.opt_text("organization_id")?,
        row.opt_text("organization_name")?,
    ) {
        (Some(id), Some(name)) => Some(Organization { id, name }),
        _ => None,
    };
    Ok(Line {
        sub_ref: stored("sub_ref", row.parsed("sub_ref", SubRef::parse)?)?,
        line_number: stored("line number", u32::try_from(row.int("line_number")?))?,
        offer: stored("offer", row.parsed("offer", OfferSku::parse)?)?,
        quantity: stored("quantity", u32::try_from(row.int("quantity")?))?,
        requested_start_date: stored(
            "date",
            row.parsed("requested_start_date", str::parse::<Date>)?,
        )?,
        contact_email: stored(
            "contact",
            row.parsed("contact_email", ContactEmail::from_stored)?,
        )?,
        contact_name: row.opt_text("contact_name")?,
        locale: stored("locale", row.parsed("locale", Locale::parse)?)?,
        state: state_from(row)?,
        organization,
        last_email: match row.opt_parsed("le_id", |_| ())? {
            Some(()) => Some(email_from(row, "le_")?),
            None => None,
        },
    })
}

/// An email from columns named `{prefix}id`, `{prefix}kind`, …, `{prefix}handed_off_from` /
/// `_to`: the hand-off a `handed_off` notice reports (always there), or that a
/// `contact_changed` email to the colleague names (there when the change was a hand-off).
pub fn email_from(row: &impl Columns, prefix: &str) -> StoreResult<EmailRecord> {
    let row = &Prefixed { row, prefix };
    let kind = stored("email kind", row.parsed("kind", EmailKind::parse)?)?;
    let hand_off = match (
        row.opt_parsed("handed_off_from", ContactEmail::from_stored)?,
        row.opt_parsed("handed_off_to", ContactEmail::from_stored)?,
    ) {
        (Some(from), Some(to)) => Some(HandOff {
            from: stored("handed off from", from)?,
            to: stored("handed off to", to)?,
        }),
        _ if kind == EmailKind::HandedOff => {
            return Err(StoreError::corrupt(
                "a handed_off notice without its hand-off",
            ));
        }
        _ => None,
    };
    Ok(EmailRecord {
        id: stored("id", row.parsed("id", uuid::Uuid::parse_str)?)?,
        kind,
        to: stored(
            "recipient",
            row.parsed("recipient", ContactEmail::from_stored)?,
        )?,
        state: stored("email state", row.parsed("state", EmailState::parse)?)?,
        attempts: stored("attempts", u32::try_from(row.int("attempts")?))?,
        queued_at: row.instant("queued_at")?,
        sent_at: row.opt_instant("sent_at")?,
        // A transport without replies (a file) records none.
        last_reply: row.opt_text("last_reply")?.filter(|r| !r.is_empty()),
        to_name: row.opt_text("recipient_name")?,
        locale: stored("email locale", row.parsed("locale", Locale::parse)?)?,
        hand_off,
        requested_by: opt_user(row, "requested_by")?,
    })
}

/// The columns `{prefix}{name}` of a row (a joined table's, e.g. `le_` for a line's last
/// email), each name put together on the stack: an order of 1,000 lines reads 13,000 of
/// them, and a `String` each was a twentieth of its time.
struct Prefixed<'r, R> {
    row: &'r R,
    prefix: &'r str,
}

impl<R: Columns> Prefixed<'_, R> {
    fn named<T>(&self, name: &str, read: impl FnOnce(&R, &str) -> T) -> T {
        let (prefix, name_bytes) = (self.prefix.as_bytes(), name.as_bytes());
        let len = prefix.len() + name_bytes.len();
        let mut buf = [0u8; 64];
        if len > buf.len() {
            return read(self.row, &format!("{}{name}", self.prefix));
        }
        buf[..prefix.len()].copy_from_slice(prefix);
        buf[prefix.len()..len].copy_from_slice(name_bytes);
        // Two strings' bytes one after the other are UTF-8: the default is never taken.
        read(
            self.row,
            std::str::from_utf8(&buf[..len]).unwrap_or_default(),
        )
    }
}

impl<R: Columns> Columns for Prefixed<'_, R> {
    fn text(&self, name: &str) -> StoreResult<String> {
        self.named(name, |row, n| row.text(n))
    }
    fn opt_text(&self, name: &str) -> StoreResult<Option<String>> {
        self.named(name, |row, n| row.opt_text(n))
    }
    fn int(&self, name: &str) -> StoreResult<i64> {
        self.named(name, |row, n| row.int(n))
    }
    fn flag(&self, name: &str) -> StoreResult<bool> {
        self.named(name, |row, n| row.flag(n))
    }
    fn instant(&self, name: &str) -> StoreResult<Timestamp> {
        self.named(name, |row, n| row.instant(n))
    }
    fn opt_instant(&self, name: &str) -> StoreResult<Option<Timestamp>> {
        self.named(name, |row, n| row.opt_instant(n))
    }
    fn parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> T) -> StoreResult<T> {
        self.named(name, |row, n| row.parsed(n, parse))
    }
    fn opt_parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> T) -> StoreResult<Option<T>> {
        self.named(name, |row, n| row.opt_parsed(n, parse))
    }
}

/// A line with its order's context: partner `p_`, distributor `d_`, whether it serves the
/// partner (`serves`), the ordering contact `pu_`.
pub fn context_from(row: &impl Columns) -> StoreResult<LineContext> {
    let distributor = match row.opt_text("d_id")? {
        Some(_) => Some(company_from(row, "d_")?),
        None => None,
    };
    Ok(LineContext {
        line: line_from(row)?,
        web_order_id: stored(
            "web order id",
            WebOrderId::parse(&row.text("web_order_id")?),
        )?,
        end_customer: row.text("end_customer_name")?,
        partner: company_from(row, "p_")?,
        distributor,
        distributor_serves_partner: row.flag("serves")?,
        placed_by: Person {
            id: UserId::from_uuid(uuid(&row.text("placed_by")?)?),
            name: row.text("pu_name")?,
            email: row.text("pu_email")?,
        },
    })
}

/// An event row with its actor (joined from users as `actor_*`).
pub fn event_from(row: &impl Columns) -> StoreResult<EventRecord> {
    Ok(EventRecord {
        kind: row.text("type")?,
        at: row.instant("at")?,
        actor_email: row.opt_text("actor_email")?,
        actor_name: row.opt_text("actor_name")?,
        actor_role: row
            .opt_text("actor_role")?
            .map(|role| stored("role", Role::parse(&role)))
            .transpose()?,
        data: stored("event data", serde_json::from_str(&row.text("data")?))?,
    })
}
