//! The WAL kept within bounds: under sustained writes and readers, cut back by the next
//! write after a restart, emptied when nothing writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::params;

use super::*;

/// In memory where the machine has it: the checkpoints' fsyncs would make these slow on a
/// busy disk, and durability is not what is tested.
fn scratch() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

/// A writer on a table `t`, its WAL bounded by [`LIMIT`] bytes, checkpointed every `every`.
fn writer(dir: &tempfile::TempDir, every: Duration) -> (Writer, std::path::PathBuf) {
    let path = dir.path().join("w.sqlite");
    let bounds = WalBounds {
        limit_bytes: LIMIT,
        every,
    };
    let writer = Writer::open(&path, Duration::from_secs(5), bounds).unwrap();
    writer
        .transaction(|tx| {
            tx.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)")
                .map_err(db)
        })
        .unwrap();
    (writer, wal_file(&path))
}

/// Writes `rows` rows of 2,000 bytes in one transaction.
fn write_rows(writer: &Writer, rows: u32) {
    let pad = "x".repeat(2000);
    writer
        .transaction(|tx| {
            for n in 0..rows {
                tx.execute(
                    "INSERT OR REPLACE INTO t (n, pad) VALUES (?, ?)",
                    params![n, pad],
                )
                .map_err(db)?;
            }
            Ok(())
        })
        .unwrap();
}

fn size(file: &std::path::Path) -> u64 {
    std::fs::metadata(file).map_or(0, |m| m.len())
}

/// The WAL limit of these tests.
const LIMIT: u64 = 256 * 1024;

/// A writer (checkpointed every `every`) whose WAL holds one transaction of 2,000 rows, many
/// times [`LIMIT`]: the writer, the WAL file and its size.
fn grown(every: Duration) -> (tempfile::TempDir, Writer, std::path::PathBuf, u64) {
    let dir = scratch();
    let (writer, wal) = writer(&dir, every);
    write_rows(&writer, 2000);
    let grown = size(&wal);
    assert!(
        grown > 4 * LIMIT,
        "the WAL holds the transaction: {grown} bytes"
    );
    (dir, writer, wal, grown)
}

/// Sustained writes while readers keep the WAL in use all the time: the WAL stays within
/// a few times its limit instead of growing with everything written.
#[test]
fn the_wal_stays_bounded_under_sustained_writes_and_readers() {
    let dir = scratch();
    let (writer, wal) = writer(&dir, Duration::from_millis(20));
    let path = dir.path().join("w.sqlite");
    let stop = Arc::new(AtomicBool::new(false));
    // Readers that always hold a snapshot, overlapping each other.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (path, stop) = (path.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut conn =
                    Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let tx = conn.transaction().unwrap();
                    let _: i64 = tx
                        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                        .unwrap();
                    std::thread::sleep(Duration::from_millis(3));
                    tx.commit().unwrap();
                }
            })
        })
        .collect();
    let pad = "x".repeat(2000);
    let mut largest = 0;
    // About 16 MiB of pages through the WAL, 64 times its limit.
    for batch in 0..800 {
        writer
            .transaction(|tx| {
                for i in 0..10 {
                    tx.execute(
                        "INSERT OR REPLACE INTO t (n, pad) VALUES (?, ?)",
                        params![(batch * 10 + i) % 500, pad],
                    )
                    .map_err(db)?;
                }
                Ok(())
            })
            .unwrap();
        largest = largest.max(size(&wal));
        // Sustained, not a burst: the checkpoint thread runs beside, as in a server.
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(
        largest < 16 * LIMIT,
        "the WAL grew to {largest} bytes (limit {LIMIT})"
    );
}

/// A restarted WAL keeps its file, cut back to the limit by the next write (whose pages then
/// overwrite the blocks kept); emptied, it has none.
#[test]
fn a_restarted_wal_is_cut_back_to_its_limit_by_the_next_write() {
    // No round of the checkpoint thread during the test: it is driven by hand.
    let (_dir, writer, wal, grown) = grown(Duration::from_secs(3600));
    assert!(fold_wal(&writer.conn, Duration::from_secs(5), Fold::Restart).unwrap());
    assert_eq!(
        size(&wal),
        grown,
        "restarting alone leaves the file as it was"
    );
    write_rows(&writer, 1);
    let cut = size(&wal);
    assert!(
        0 < cut && cut <= LIMIT,
        "cut back to the limit: {cut} bytes"
    );
    assert!(fold_wal(&writer.conn, Duration::from_secs(5), Fold::Empty).unwrap());
    assert_eq!(size(&wal), 0);
}

/// A WAL the checkpoint thread restarted and nothing wrote to since is emptied a round later:
/// a server that went quiet after a burst leaves no large file behind.
#[test]
// The checkpoint thread's rounds run on the machine's real time; the deadline only bounds
// the wait for it.
#[allow(clippy::disallowed_methods)]
fn a_wal_nothing_writes_to_is_emptied() {
    let (_dir, _writer, wal, _) = grown(Duration::from_millis(20));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while size(&wal) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the WAL was never emptied"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
