//! Claims: due emails leased to one instance in batches, with their setup links; those the
//! domain finds overtaken by their line cancelled instead.
//!
//! What several instances need: the statement that selects due rows locks them as it
//! returns them (`FOR NO KEY UPDATE SKIP LOCKED`: abandoned leases, then due emails), so
//! two instances' claims take different emails and never wait on each other; a locked row
//! is the claim's until it commits, so the one `UPDATE` of the batch takes them by id. A
//! lease ends at an instant of the database's clock (`lease_now!`). The line facts the
//! domain's `overtaken` reads are not locked: a line action that changes the contact while
//! its email is claimed finds it `sending` (no longer waiting), as on SQLite when the claim
//! committed first.

use provisio_domain::Event;
use provisio_domain::delivery::overtaken;
use provisio_store::MailSubject;

use super::*;
use crate::case_writes::case_subject;
use crate::changes::{LineIds, contexts_by_id, email_columns, write_events};
use crate::lines::{email_from, opt_text, text};
use crate::outbox::lease_now;

/// A due email as claimed, before its subject is attached.
struct Due {
    email: EmailRecord,
    message_id: String,
    /// The line it is about, or the case's line.
    line_id: Option<String>,
    /// The case a case notice is about, and the comment it reports.
    case_id: Option<String>,
    comment_id: Option<String>,
}

/// The columns of a due email, and the rows `WHERE` names, locked.
macro_rules! due {
    ($($which:tt)+) => {
        concat!(
            "SELECT ",
            email_columns!(),
            ", e.message_id, coalesce(e.line_id, c.line_id) AS line_id, e.case_id,
               e.case_comment_id
             FROM emails e LEFT JOIN cases c ON c.id = e.case_id WHERE ",
            $($which)+,
            " FOR NO KEY UPDATE OF e SKIP LOCKED"
        )
    };
}

/// Emails whose lease ended by the database's clock (their instance is gone), by the lease's
/// end; `$1` as [`lease_now!`] takes it.
const DUE_ABANDONED: &str = due!(concat!(
    "e.lease_until < ",
    lease_now!(1),
    " ORDER BY e.lease_until LIMIT $2"
));

/// Emails due for an attempt by `$1` (business time), by when they became due.
const DUE_NOW: &str = due!("e.next_attempt_at <= $1 ORDER BY e.next_attempt_at LIMIT $2");

async fn select_due<T>(
    tx: &mut PgConnection,
    sql: &'static str,
    before: T,
    limit: i64,
) -> StoreResult<Vec<Due>>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
{
    let rows = sqlx::query(sql)
        .bind(before)
        .bind(limit)
        .fetch_all(tx)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Due {
                email: email_from(r, "e_")?,
                message_id: text(r, "message_id")?,
                line_id: opt_text(r, "line_id")?,
                case_id: opt_text(r, "case_id")?,
                comment_id: opt_text(r, "case_comment_id")?,
            })
        })
        .collect()
}

/// What a claim writes besides the emails it hands out.
#[derive(Default)]
struct Writes {
    taken: Vec<String>,
    /// Setup links: token hash, email id, line id.
    links: (Vec<String>, Vec<String>, Vec<String>),
    /// Overtaken emails with the event that says so, by line.
    cancelled: Vec<(String, LineIds, Event)>,
}

