//! Mail into the outbox: one statement puts every mail of a write in, whatever its subject
//! (a line's mail, a case's notice), and returns the rows as written.

use std::collections::HashMap;

use jiff::Timestamp;
use provisio_domain::NewMail;
use provisio_store::{EmailRecord, StoreError, StoreResult};
use sqlx::PgConnection;

use crate::changes::email_columns;
use crate::lines::{email_from, text};
use crate::{Ts, db};

/// What an outbox row is about: its line, or its case (the row's subject, as the mail's kind
/// declares it).
#[derive(Clone)]
pub(crate) struct MailRow<'a> {
    pub line_id: Option<&'a str>,
    pub case_id: Option<String>,
}

impl<'a> MailRow<'a> {
    pub(crate) fn line(line_id: &'a str) -> Self {
        Self {
            line_id: Some(line_id),
            case_id: None,
        }
    }

    /// A case notice: about the case its mail names.
    pub(crate) fn of(mail: &NewMail) -> Self {
        Self {
            line_id: None,
            case_id: mail.case.map(|c| c.case.to_string()),
        }
    }
}

/// One mail to put into the outbox, queued at `at`.
pub(crate) struct QueuedMail<'a> {
    pub row: MailRow<'a>,
    pub mail: &'a NewMail,
    pub at: Timestamp,
}

/// Puts one mail into the outbox.
pub(crate) async fn insert_email(
    tx: &mut PgConnection,
    row: MailRow<'_>,
    mail: &NewMail,
    now: Timestamp,
) -> StoreResult<EmailRecord> {
    let mut written = insert_emails(tx, &[QueuedMail { row, mail, at: now }]).await?;
    written.pop().ok_or(StoreError::NotFound {
        what: provisio_store::Entity::Email,
    })
}

/// Puts mail into the outbox in one statement; returns the rows as written, in the order
/// given. A unique violation (`emails_one_initial`: another writer queued a line's initial
/// email first) is `Retryable`: run again, the decision sees that email.
pub(crate) async fn insert_emails(
    tx: &mut PgConnection,
    mails: &[QueuedMail<'_>],
) -> StoreResult<Vec<EmailRecord>> {
    if mails.is_empty() {
        return Ok(vec![]);
    }
    let c = Columns::of(mails);
    const SQL: &str = concat!(
        "INSERT INTO emails AS e (id, kind, subject, line_id, case_id, case_comment_id,
                 for_case, recipient, recipient_name, locale, requested_by, message_id, state,
                 queued_at, next_attempt_at, handed_off_from, handed_off_to, last_email)
         SELECT m.id, m.kind, m.subject, m.line_id, m.case_id, m.case_comment_id, m.for_case,
                m.recipient, m.recipient_name, m.locale, m.requested_by, m.message_id, 'queued',
                m.queued_at, m.queued_at, m.handed_off_from, m.handed_off_to, m.last_email
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                     $13::timestamptz[], $14::text[], $15::text[], $16::boolean[])
             WITH ORDINALITY AS m (id, kind, subject, line_id, case_id, case_comment_id,
                 for_case, recipient, recipient_name, locale, requested_by, message_id,
                 queued_at, handed_off_from, handed_off_to, last_email, n)
         ORDER BY m.n
         RETURNING ",
        email_columns!()
    );
    let rows = sqlx::query(SQL)
        .bind(&c.ids)
        .bind(&c.kinds)
        .bind(&c.subjects)
        .bind(&c.line_ids)
        .bind(&c.case_ids)
        .bind(&c.comment_ids)
        .bind(&c.for_case)
        .bind(&c.recipients)
        .bind(&c.names)
        .bind(&c.locales)
        .bind(&c.requested_by)
        .bind(&c.message_ids)
        .bind(&c.queued_at)
        .bind(&c.from)
        .bind(&c.to)
        .bind(&c.last_email)
        .fetch_all(tx)
        .await
        .map_err(|e| match crate::unique_violation(&e) {
            // Another writer queued a line's initial email first (as SQLite, any unique key
            // of the outbox that a new row breaks is a lost race).
            Some(key) => {
                StoreError::Retryable(format!("the outbox already has this email ({key})"))
            }
            None => db(e),
        })?;
    let mut written: HashMap<String, EmailRecord> = rows
        .iter()
        .map(|r| Ok((text(r, "e_id")?, email_from(r, "e_")?)))
        .collect::<StoreResult<_>>()?;
    c.ids
        .iter()
        .map(|id| {
            written.remove(id).ok_or(StoreError::NotFound {
                what: provisio_store::Entity::Email,
            })
        })
        .collect()
}

/// The mail as the columns of [`insert_emails`]' statement.
#[derive(Default)]
struct Columns<'a> {
    ids: Vec<String>,
    kinds: Vec<&'static str>,
    subjects: Vec<&'static str>,
    line_ids: Vec<Option<&'a str>>,
    case_ids: Vec<Option<String>>,
    comment_ids: Vec<Option<String>>,
    for_case: Vec<Option<String>>,
    recipients: Vec<&'a str>,
    names: Vec<Option<&'a str>>,
    locales: Vec<&'static str>,
    requested_by: Vec<Option<String>>,
    message_ids: Vec<&'a str>,
    queued_at: Vec<Ts>,
    from: Vec<Option<&'a str>>,
    to: Vec<Option<&'a str>>,
    last_email: Vec<bool>,
}

impl<'a> Columns<'a> {
    fn of(mails: &'a [QueuedMail<'a>]) -> Self {
        let mut c = Self::default();
        for QueuedMail { row, mail, at } in mails {
            c.ids.push(mail.id.to_string());
            c.kinds.push(mail.kind.as_str());
            c.subjects.push(mail.kind.subject().as_str());
            c.line_ids.push(row.line_id);
            c.case_ids.push(row.case_id.clone());
            c.comment_ids
                .push(mail.case.and_then(|k| k.comment).map(|k| k.to_string()));
            c.for_case.push(mail.for_case.map(|k| k.to_string()));
            c.recipients.push(mail.to.email.as_str());
            c.names.push(mail.to.name.as_deref());
            c.locales.push(mail.to.locale.as_str());
            c.requested_by
                .push(mail.requested_by.map(|u| u.to_string()));
            c.message_ids.push(&mail.message_id);
            c.queued_at.push(Ts(*at));
            c.from.push(mail.hand_off.as_ref().map(|h| h.from.as_str()));
            c.to.push(mail.hand_off.as_ref().map(|h| h.to.as_str()));
            c.last_email.push(mail.kind.traits().provisioning);
        }
        c
    }
}
