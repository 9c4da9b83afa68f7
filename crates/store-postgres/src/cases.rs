//! Support cases as read: a case with its opener, company, claimer and line, its
//! conversation and attachments, lists, and an attachment's bytes. The writes (opening, and
//! a decision's effects over the case's version) are `case_writes.rs`.

use provisio_store::{AttachmentMeta, CaseOrder, CommentRecord, Entity};
use sqlx::postgres::PgRow;

use super::*;
use crate::changes::email_columns;
use crate::lines::{email_from, event_from, page, text};

/// The columns of a case with its opener, company, claimer and line.
macro_rules! case_select {
    () => {
        "SELECT c.seq, c.id, c.request_type, c.state, c.description, c.opened_at,
            c.first_answer_at, c.resolved_at, c.version, c.company_id, co.name AS co_name,
            co.kind AS co_kind, c.opened_by, ou.name AS ou_name, ou.email AS ou_email,
            ou.locale AS ou_locale, c.claimed_by, cu.name AS cu_name, cu.email AS cu_email,
            o.web_order_id, l.sub_ref
        FROM cases c
        JOIN companies co ON co.id = c.company_id
        JOIN users ou ON ou.id = c.opened_by
        LEFT JOIN users cu ON cu.id = c.claimed_by
        JOIN orders o ON o.id = c.order_id
        LEFT JOIN lines l ON l.id = c.line_id "
    };
}
pub(crate) use case_select;

pub(crate) use provisio_store::rows::CaseRow;

pub(crate) fn case_from(r: &PgRow) -> StoreResult<CaseRow> {
    provisio_store::rows::case_from(&crate::Pg(r))
}

