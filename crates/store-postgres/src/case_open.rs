//! Opening a support case: reading, inside the writing transaction, what the domain's
//! opening decision needs, then writing the case, its attachments and the decision's effects.
//!
//! What several instances need: the line's row is locked while its open cases are read (an
//! opening and a line action, or two openings, take turns), the opener's row while their
//! openings of the last hour are counted (the rate limit holds across instances); the
//! unique key `cases_one_open` stays the last line of defence.

use provisio_domain::case::{Opener, OpeningFacts};
use provisio_domain::rate_limit::WINDOW;
use provisio_domain::{CaseId, CompanyId, ContactEmail, Locale, Recipient, Refusal, UserId};
use provisio_store::{Entity, NewCaseRecord, OpenRule, StoreError, StoreResult};
use sqlx::PgConnection;

use crate::case_writes::write_case_effects;
use crate::lines::{opt_text, text};
use crate::{Ts, col_ts, db, stored, unique_violation, uuid};

/// The opener, their row locked until the opening's transaction ends: two openings by one
/// person (on two instances) take turns, so the second counts the first.
async fn opener(tx: &mut PgConnection, user: UserId) -> StoreResult<Opener> {
    let row = sqlx::query(
        "SELECT company_id, email, name, locale FROM users WHERE id = $1 FOR NO KEY UPDATE",
    )
    .bind(user.to_string())
    .fetch_optional(tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound { what: Entity::User })?;
    let locale = match opt_text(&row, "locale")? {
        Some(l) => stored("locale", Locale::parse(&l))?,
        None => Locale::En,
    };
    Ok(Opener {
        user,
        company: CompanyId::from_uuid(uuid(&text(&row, "company_id")?)?),
        to: Recipient {
            email: stored("email", ContactEmail::from_stored(&text(&row, "email")?))?,
            name: Some(text(&row, "name")?),
            locale,
        },
    })
}

/// What the opening decision reads: the opener's openings of the last hour, and the open
/// cases of the line and request type by company (the line's row locked meanwhile).
async fn opening_facts(
    tx: &mut PgConnection,
    new: &NewCaseRecord,
    line_id: Option<&str>,
) -> StoreResult<OpeningFacts> {
    let opened_recently =
        sqlx::query("SELECT opened_at FROM cases WHERE opened_by = $1 AND opened_at > $2")
            .bind(new.opener.to_string())
            .bind(Ts(new.now - WINDOW))
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?
            .iter()
            .map(|r| col_ts(r, "opened_at"))
            .collect::<StoreResult<Vec<_>>>()?;
    let open_for_line = match line_id {
        Some(line) => sqlx::query_as::<_, (String, String)>(
            "SELECT id, company_id FROM cases
             WHERE line_id = $1 AND request_type = $2 AND state <> 'resolved'
             ORDER BY seq",
        )
        .bind(line)
        .bind(new.request_type.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .into_iter()
        .map(|(id, company)| {
            Ok((
                CaseId::from_uuid(uuid(&id)?),
                CompanyId::from_uuid(uuid(&company)?),
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?,
        None => vec![],
    };
    Ok(OpeningFacts {
        opened_recently,
        open_for_line,
    })
}

pub(crate) async fn open(
    tx: &mut PgConnection,
    new: &NewCaseRecord,
    decide: OpenRule<'_>,
) -> StoreResult<Result<CaseId, Refusal>> {
    let order_id: String = sqlx::query_scalar("SELECT id FROM orders WHERE web_order_id = $1")
        .bind(new.order.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound {
            what: Entity::Order,
        })?;
    let line_id: Option<String> = match &new.line {
        Some(sub_ref) => Some(
            sqlx::query_scalar(
                "SELECT id FROM lines WHERE sub_ref = $1 AND order_id = $2 FOR NO KEY UPDATE",
            )
            .bind(sub_ref.as_str())
            .bind(&order_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound { what: Entity::Line })?,
        ),
        None => None,
    };
    let opener = opener(tx, new.opener).await?;
    let facts = opening_facts(tx, new, line_id.as_deref()).await?;
    let opened = match decide(&facts, opener) {
        Ok(o) => o,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let case = &opened.case;
    let case_id = case.id.to_string();
    sqlx::query(
        "INSERT INTO cases (id, request_type, state, company_id, opened_by, order_id, line_id,
             description, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&case_id)
    .bind(case.request_type.as_str())
    .bind(case.state.as_str())
    .bind(case.opener.company.to_string())
    .bind(case.opener.user.to_string())
    .bind(&order_id)
    .bind(&line_id)
    .bind(&new.description)
    .bind(Ts(new.now))
    .execute(&mut *tx)
    .await
    .map_err(|e| match unique_violation(&e) {
        // Another opener's case for the same line and request committed first.
        Some(_) => StoreError::Retryable("an open case was opened first".into()),
        None => db(e),
    })?;
    if !new.attachments.is_empty() {
        let n: Vec<i32> = (1..=new.attachments.len())
            .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
            .collect();
        let names: Vec<&str> = new
            .attachments
            .iter()
            .map(|a| a.filename.as_str())
            .collect();
        let types: Vec<&str> = new
            .attachments
            .iter()
            .map(|a| a.content_type.as_str())
            .collect();
        let sizes: Vec<i32> = new
            .attachments
            .iter()
            .map(|a| i32::try_from(a.bytes.len()).unwrap_or(i32::MAX))
            .collect();
        let bytes: Vec<&[u8]> = new.attachments.iter().map(|a| a.bytes.as_slice()).collect();
        sqlx::query(
            "INSERT INTO case_attachments (case_id, n, filename, content_type, size, bytes)
             SELECT $1, a.n, a.filename, a.content_type, a.size, a.bytes
             FROM unnest($2::integer[], $3::text[], $4::text[], $5::integer[], $6::bytea[])
                 AS a (n, filename, content_type, size, bytes)",
        )
        .bind(&case_id)
        .bind(&n)
        .bind(&names)
        .bind(&types)
        .bind(&sizes)
        .bind(&bytes)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    write_case_effects(tx, &opened.effects, Some(new.opener), new.now).await?;
    Ok(Ok(case.id))
}
