//! Versioned schema migrations, tracked in SQLite's `user_version`.

use rusqlite::Connection;

/// One step of the schema's history.
enum Migration {
    /// Plain SQL.
    Sql(&'static str),
    /// Work that needs the keys, done by the caller's callback: re-keying
    /// the clear record keys of version 1 (plain SHA-256 of their text)
    /// under the lookup subkey.
    RekeyRecords,
}

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[Migration] = &[
    // 0 -> 1: the first layout.
    Migration::Sql(
        "CREATE TABLE header (
         id          INTEGER PRIMARY KEY CHECK (id = 1),
         magic       TEXT NOT NULL,
         vault_id    BLOB NOT NULL,
         kdf         TEXT NOT NULL,
         salt        BLOB NOT NULL,
         wrapped_key BLOB NOT NULL,
         audit_head  BLOB
     );
     CREATE TABLE people (
         id     INTEGER PRIMARY KEY,
         sealed BLOB NOT NULL
     );
     CREATE TABLE devices (
         id        INTEGER PRIMARY KEY,
         person_id INTEGER NOT NULL REFERENCES people(id),
         lookup    BLOB NOT NULL UNIQUE,
         sealed    BLOB NOT NULL
     );
     -- A rowid table on purpose: a day's chunk is 1-3 KiB, and WITHOUT ROWID
     -- tables spill rows over ~1 KiB into a mostly empty overflow page each.
     CREATE TABLE chunks (
         id        INTEGER PRIMARY KEY,
         device_id INTEGER NOT NULL REFERENCES devices(id),
         kind      INTEGER NOT NULL,
         day       INTEGER NOT NULL,
         sealed    BLOB NOT NULL,
         UNIQUE (device_id, kind, day)
     );
     CREATE TABLE records (
         namespace TEXT NOT NULL,
         key       TEXT NOT NULL,
         sealed    BLOB NOT NULL,
         PRIMARY KEY (namespace, key)
     ) WITHOUT ROWID;
     CREATE TABLE audit (
         seq    INTEGER PRIMARY KEY,
         hash   BLOB NOT NULL,
         sealed BLOB NOT NULL
     );",
    ),
    // 1 -> 2: record keys that were unkeyed hashes become keyed MACs.
    Migration::RekeyRecords,
];

/// The schema version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// The schema version of an open database.
pub fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Applies every migration above the current version, inside the caller's
/// transaction; `rekey` does [`Migration::RekeyRecords`].
pub fn migrate(
    conn: &Connection,
    mut rekey: impl FnMut() -> crate::Result<()>,
) -> crate::Result<()> {
    let current = version(conn)?;
    for (idx, step) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        match step {
            Migration::Sql(sql) => conn.execute_batch(sql)?,
            Migration::RekeyRecords => rekey()?,
        }
        conn.pragma_update(None, "user_version", idx as u32 + 1)?;
    }
    Ok(())
}
