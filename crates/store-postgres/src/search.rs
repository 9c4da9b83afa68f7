//! The search index (migration 0003): each line's [`SearchText`] in `line_search` (seq =
//! `lines.seq`) under a `pg_trgm` GIN index, written with the line and again when its
//! contact changes, and the pattern a [`Search`] is looked up with. What matches is the
//! domain's rule (`provisio_domain::search`); the index only finds it fast.

use provisio_domain::search::{Search, SearchText};
use provisio_store::StoreResult;
use sqlx::{PgConnection, PgPool, Row};

use crate::db;

/// Lines indexed per transaction when the store indexes those stored before the index was.
const BACKFILL_BATCH: i64 = 10_000;

/// The LIKE pattern that finds `search` anywhere in a text: its wildcards taken literally
/// (the text is folded already, so LIKE, not ILIKE). `pg_trgm` looks up the pattern's
/// trigrams; a term of fewer than three characters is checked line by line.
pub(crate) fn like(search: &Search) -> String {
    let escaped = search
        .folded()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Writes again the text of the line `line_id` from what is stored of it and its order (after
/// its contact changed).
pub(crate) async fn reindex_line(tx: &mut PgConnection, line_id: &str) -> StoreResult<()> {
    let row = sqlx::query(
        "SELECT l.seq, l.sub_ref, l.contact_email, o.web_order_id, o.end_customer_name
         FROM lines l JOIN orders o ON o.id = l.order_id WHERE l.id = $1",
    )
    .bind(line_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    if let Some(row) = row {
        let (seq, text) = text_of(&row).map_err(db)?;
        sqlx::query("UPDATE line_search SET search = $1 WHERE seq = $2")
            .bind(text.as_str())
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    Ok(())
}

fn text_of(row: &sqlx::postgres::PgRow) -> Result<(i64, SearchText), sqlx::Error> {
    let text = SearchText::of_line(
        row.try_get("sub_ref")?,
        row.try_get("contact_email")?,
        row.try_get("web_order_id")?,
        row.try_get("end_customer_name")?,
    );
    Ok((row.try_get("seq")?, text))
}

/// Indexes the lines stored before the index existed, a batch per transaction; of several
/// instances starting at once, one does each batch (the row is locked) and the others find it
/// done. Started again, it goes on where it stopped. Returns how many lines it indexed.
pub(crate) async fn backfill(pool: &PgPool) -> StoreResult<u64> {
    let mut indexed = 0;
    loop {
        let mut tx = pool.begin().await.map_err(db)?;
        let pending = sqlx::query("SELECT after, upto FROM search_backfill FOR UPDATE")
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let Some(pending) = pending else {
            return Ok(indexed);
        };
        let after: i64 = pending.try_get("after").map_err(db)?;
        let upto: i64 = pending.try_get("upto").map_err(db)?;
        let done = match index_batch(&mut tx, after, upto).await? {
            Some((last, n)) => {
                sqlx::query("UPDATE search_backfill SET after = $1")
                    .bind(last)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                indexed += n;
                false
            }
            None => {
                sqlx::query("DELETE FROM search_backfill")
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                true
            }
        };
        tx.commit().await.map_err(db)?;
        if done {
            return Ok(indexed);
        }
    }
}

/// Indexes every line the transaction holds, afresh (`db copy` writes lines without their
/// texts, which are derived, and commits them with this).
pub(crate) async fn index_all(tx: &mut PgConnection) -> StoreResult<()> {
    sqlx::raw_sql("DELETE FROM line_search; DELETE FROM search_backfill")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut after = 0;
    while let Some((last, _)) = index_batch(tx, after, i64::MAX).await? {
        after = last;
    }
    Ok(())
}

/// Indexes the next batch of lines with after < seq <= upto; the last seq indexed and how many
/// were, or `None` when there were none.
async fn index_batch(
    tx: &mut PgConnection,
    after: i64,
    upto: i64,
) -> StoreResult<Option<(i64, u64)>> {
    let rows = sqlx::query(
        "SELECT l.seq, l.sub_ref, l.contact_email, o.web_order_id, o.end_customer_name
         FROM lines l JOIN orders o ON o.id = l.order_id
         WHERE l.seq > $1 AND l.seq <= $2 ORDER BY l.seq LIMIT $3",
    )
    .bind(after)
    .bind(upto)
    .bind(BACKFILL_BATCH)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let mut seqs = Vec::with_capacity(rows.len());
    let mut texts = Vec::with_capacity(rows.len());
    for row in &rows {
        let (seq, text) = text_of(row).map_err(db)?;
        seqs.push(seq);
        texts.push(text.as_str().to_owned());
    }
    let Some(last) = seqs.last().copied() else {
        return Ok(None);
    };
    insert(tx, &seqs, &texts).await?;
    Ok(Some((last, seqs.len() as u64)))
}

/// Writes the texts of the lines stored as `seqs`.
async fn insert(tx: &mut PgConnection, seqs: &[i64], texts: &[String]) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO line_search (seq, search) SELECT * FROM unnest($1::bigint[], $2::text[])",
    )
    .bind(seqs)
    .bind(texts)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    Ok(())
}