/// The case `id` as it is now (no lock: a reader's).
pub(crate) async fn case_row(conn: &mut PgConnection, id: &str) -> StoreResult<Option<CaseRow>> {
    const SQL: &str = concat!(case_select!(), "WHERE c.id = $1");
    let row = sqlx::query(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.as_ref().map(case_from).transpose()
}

/// The case with its conversation and attachments.
pub(crate) async fn record(conn: &mut PgConnection, id: CaseId) -> StoreResult<Option<CaseRecord>> {
    let id = id.to_string();
    let Some(row) = case_row(conn, &id).await? else {
        return Ok(None);
    };
    let comments = sqlx::query(
        "SELECT k.id, k.author_id, u.name AS u_name, u.email AS u_email, k.internal, k.kind,
                k.body, k.data, k.at
         FROM case_comments k LEFT JOIN users u ON u.id = k.author_id
         WHERE k.case_id = $1 ORDER BY k.seq",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(comment_from)
    .collect::<StoreResult<Vec<_>>>()?;
    let attachments = sqlx::query(
        "SELECT n, filename, content_type, size FROM case_attachments WHERE case_id = $1
         ORDER BY n",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(meta_from)
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(row.into_record(comments, attachments)))
}

fn meta_from(r: &PgRow) -> StoreResult<AttachmentMeta> {
    provisio_store::rows::meta_from(&crate::Pg(r))
}

fn comment_from(r: &PgRow) -> StoreResult<CommentRecord> {
    provisio_store::rows::comment_from(&crate::Pg(r))
}

/// The filters of a [`CaseQuery`], bound as $1 … $6 by [`list`].
macro_rules! case_filters {
    () => {
        "WHERE ($1::text IS NULL OR c.company_id = $1)
           AND ($2::text[] IS NULL OR c.state = ANY($2))
           AND ($3::text IS NULL OR c.request_type = $3)
           AND ($4::text IS NULL OR l.sub_ref = $4)
           AND ($5::text IS NULL OR c.claimed_by = $5)
           AND (NOT $6 OR c.claimed_by IS NULL) "
    };
}

async fn list(conn: &mut PgConnection, q: &CaseQuery) -> StoreResult<Page<CaseSummary>> {
    let states: Option<Vec<String>> =
        (!q.states.is_empty()).then(|| q.states.iter().map(|s| s.as_str().to_owned()).collect());
    let sql = match q.order {
        CaseOrder::Newest => concat!(
            case_select!(),
            case_filters!(),
            "AND ($7::bigint IS NULL OR c.seq < $7) ORDER BY c.seq DESC LIMIT $8"
        ),
        CaseOrder::Oldest => concat!(
            case_select!(),
            case_filters!(),
            "AND ($7::bigint IS NULL OR c.seq > $7) ORDER BY c.seq ASC LIMIT $8"
        ),
    };
    let rows = sqlx::query(sql)
        .bind(q.company.map(|c| c.to_string()))
        .bind(states)
        .bind(q.request_type.map(|r| r.as_str()))
        .bind(q.line.as_ref().map(SubRef::as_str))
        .bind(q.claimed_by.map(|u| u.to_string()))
        .bind(q.unclaimed)
        .bind(q.page.after)
        .bind(i64::from(q.page.limit) + 1)
        .fetch_all(conn)
        .await
        .map_err(db)?;
    let found = rows
        .iter()
        .map(|r| {
            let row = case_from(r)?;
            Ok((row.seq, row.summary))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(found, q.page.limit))
}

async fn attachment(
    conn: &mut PgConnection,
    id: CaseId,
    n: u32,
) -> StoreResult<Option<AttachmentFile>> {
    // Numbers are 1 to 5: one beyond an integer is no attachment.
    let Ok(n) = i32::try_from(n) else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT c.company_id, a.n, a.filename, a.content_type, a.size, a.bytes
         FROM case_attachments a JOIN cases c ON c.id = a.case_id
         WHERE a.case_id = $1 AND a.n = $2",
    )
    .bind(id.to_string())
    .bind(n)
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(|r| {
        Ok(AttachmentFile {
            company: CompanyId::from_uuid(uuid(&text(&r, "company_id")?)?),
            meta: meta_from(&r)?,
            bytes: col(&r, "bytes")?,
        })
    })
    .transpose()
}

/// The case's notices, newest first (the same columns as a line's emails).
async fn emails(conn: &mut PgConnection, id: CaseId) -> StoreResult<Vec<EmailRecord>> {
    const SQL: &str = concat!(
        "SELECT ",
        email_columns!(),
        " FROM emails e WHERE e.case_id = $1 ORDER BY e.seq DESC"
    );
    let rows = sqlx::query(SQL)
        .bind(id.to_string())
        .fetch_all(conn)
        .await
        .map_err(db)?;
    rows.iter().map(|r| email_from(r, "e_")).collect()
}

/// The case's events, oldest first.
async fn events(conn: &mut PgConnection, id: CaseId) -> StoreResult<Vec<EventRecord>> {
    let rows = sqlx::query(
        "SELECT e.type, e.at, e.data, u.email AS actor_email, u.name AS actor_name,
                u.role AS actor_role
         FROM events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.case_id = $1 ORDER BY e.seq",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.iter().map(event_from).collect()
}

/// A connection of the pool for a read.
async fn reader(store: &PgStore) -> StoreResult<sqlx::pool::PoolConnection<Postgres>> {
    store.pool.acquire().await.map_err(db)
}

#[async_trait]
impl Cases for PgStore {
    async fn open_case(
        &self,
        new: NewCaseRecord,
        decide: OpenRule<'_>,
    ) -> StoreResult<Result<CaseRecord, provisio_domain::Refusal>> {
        let mut tx = self.begin().await?;
        let opened = crate::case_open::open(&mut tx, &new, decide).await?;
        let id = match opened {
            Ok(id) => id,
            // A refusal writes nothing: the transaction rolls back as it is dropped.
            Err(refusal) => return Ok(Err(refusal)),
        };
        tx.commit().await.map_err(db)?;
        self.case(id)
            .await?
            .map(Ok)
            .ok_or(StoreError::NotFound { what: Entity::Case })
    }
    async fn update_case(
        &self,
        id: CaseId,
        actor: Option<UserId>,
        now: Timestamp,
        decide: CaseRule<'_>,
    ) -> StoreResult<Option<Result<CaseRecord, provisio_domain::Refusal>>> {
        let mut tx = self.begin().await?;
        let done = crate::case_writes::update(&mut tx, id, actor, now, decide).await?;
        match done {
            None => Ok(None),
            Some(Err(refusal)) => Ok(Some(Err(refusal))),
            Some(Ok(())) => {
                tx.commit().await.map_err(db)?;
                Ok(self.case(id).await?.map(Ok))
            }
        }
    }
    async fn case(&self, id: CaseId) -> StoreResult<Option<CaseRecord>> {
        record(&mut *reader(self).await?, id).await
    }
    async fn list_cases(&self, query: &CaseQuery) -> StoreResult<Page<CaseSummary>> {
        list(&mut *reader(self).await?, query).await
    }
    async fn case_attachment(&self, id: CaseId, n: u32) -> StoreResult<Option<AttachmentFile>> {
        attachment(&mut *reader(self).await?, id, n).await
    }
    async fn case_emails(&self, id: CaseId) -> StoreResult<Vec<EmailRecord>> {
        emails(&mut *reader(self).await?, id).await
    }
    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<EventRecord>> {
        events(&mut *reader(self).await?, id).await
    }
}