pub(crate) async fn claim(
    tx: &mut PgConnection,
    claim: &ClaimRequest,
) -> StoreResult<Vec<ClaimedEmail>> {
    let limit = i64::try_from(claim.token_hashes.len()).unwrap_or(i64::MAX);
    if limit == 0 {
        return Ok(vec![]);
    }
    // Abandoned leases first, then due emails in due order; each query walks its partial
    // index and stops at the limit.
    let mut due = select_due(
        tx,
        DUE_ABANDONED,
        crate::outbox::ahead_of_clock(claim.real_now),
        limit,
    )
    .await?;
    let left = limit - due.len() as i64;
    if left > 0 {
        due.extend(select_due(tx, DUE_NOW, Ts(claim.now), left).await?);
    }
    let lines = contexts_by_id(tx, due.iter().filter_map(|d| d.line_id.as_deref())).await?;
    let mut writes = Writes::default();
    let mut claimed = Vec::with_capacity(due.len());
    for d in due {
        let email_id = d.email.id.to_string();
        if let Some(case_id) = &d.case_id {
            // A case notice: nothing about a line can overtake it.
            let line = d.line_id.as_ref().and_then(|id| lines.get(id));
            let subject = case_subject(tx, case_id, d.comment_id.as_deref(), line).await?;
            writes.taken.push(email_id);
            claimed.push(ClaimedEmail {
                message_id: d.message_id,
                token: None,
                email: d.email,
                subject,
            });
            continue;
        }
        let Some(line_id) = d.line_id else {
            continue;
        };
        let Some((line, ids)) = lines.get(&line_id) else {
            continue;
        };
        let current = &line.line;
        if let Some(reason) = overtaken(
            d.email.kind,
            &current.state,
            &current.contact_email,
            &d.email.to,
        ) {
            let event = Event::EmailCancelled {
                email_id: d.email.id,
                reason,
            };
            let ids = LineIds {
                line_id: ids.line_id.clone(),
                order_id: ids.order_id.clone(),
                version: ids.version,
            };
            writes.cancelled.push((email_id, ids, event));
            continue;
        }
        // At most one email per hash is selected, so the hashes never run out.
        // A provisioning email carries a setup link.
        let token = if d.email.kind.traits().provisioning {
            let n = writes.links.0.len();
            writes.links.0.push(claim.token_hashes[n].clone());
            writes.links.1.push(email_id.clone());
            writes.links.2.push(line_id.clone());
            Some(n)
        } else {
            None
        };
        writes.taken.push(email_id);
        let subject = MailSubject::Line(Box::new(line.clone()));
        claimed.push(ClaimedEmail {
            message_id: d.message_id,
            token,
            email: d.email,
            subject,
        });
    }
    write(tx, claim, writes).await?;
    Ok(claimed)
}

/// Takes the claimed emails (leased to the claim's owner), writes their setup links (the
/// link of this attempt replaces that of an earlier failed attempt, SPEC §9), and cancels
/// the overtaken ones (their links revoked, the events written).
async fn write(tx: &mut PgConnection, claim: &ClaimRequest, writes: Writes) -> StoreResult<()> {
    let lease = claim.lease_until.duration_since(claim.real_now).as_micros();
    let lease = i64::try_from(lease).unwrap_or(i64::MAX).max(0);
    if !writes.taken.is_empty() {
        const TAKE: &str = concat!(
            "UPDATE emails SET state = 'sending', next_attempt_at = NULL, lease_owner = $3,
                 lease_until = ",
            lease_now!(1),
            " + $2 * interval '1 microsecond'
             WHERE id = ANY($4::text[])"
        );
        sqlx::query(TAKE)
            .bind(crate::outbox::ahead_of_clock(claim.real_now))
            .bind(lease)
            .bind(&claim.owner)
            .bind(&writes.taken)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let (hashes, emails, lines) = writes.links;
    if !hashes.is_empty() {
        sqlx::query(
            "INSERT INTO setup_links (token_hash, email_id, line_id, state, created_at)
             SELECT k.hash, k.email_id, k.line_id, 'live', $4
             FROM unnest($1::text[], $2::text[], $3::text[]) AS k (hash, email_id, line_id)
             ON CONFLICT (email_id) DO UPDATE SET token_hash = excluded.token_hash,
                 created_at = excluded.created_at",
        )
        .bind(&hashes)
        .bind(&emails)
        .bind(&lines)
        .bind(Ts(claim.now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    if writes.cancelled.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = writes
        .cancelled
        .iter()
        .map(|(id, _, _)| id.as_str())
        .collect();
    sqlx::query(
        "UPDATE emails SET state = 'cancelled', next_attempt_at = NULL, lease_owner = NULL,
             lease_until = NULL
         WHERE id = ANY($1::text[])",
    )
    .bind(&ids)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("UPDATE setup_links SET state = 'revoked' WHERE email_id = ANY($1::text[]) AND state = 'live'")
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    for (_, ids, event) in &writes.cancelled {
        write_events(tx, ids, std::slice::from_ref(event), None, claim.now).await?;
    }
    Ok(())
}
