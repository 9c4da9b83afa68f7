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
