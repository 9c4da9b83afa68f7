//! The store conformance story on a fresh SQLite file.

use provisio_store::Store;
use provisio_store_sqlite::SqliteStore;

#[tokio::test]
async fn sqlite_passes_the_store_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("provisio.sqlite"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    provisio_store::conformance::story(&store).await;
}

#[tokio::test]
async fn an_in_memory_database_is_refused_with_a_clear_message() {
    // The direct writer, its readers and the sqlx pools must all see one database.
    for url in ["sqlite::memory:", "sqlite://:memory:"] {
        let err = SqliteStore::open_url(url)
            .await
            .err()
            .map(|e| e.to_string());
        let err = err.unwrap_or_else(|| panic!("{url} was accepted"));
        assert!(
            err.contains("in-memory SQLite database is not supported"),
            "{err}"
        );
    }
}
