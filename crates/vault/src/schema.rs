//! Versioned schema migrations, tracked in SQLite's `user_version`.

use rusqlite::Connection;

/// One step of the schema's history.
enum Migration {
    /// Plain SQL.
    Sql(&'static str),
    /// Work that needs the keys, done by the caller's callback.
    Keyed(Keyed),
}

/// A migration step that needs the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyed {
    /// Re-keying the clear record keys of version 1 (plain SHA-256 of their
    /// text) under the lookup subkey.
    RekeyRecords,
    /// Adding `sealed_at` to every sealed table and sealing the vault state
    /// ([`crate::state`]) over the rows as found; the header's `audit_head`
    /// column then holds the sealed state (which holds the audit head).
    SealState,
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
    Migration::Keyed(Keyed::RekeyRecords),
    // 2 -> 3: rows carry the vault version that sealed them; the header
    // holds the sealed vault state.
    Migration::Keyed(Keyed::SealState),
];

/// The schema version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// The schema version of an open database.
pub fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// The first version whose rows carry `sealed_at` and whose header holds
/// the sealed vault state.
pub const SEALED_STATE: u32 = 3;

/// Applies every migration above the current version, inside the caller's
/// transaction; `keyed` does the steps that need the keys.
pub fn migrate(
    conn: &Connection,
    mut keyed: impl FnMut(Keyed) -> crate::Result<()>,
) -> crate::Result<()> {
    let current = version(conn)?;
    for (idx, step) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        match step {
            Migration::Sql(sql) => conn.execute_batch(sql)?,
            Migration::Keyed(step) => keyed(*step)?,
        }
        conn.pragma_update(None, "user_version", idx as u32 + 1)?;
    }
    Ok(())
}
