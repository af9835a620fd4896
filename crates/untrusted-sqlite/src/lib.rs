//! Opening an SQLite file that someone else wrote: an ActiGraph `.agd`
//! recording, a Gadgetbridge database export. Such a file is input, not a
//! database of ours, so it is opened
//!
//! - **read-only and immutable** (`mode=ro&immutable=1`): nothing is
//!   written to it, no journal, WAL or lock file is made beside it, and a
//!   file on a read-only medium opens;
//! - **with its schema untrusted** (`trusted_schema = OFF`): SQL functions
//!   with side effects cannot run from its views, triggers or defaults;
//! - **bounded**: temporary storage in memory and capped at
//!   [`MAX_TEMP_PAGES`] pages, and a progress handler that interrupts any
//!   statement once the connection has run a given number of SQLite
//!   virtual-machine steps, so a crafted file cannot make a read run or
//!   grow without end.
//!
//! Readers still check the schema they rely on and bound the rows they
//! read; this crate only opens the file safely.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Steps between two calls of SQLite's progress handler.
pub const STEPS_PER_CHECK: u16 = 1000;

/// The most 4 KiB pages the connection's temporary database may hold
/// (64 MiB, in memory). Plain reads need none.
pub const MAX_TEMP_PAGES: u32 = 16 * 1024;

/// `path` as an SQLite URI that opens it read-only and immutable; every byte
/// but unreserved ones and `/` is percent-encoded, so `?`, `#` and `%` in a
/// file name stay part of the name.
pub fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(*b))
            }
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

/// Opens the file at `path` as described in the crate documentation; any
/// statement on the connection is interrupted (`SQLITE_INTERRUPT`) once
/// `max_steps` virtual-machine steps have run on it in all.
///
/// `hard_heap_limit` would cap memory too, but for the whole process (the
/// vault's connection included), so it is not set here.
pub fn open(path: &Path, max_steps: u64) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        immutable_uri(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch(&format!(
        "PRAGMA temp_store = MEMORY; PRAGMA temp.max_page_count = {MAX_TEMP_PAGES}; PRAGMA trusted_schema = OFF;"
    ))?;
    let checks = max_steps.div_ceil(u64::from(STEPS_PER_CHECK));
    let mut done = 0u64;
    conn.progress_handler(
        i32::from(STEPS_PER_CHECK),
        Some(move || {
            done += 1;
            done > checks
        }),
    );
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(dir: &Path, name: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(
            "CREATE TABLE t (x INTEGER);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
             INSERT INTO t SELECT i FROM n;",
        )
        .expect("rows");
        path
    }

    #[test]
    fn names_with_uri_characters_stay_names() {
        assert_eq!(
            immutable_uri(Path::new("/tmp/a b?c#d%e.db")),
            "file:/tmp/a%20b%3Fc%23d%25e.db?mode=ro&immutable=1"
        );
        let dir = tempfile::tempdir().expect("tmp");
        let path = database(dir.path(), "odd ?#% name.db");
        let conn = open(&path, 1 << 20).expect("opens");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 1000);
    }

    #[test]
    fn nothing_is_written_and_no_file_is_made_beside_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = database(dir.path(), "x.db");
        let before = std::fs::read(&path).expect("read");
        let conn = open(&path, 1 << 20).expect("opens");
        assert!(conn.execute("INSERT INTO t VALUES (1)", []).is_err());
        drop(conn);
        assert_eq!(std::fs::read(&path).expect("read"), before);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["x.db"]);
    }

    #[test]
    fn a_read_past_its_steps_is_interrupted() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = database(dir.path(), "x.db");
        let conn = open(&path, 2_000).expect("opens");
        let slow = conn.query_row(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n",
            [],
            |r| r.get::<_, i64>(0),
        );
        let err = slow.expect_err("interrupted");
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted),
            "{err}"
        );
    }
}
