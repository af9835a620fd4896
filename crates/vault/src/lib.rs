//! The encrypted local personal health record: one SQLite file in which every
//! health value and identifying field is sealed with AES-256-GCM.
//!
//! Key design choices:
//! * **Sealed rows, clear keys.** Only what SQLite needs to index stays in
//!   clear: row ids, the sample kind, a UTC day number, and keyed lookup tags.
//!   Each sealed value's associated data names its row, so a ciphertext moved
//!   to another row fails to open (see [`crypto`] and ARCHITECTURE.md).
//! * **Chunks, not rows per sample.** Samples of one device, kind and UTC day
//!   are one sealed chunk, encoded column-wise with varints and deflate
//!   ([`codec`]): about one byte per minute of actigraphy on disk.
//! * **Idempotent, atomic ingest.** A batch is merged into its chunks by
//!   instant (same source + kind + instant: the newer value wins) inside one
//!   transaction together with its audit entry; a chunk whose content did not
//!   change is not rewritten, so re-importing leaves the file as it was.
//! * **Tamper-evident audit log**, hash-chained with a sealed head ([`audit`]).
//! * **One sealed vault state** ([`state`]): a version counted up by every
//!   write transaction, the audit head, and an incremental keyed digest of
//!   every sealed row, so rows or a header restored from an older copy of
//!   the vault into a newer one are detected by [`Vault::verify`] (and a
//!   header older than the rows on every open).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod audit;
pub mod codec;
mod crypto;
mod error;
mod schema;
mod state;

pub use audit::{AuditAction, AuditEntry, AuditEvent};
pub use crypto::{KdfAlgorithm, KdfParams};
pub use error::{Result, VaultError};

use crypto::{CryptoError, Keys};
use phr_model::{
    ActivityEpoch, Device, DeviceId, HeartRate, NewDevice, NewPerson, Person, PersonId, SampleKind,
    Samples, SleepEpisode, StepCount, PLAUSIBLE_UTC, PLAUSIBLE_YEARS,
};
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use serde::{Deserialize, Serialize};
use state::{RowDigest, VaultState};
use std::ops::Range;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const MAGIC: &str = "phr-vault";
const SECONDS_PER_DAY: i64 = 86_400;

/// An open (unlocked) vault. Dropping or [`Vault::lock`]ing it zeroizes the
/// data key it holds.
pub struct Vault {
    conn: Connection,
    path: PathBuf,
    vault_id: [u8; 16],
    keys: Option<Keys>,
    /// Set when the vault opened but its unlock could not be recorded (the
    /// audit log is broken): only the integrity checks run.
    damaged: Option<String>,
}

/// What an ingest changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReport {
    /// The source the samples were stored under.
    pub device: Option<DeviceId>,
    /// Samples at instants the vault did not have.
    pub added: u64,
    /// Samples that replaced a different value at the same instant.
    pub replaced: u64,
    /// Samples identical to what the vault held.
    pub unchanged: u64,
    /// Chunks written (0 when nothing changed).
    pub chunks_written: u64,
}

impl IngestReport {
    /// Adds `other`'s counts to these (the device is kept).
    pub fn add(&mut self, other: &IngestReport) {
        self.added += other.added;
        self.replaced += other.replaced;
        self.unchanged += other.unchanged;
        self.chunks_written += other.chunks_written;
    }
}

/// The outcome of a full integrity check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Sealed records opened and decoded.
    pub records_checked: u64,
    /// Audit entries whose chain was checked.
    pub audit_entries: u64,
    /// One line per damaged record or audit break, naming it.
    pub problems: Vec<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn day_name(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * SECONDS_PER_DAY, 0)
        .map(|t| t.date_naive().to_string())
        .unwrap_or_else(|| format!("#{day}"))
}

fn now_utc() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Associated data and human name of every sealed row.
///
/// `at` is the row's `sealed_at`: the vault version whose write sealed it,
/// appended to the associated data; `None` for rows sealed before schema 3,
/// whose associated data stays as it was.
mod row {
    use super::*;
    fn with_version(aad: String, at: Option<i64>) -> Vec<u8> {
        match at {
            Some(version) => format!("{aad}|at={version}").into_bytes(),
            None => aad.into_bytes(),
        }
    }
    pub fn people(id: i64, at: Option<i64>) -> (Vec<u8>, String) {
        (
            with_version(format!("people|id={id}"), at),
            format!("people (person {id})"),
        )
    }
    pub fn devices(id: i64, person: i64, lookup: &[u8], at: Option<i64>) -> (Vec<u8>, String) {
        (
            with_version(
                format!("devices|id={id}|person={person}|lookup={}", hex(lookup)),
                at,
            ),
            format!("devices (device {id})"),
        )
    }
    pub fn chunks(device: i64, kind: i64, day: i64, at: Option<i64>) -> (Vec<u8>, String) {
        let kind_name = u8::try_from(kind)
            .ok()
            .and_then(SampleKind::from_code)
            .map_or_else(|| format!("unknown kind {kind}"), |k| k.name().to_string());
        (
            with_version(format!("chunks|device={device}|kind={kind}|day={day}"), at),
            format!(
                "chunks (device {device}, {kind_name}, day {})",
                day_name(day)
            ),
        )
    }
    pub fn records(namespace: &str, key: &str, at: Option<i64>) -> (Vec<u8>, String) {
        (
            with_version(format!("records|{namespace}|{key}"), at),
            format!("records ({namespace}/{key})"),
        )
    }
    /// The sealed vault state (schema 3 on), kept in `header.audit_head`.
    pub fn state(vault_id: &[u8]) -> (Vec<u8>, String) {
        (
            format!("header|state|{}", hex(vault_id)).into_bytes(),
            "header (vault state)".to_string(),
        )
    }
    pub fn audit(seq: u64) -> (Vec<u8>, String) {
        (
            format!("audit|seq={seq}").into_bytes(),
            format!("audit (entry {seq})"),
        )
    }
    /// The sealed audit head of schema 1 and 2.
    pub fn audit_head(vault_id: &[u8]) -> (Vec<u8>, String) {
        (
            format!("header|audit_head|{}", hex(vault_id)).into_bytes(),
            "header (audit head)".to_string(),
        )
    }
    pub fn data_key(vault_id: &[u8], kdf_json: &str, salt: &[u8]) -> Vec<u8> {
        format!("header|data_key|{}|{kdf_json}|{}", hex(vault_id), hex(salt)).into_bytes()
    }
}

/// The clear fields of the header.
struct Header {
    vault_id: [u8; 16],
    kdf_json: String,
    salt: Vec<u8>,
    wrapped_key: Vec<u8>,
}

fn map_crypto(err: CryptoError) -> VaultError {
    match err {
        CryptoError::Kdf(msg) => VaultError::Kdf(msg),
        CryptoError::Random => VaultError::Random,
        CryptoError::Open => VaultError::WrongPassphrase,
    }
}

/// Whether the file begins with SQLite's 16-byte magic string.
fn starts_as_sqlite(path: &Path) -> bool {
    use std::io::Read as _;
    let mut magic = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"SQLite format 3\0"
}

/// The vault's keys, unless it is locked or damaged.
fn unlocked<'a>(keys: &'a Option<Keys>, damaged: &Option<String>) -> Result<&'a Keys> {
    if let Some(detail) = damaged {
        return Err(VaultError::Damaged {
            detail: detail.clone(),
        });
    }
    keys.as_ref().ok_or(VaultError::Locked)
}

fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Probe that this is a database at all before touching journal settings.
    // A file that starts as a SQLite database but cannot be read (truncated,
    // overwritten) is a damaged vault, not a foreign file.
    schema::version(&conn).map_err(|_| {
        if starts_as_sqlite(path) {
            VaultError::Damaged {
                detail: format!("{} cannot be read as a database", path.display()),
            }
        } else {
            VaultError::NotAVault {
                path: path.to_path_buf(),
            }
        }
    })?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

impl Vault {
    /// Creates a new vault at `path` with `owner` as its first person.
    pub fn create(
        path: &Path,
        passphrase: &str,
        owner: &NewPerson,
        kdf: KdfParams,
    ) -> Result<Vault> {
        if path.exists() {
            return Err(VaultError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| VaultError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = open_connection(path, flags)?;
        let vault_id: [u8; 16] = crypto::random_bytes().map_err(map_crypto)?;
        let salt: [u8; 16] = crypto::random_bytes().map_err(map_crypto)?;
        let data_key = Zeroizing::new(crypto::random_bytes::<32>().map_err(map_crypto)?);
        let kdf_json = serde_json::to_string(&kdf).map_err(|e| VaultError::Kdf(e.to_string()))?;
        let kek = crypto::derive_kek(passphrase.as_bytes(), &salt, &kdf).map_err(map_crypto)?;
        let wrapped =
            crypto::wrap_data_key(&kek, &data_key, &row::data_key(&vault_id, &kdf_json, &salt))
                .map_err(map_crypto)?;
        let keys = Keys::from_data_key(data_key).map_err(map_crypto)?;
        let mut vault = Vault {
            conn,
            path: path.to_path_buf(),
            vault_id,
            keys: Some(keys),
            damaged: None,
        };
        let tx = write_transaction(&mut vault.conn)?;
        let keys = vault.keys.as_ref().ok_or(VaultError::Locked)?;
        schema::migrate(&tx, |step| migration_step(&tx, keys, &vault_id, step))?;
        tx.execute(
            "INSERT INTO header (id, magic, vault_id, kdf, salt, wrapped_key) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![MAGIC, &vault_id[..], kdf_json, &salt[..], wrapped],
        )?;
        let binding = state::key_binding(&kdf_json, &salt, &wrapped);
        store_state(&tx, keys, &vault_id, &VaultState::empty(binding))?;
        let mut w = Writer::start(tx, keys, vault_id)?;
        let person = insert_person(&mut w, owner)?;
        append_audit(
            &mut w,
            &AuditEvent::new(
                AuditAction::Init,
                format!("vault created, owner person {}", person.id.0),
            ),
        )?;
        w.commit()?;
        Ok(vault)
    }

    /// Opens and unlocks the vault at `path`, records the unlock in the audit
    /// log, and upgrades an older schema. When the unlock cannot be recorded
    /// (the audit log is broken beyond its head, or the vault state does not
    /// open, does not bind the header's key wrap, or is older than the rows:
    /// the header was restored from an older copy) the vault opens for the
    /// integrity checks only and every other call fails with
    /// [`VaultError::Damaged`].
    pub fn open(path: &Path, passphrase: &str) -> Result<Vault> {
        if !path.exists() {
            return Err(VaultError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = open_connection(path, flags)?;
        let not_a_vault = || VaultError::NotAVault {
            path: path.to_path_buf(),
        };
        let version = schema::version(&conn)?;
        if version > schema::LATEST {
            return Err(VaultError::NewerVersion {
                found: version,
                supported: schema::LATEST,
            });
        }
        if version == 0 {
            return Err(not_a_vault());
        }
        let header = read_header(&conn).map_err(|err| match err {
            VaultError::Damaged { .. } => err,
            _ => not_a_vault(),
        })?;
        let kdf: KdfParams =
            serde_json::from_str(&header.kdf_json).map_err(|_| VaultError::WrongPassphrase)?;
        kdf.check_bounds().map_err(VaultError::KdfOutOfBounds)?;
        let kek =
            crypto::derive_kek(passphrase.as_bytes(), &header.salt, &kdf).map_err(map_crypto)?;
        let data_key = crypto::unwrap_data_key(
            &kek,
            &header.wrapped_key,
            &row::data_key(&header.vault_id, &header.kdf_json, &header.salt),
        )
        .map_err(map_crypto)?;
        let keys = Keys::from_data_key(data_key).map_err(map_crypto)?;
        let mut vault = Vault {
            conn,
            path: path.to_path_buf(),
            vault_id: header.vault_id,
            keys: Some(keys),
            damaged: None,
        };
        let keys = vault.keys.as_ref().ok_or(VaultError::Locked)?;
        match record_unlock(&mut vault.conn, keys, vault.vault_id) {
            Ok(()) => {}
            // The unlock cannot be recorded (the audit log is broken, or
            // the vault state does not match the header or is older than
            // the rows): nothing is written (the transaction, migrations
            // included, rolls back) and only the integrity checks run, so
            // `verify` can still say what is wrong.
            Err(err @ (VaultError::AuditBroken { .. } | VaultError::Tampered { .. })) => {
                vault.damaged = Some(err.to_string());
            }
            Err(err) => return Err(err),
        }
        Ok(vault)
    }

    /// Forgets the keys (zeroizing the data key); every later call returns
    /// [`VaultError::Locked`].
    pub fn lock(&mut self) {
        self.keys = None;
    }

    /// Whether [`Vault::lock`] was called.
    pub fn is_locked(&self) -> bool {
        self.keys.is_none()
    }

    /// The file this vault lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The clear key under which to store a record about `text` in
    /// `namespace`: HMAC-SHA256 under the lookup subkey, in hex, with the
    /// namespace as domain separation. Equal texts give equal keys within
    /// this vault only; without the data key the text cannot be confirmed
    /// or guessed from the key. Use it for every record key derived from
    /// something identifying (an address, a URL, a source, an alert).
    pub fn lookup_key(&self, namespace: &str, text: &str) -> Result<String> {
        Ok(record_lookup_key(self.keys()?, namespace, text))
    }

    fn keys(&self) -> Result<&Keys> {
        unlocked(&self.keys, &self.damaged)
    }

    /// The keys for the integrity checks, which run on a damaged vault too.
    fn integrity_keys(&self) -> Result<&Keys> {
        self.keys.as_ref().ok_or(VaultError::Locked)
    }

    /// The key-derivation parameters in force.
    pub fn kdf_params(&self) -> Result<KdfParams> {
        self.keys()?;
        let header = read_header(&self.conn)?;
        serde_json::from_str(&header.kdf_json).map_err(|e| VaultError::Kdf(e.to_string()))
    }

    /// Rewraps the data key under a new passphrase (with `kdf`, which may be
    /// stronger than before). Re-encrypts nothing else.
    pub fn change_passphrase(&mut self, new_passphrase: &str, kdf: KdfParams) -> Result<()> {
        self.keys()?;
        let header = read_header(&self.conn)?;
        let old_wrapped_key = header.wrapped_key.clone();
        let salt: [u8; 16] = crypto::random_bytes().map_err(map_crypto)?;
        let kdf_json = serde_json::to_string(&kdf).map_err(|e| VaultError::Kdf(e.to_string()))?;
        let kek = crypto::derive_kek(new_passphrase.as_bytes(), &salt, &kdf).map_err(map_crypto)?;
        let data_key = self.keys()?.data_key();
        let wrapped = crypto::wrap_data_key(
            &kek,
            &data_key,
            &row::data_key(&self.vault_id, &kdf_json, &salt),
        )
        .map_err(map_crypto)?;
        let vault_id = self.vault_id;
        let keys = unlocked(&self.keys, &self.damaged)?;
        let mut w = Writer::begin(&mut self.conn, keys, vault_id)?;
        let changed = w.tx.execute(
            "UPDATE header SET kdf = ?1, salt = ?2, wrapped_key = ?3 WHERE id = 1 AND wrapped_key = ?4",
            params![kdf_json, &salt[..], wrapped, old_wrapped_key],
        )?;
        if changed != 1 {
            return Err(VaultError::NotAVault {
                path: self.path.clone(),
            });
        }
        w.state.key_binding = state::key_binding(&kdf_json, &salt, &wrapped);
        append_audit(
            &mut w,
            &AuditEvent::new(AuditAction::PassphraseChange, "passphrase changed"),
        )?;
        w.commit()
    }

    // ----- people and devices -------------------------------------------------

    /// Adds a person.
    pub fn add_person(&mut self, person: &NewPerson) -> Result<Person> {
        let vault_id = self.vault_id;
        let keys = unlocked(&self.keys, &self.damaged)?;
        let mut w = Writer::begin(&mut self.conn, keys, vault_id)?;
        let added = insert_person(&mut w, person)?;
        append_audit(
            &mut w,
            &AuditEvent::new(AuditAction::Profile, format!("person {} added", added.id.0)),
        )?;
        w.commit()?;
        Ok(added)
    }

    /// Every person in the vault, by id.
    pub fn people(&self) -> Result<Vec<Person>> {
        let keys = self.keys()?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, sealed, sealed_at FROM people ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        let mut people = Vec::new();
        for row in rows {
            let (id, sealed, at) = row?;
            people.push(open_person(keys, id, at, &sealed)?);
        }
        Ok(people)
    }

    /// One person.
    pub fn person(&self, id: PersonId) -> Result<Person> {
        let keys = self.keys()?;
        let (sealed, at): (Vec<u8>, Option<i64>) = self
            .conn
            .query_row(
                "SELECT sealed, sealed_at FROM people WHERE id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| VaultError::UnknownId(format!("person {}", id.0)))?;
        open_person(keys, id.0, at, &sealed)
    }

    /// The devices (sources) of a person.
    pub fn devices(&self, person: PersonId) -> Result<Vec<Device>> {
        let keys = self.keys()?;
        let mut stmt = self.conn.prepare(
            "SELECT id, lookup, sealed, sealed_at FROM devices WHERE person_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([person.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })?;
        let mut devices = Vec::new();
        for row in rows {
            let (id, lookup, sealed, at) = row?;
            devices.push(open_device(keys, id, person.0, &lookup, at, &sealed)?);
        }
        Ok(devices)
    }

    // ----- samples --------------------------------------------------------------

    /// Stores samples from one source of `person` in one transaction,
    /// together with `event` in the audit log. The source is registered on
    /// first use. Merging rule: for the same source, kind and instant, the
    /// incoming sample replaces the stored one; other instants are kept. A
    /// chunk whose content does not change is not rewritten.
    pub fn ingest(
        &mut self,
        person: PersonId,
        source: &NewDevice,
        batches: &[Samples],
        event: &AuditEvent,
    ) -> Result<IngestReport> {
        self.ingest_with_record(person, source, batches, None, event)
    }

    /// [`Vault::ingest`] plus one sealed record (e.g. a device's sync
    /// checkpoint) written in the same transaction, so the samples and the
    /// checkpoint advance together or not at all.
    pub fn ingest_with_record(
        &mut self,
        person: PersonId,
        source: &NewDevice,
        batches: &[Samples],
        record: Option<(&str, &str, &[u8])>,
        event: &AuditEvent,
    ) -> Result<IngestReport> {
        for batch in batches {
            validate(batch)?;
        }
        let vault_id = self.vault_id;
        let keys = unlocked(&self.keys, &self.damaged)?;
        let mut w = Writer::begin(&mut self.conn, keys, vault_id)?;
        let (device, per_batch) = ingest_source(&mut w, person, source, batches)?;
        let mut report = IngestReport {
            device: Some(device.id),
            ..IngestReport::default()
        };
        for r in &per_batch {
            report.add(r);
        }
        if let Some((namespace, key, value)) = record {
            write_record(&mut w, namespace, key, value)?;
        }
        let detail = format!(
            "{}; source device {}; {} added, {} replaced, {} unchanged",
            event.detail, device.id.0, report.added, report.replaced, report.unchanged
        );
        append_audit(&mut w, &AuditEvent::new(event.action, detail))?;
        w.commit()?;
        Ok(report)
    }

    /// Stores samples from several sources of `person` (one export holding
    /// a watch's and a phone's data, say) in one transaction, all or
    /// nothing, with one `event` in the audit log. Each source is merged as
    /// [`Vault::ingest`] merges one. Returns, per source, one report per
    /// batch, in the order given.
    pub fn ingest_sources(
        &mut self,
        person: PersonId,
        sources: &[(NewDevice, Vec<Samples>)],
        event: &AuditEvent,
    ) -> Result<Vec<Vec<IngestReport>>> {
        for batch in sources.iter().flat_map(|(_, batches)| batches) {
            validate(batch)?;
        }
        let vault_id = self.vault_id;
        let keys = unlocked(&self.keys, &self.damaged)?;
        let mut w = Writer::begin(&mut self.conn, keys, vault_id)?;
        let mut total = IngestReport::default();
        let mut reports = Vec::with_capacity(sources.len());
        let mut devices = Vec::with_capacity(sources.len());
        for (source, batches) in sources {
            let (device, per_batch) = ingest_source(&mut w, person, source, batches)?;
            for r in &per_batch {
                total.add(r);
            }
            devices.push(device.id.0.to_string());
            reports.push(per_batch);
        }
        let detail = format!(
            "{}; source devices {}; {} added, {} replaced, {} unchanged",
            event.detail,
            devices.join(", "),
            total.added,
            total.replaced,
            total.unchanged
        );
        append_audit(&mut w, &AuditEvent::new(event.action, detail))?;
        w.commit()?;
        Ok(reports)
    }

    /// Samples of `kind` from `device` whose instant lies in `range` (UTC
    /// seconds, half-open), sorted by instant.
    pub fn samples(
        &self,
        device: DeviceId,
        kind: SampleKind,
        range: Range<i64>,
    ) -> Result<Samples> {
        let keys = self.keys()?;
        let mut out = Samples::empty(kind);
        if range.start >= range.end {
            return Ok(out);
        }
        let first_day = range.start.div_euclid(SECONDS_PER_DAY);
        let last_day = (range.end - 1).div_euclid(SECONDS_PER_DAY);
        let mut stmt = self.conn.prepare(
            "SELECT day, sealed, sealed_at FROM chunks WHERE device_id = ?1 AND kind = ?2 AND day BETWEEN ?3 AND ?4 ORDER BY day",
        )?;
        let rows = stmt.query_map(params![device.0, kind.code(), first_day, last_day], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        for row in rows {
            let (day, sealed, at) = row?;
            let chunk = open_chunk(keys, device.0, kind.code(), day, at, &sealed)?;
            append_in_range(&mut out, chunk, &range);
        }
        Ok(out)
    }

    // ----- sealed records (settings, checkpoints, secrets) -----------------------

    /// Stores a small sealed value under `(namespace, key)`; both stay in
    /// clear, so they must not be identifying (use ids).
    pub fn put_record(
        &mut self,
        namespace: &str,
        key: &str,
        value: &[u8],
        event: Option<&AuditEvent>,
    ) -> Result<()> {
        let vault_id = self.vault_id;
        let keys = unlocked(&self.keys, &self.damaged)?;
        let mut w = Writer::begin(&mut self.conn, keys, vault_id)?;
        write_record(&mut w, namespace, key, value)?;
        if let Some(event) = event {
            append_audit(&mut w, event)?;
        }
        w.commit()
    }

    /// Reads a sealed value.
    pub fn record(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>> {
        let keys = self.keys()?;
        let found: Option<(Vec<u8>, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT sealed, sealed_at FROM records WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((sealed, at)) = found else {
            return Ok(None);
        };
        let (aad, name) = row::records(namespace, key, at);
        keys.open(&aad, &sealed)
            .map(Some)
            .map_err(|_| VaultError::Tampered { record: name })
    }

    /// Every sealed value in `namespace`, by key.
    pub fn records(&self, namespace: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let keys = self.keys()?;
        let mut stmt = self.conn.prepare(
            "SELECT key, sealed, sealed_at FROM records WHERE namespace = ?1 ORDER BY key",
        )?;
        let rows = stmt.query_map([namespace], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, sealed, at) = row?;
            let (aad, name) = row::records(namespace, &key, at);
            let value = keys
                .open(&aad, &sealed)
                .map_err(|_| VaultError::Tampered { record: name })?;
            out.push((key, value));
        }
        Ok(out)
    }

    // ----- audit -------------------------------------------------------------------

    /// Appends an entry to the audit log.
    pub fn append_audit(&mut self, event: &AuditEvent) -> Result<u64> {
        let vault_id = self.vault_id;
        let keys = unlocked(&self.keys, &self.damaged)?;
        let mut w = Writer::begin(&mut self.conn, keys, vault_id)?;
        let seq = append_audit(&mut w, event)?;
        w.commit()?;
        Ok(seq)
    }

    /// The whole audit log, oldest first (each entry authenticated).
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        let keys = self.integrity_keys()?;
        let mut stmt = self
            .conn
            .prepare("SELECT seq, sealed FROM audit ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, sealed) = row?;
            entries.push(open_audit_entry(keys, seq as u64, &sealed)?);
        }
        Ok(entries)
    }

    /// The vault version: the number of write transactions since it was
    /// created (or since migration 3 sealed its state). It only grows. A
    /// front end may keep the last value it saw outside the file (the OS
    /// key store) and warn when an opened vault reports less: that is the
    /// one sign of the whole file rolled back to an older copy, which
    /// nothing inside the file can show.
    pub fn state_version(&self) -> Result<u64> {
        let keys = self.keys()?;
        Ok(load_state(&self.conn, keys, &self.vault_id)?.version)
    }

    /// Checks the audit chain end to end: every entry present, authentic and
    /// chained, the sealed head (in the vault state) pointing at the last
    /// one, and no row sealed after that state (which would mean the header,
    /// and with it the head, was restored from an older copy). Returns the
    /// number of entries.
    pub fn verify_audit(&self) -> Result<u64> {
        let keys = self.integrity_keys()?;
        let sealed_state = schema::version(&self.conn)? >= schema::SEALED_STATE;
        let (head_seq, head_hash, state) = if sealed_state {
            let state = load_state(&self.conn, keys, &self.vault_id)?;
            (state.audit_seq, state.audit_hash, Some(state))
        } else {
            let (seq, hash) = legacy_audit_head(&self.conn, keys, &self.vault_id)?;
            (seq, hash, None)
        };
        let mut stmt = self
            .conn
            .prepare("SELECT seq, hash, sealed FROM audit ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut previous = [0u8; 32];
        let mut expected_seq = 1u64;
        for row in rows {
            let (seq, stored_hash, sealed) = row?;
            let seq = seq as u64;
            if seq != expected_seq {
                return Err(VaultError::AuditBroken {
                    seq: expected_seq,
                    reason: format!("entry missing (next entry found is {seq})"),
                });
            }
            open_audit_entry(keys, seq, &sealed)?;
            let hash = audit::chain_hash(&previous, seq, &sealed);
            if stored_hash != hash {
                return Err(VaultError::AuditBroken {
                    seq,
                    reason: "hash does not chain to the previous entry".into(),
                });
            }
            previous = hash;
            expected_seq += 1;
        }
        let last = expected_seq - 1;
        if last != head_seq {
            return Err(VaultError::AuditBroken {
                seq: last + 1,
                reason: format!("the log ends at entry {last} but its sealed head records {head_seq} entries (entries were removed)"),
            });
        }
        if previous != head_hash {
            return Err(VaultError::AuditBroken {
                seq: last,
                reason: "the last entry does not match the sealed head".into(),
            });
        }
        if let Some(state) = state {
            check_rows_not_newer(&self.conn, &state)?;
        }
        Ok(last)
    }

    /// Opens and decodes every sealed record in every table, checks the
    /// audit chain, and recomputes the vault state's digest of every row
    /// and its binding of the key wrap; lists every problem found, naming
    /// the record (the digest cannot say which row was restored, added or
    /// deleted, only that one was).
    pub fn verify(&self) -> Result<VerifyReport> {
        let keys = self.integrity_keys()?;
        let mut report = VerifyReport::default();
        let mut rows = RowDigest::default();
        // A vault left at schema 2 (damaged before its migration) has no
        // `sealed_at`; one whose schema version was lowered has.
        let at = if has_sealed_at(&self.conn)? {
            "sealed_at"
        } else {
            "NULL"
        };
        let mut check = |result: Result<()>| match result {
            Ok(()) => report.records_checked += 1,
            Err(err) => report.problems.push(err.to_string()),
        };
        {
            let mut stmt = self
                .conn
                .prepare(&format!("SELECT id, sealed, {at} FROM people ORDER BY id"))?;
            let mut r = stmt.query([])?;
            while let Some(r) = r.next()? {
                let (id, sealed, at): (i64, Vec<u8>, Option<i64>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?);
                rows.add(&keys.row_term(&row::people(id, at).0, &sealed));
                check(open_person(keys, id, at, &sealed).map(drop));
            }
        }
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT id, person_id, lookup, sealed, {at} FROM devices ORDER BY id"
            ))?;
            let mut r = stmt.query([])?;
            while let Some(r) = r.next()? {
                let (id, person, lookup, sealed, at): (i64, i64, Vec<u8>, Vec<u8>, Option<i64>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                rows.add(&keys.row_term(&row::devices(id, person, &lookup, at).0, &sealed));
                check(open_device(keys, id, person, &lookup, at, &sealed).map(drop));
            }
        }
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT device_id, kind, day, sealed, {at} FROM chunks ORDER BY device_id, kind, day"
            ))?;
            let mut r = stmt.query([])?;
            while let Some(r) = r.next()? {
                let (device, kind, day, sealed, at): (i64, i64, i64, Vec<u8>, Option<i64>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                let (aad, name) = row::chunks(device, kind, day, at);
                rows.add(&keys.row_term(&aad, &sealed));
                check(
                    match u8::try_from(kind) {
                        Ok(kind) => open_chunk(keys, device, kind, day, at, &sealed),
                        Err(_) => Err(VaultError::Tampered { record: name }),
                    }
                    .map(drop),
                );
            }
        }
        {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT namespace, key, sealed, {at} FROM records ORDER BY namespace, key"
            ))?;
            let mut r = stmt.query([])?;
            while let Some(r) = r.next()? {
                let (namespace, key, sealed, at): (String, String, Vec<u8>, Option<i64>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                let (aad, name) = row::records(&namespace, &key, at);
                rows.add(&keys.row_term(&aad, &sealed));
                check(
                    keys.open(&aad, &sealed)
                        .map(drop)
                        .map_err(|_| VaultError::Tampered { record: name }),
                );
            }
        }
        let damaged_rows = !report.problems.is_empty();
        match self.verify_audit() {
            Ok(entries) => report.audit_entries = entries,
            Err(err) => report.problems.push(err.to_string()),
        }
        // A state that does not open is reported by `verify_audit`.
        if schema::version(&self.conn)? >= schema::SEALED_STATE {
            if let Ok(state) = load_state(&self.conn, keys, &self.vault_id) {
                if let Err(err) = check_key_binding(&self.conn, &state) {
                    report.problems.push(err.to_string());
                }
                // A damaged row changes the digest too and is already
                // named: the digest speaks only when every row opened.
                if rows != state.rows && !damaged_rows {
                    report.problems.push(format!(
                        "record header (vault state, version {}) does not match the stored rows: a row was restored from an older copy of the vault, added or deleted",
                        state.version
                    ));
                }
            }
        }
        Ok(report)
    }
}

// ----- transaction-level helpers -----------------------------------------------------

/// Starts a write transaction with `BEGIN IMMEDIATE`: it takes the write lock
/// at once, waiting on the busy timeout while another writer holds it. A
/// deferred transaction would take it only at its first write, and in WAL
/// mode that upgrade fails at once with "database is locked" when another
/// writer committed since this transaction's first read.
fn write_transaction(conn: &mut Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// A write transaction and the vault state it advances: every row it
/// seals carries [`Writer::version`], and [`Writer::commit`] seals the state
/// with that version before committing.
struct Writer<'c> {
    tx: Transaction<'c>,
    keys: &'c Keys,
    vault_id: [u8; 16],
    state: VaultState,
}

impl<'c> Writer<'c> {
    /// Starts a write transaction ([`write_transaction`]) and loads the
    /// state.
    fn begin(conn: &'c mut Connection, keys: &'c Keys, vault_id: [u8; 16]) -> Result<Self> {
        Self::start(write_transaction(conn)?, keys, vault_id)
    }

    /// Loads the state inside `tx` and makes the cheap checks: it opens,
    /// it binds the header's key wrap, and no row was sealed after it.
    fn start(tx: Transaction<'c>, keys: &'c Keys, vault_id: [u8; 16]) -> Result<Self> {
        let state = load_state(&tx, keys, &vault_id)?;
        check_key_binding(&tx, &state)?;
        check_rows_not_newer(&tx, &state)?;
        Ok(Writer {
            tx,
            keys,
            vault_id,
            state,
        })
    }

    /// The version this transaction writes, stored with every row it seals.
    fn version(&self) -> i64 {
        (self.state.version + 1) as i64
    }

    /// Seals a row's value and adds the row's term to the digest.
    fn seal_row(&mut self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>> {
        let sealed = self.keys.seal(aad, plain).map_err(map_crypto)?;
        self.state.rows.add(&self.keys.row_term(aad, &sealed));
        Ok(sealed)
    }

    /// Removes the term of a row about to be replaced.
    fn forget_row(&mut self, aad: &[u8], sealed: &[u8]) {
        self.state.rows.remove(&self.keys.row_term(aad, sealed));
    }

    fn commit(mut self) -> Result<()> {
        self.state.version += 1;
        store_state(&self.tx, self.keys, &self.vault_id, &self.state)?;
        self.tx.commit()?;
        Ok(())
    }
}

/// The unlock's transaction: migrations, then the unlock's audit entry.
fn record_unlock(conn: &mut Connection, keys: &Keys, vault_id: [u8; 16]) -> Result<()> {
    let tx = write_transaction(conn)?;
    schema::migrate(&tx, |step| migration_step(&tx, keys, &vault_id, step))?;
    let mut w = Writer::start(tx, keys, vault_id)?;
    append_audit(
        &mut w,
        &AuditEvent::new(AuditAction::Unlock, "vault unlocked"),
    )?;
    w.commit()
}

fn migration_step(
    tx: &Transaction<'_>,
    keys: &Keys,
    vault_id: &[u8; 16],
    step: schema::Keyed,
) -> Result<()> {
    match step {
        schema::Keyed::RekeyRecords => rekey_records(tx, keys),
        schema::Keyed::SealState => seal_state(tx, keys, vault_id),
    }
}

fn load_state(conn: &Connection, keys: &Keys, vault_id: &[u8]) -> Result<VaultState> {
    let (aad, name) = row::state(vault_id);
    let sealed: Option<Vec<u8>> =
        conn.query_row("SELECT audit_head FROM header WHERE id = 1", [], |r| {
            r.get(0)
        })?;
    sealed
        .and_then(|sealed| keys.open(&aad, &sealed).ok())
        .and_then(|plain| VaultState::decode(&plain))
        .ok_or(VaultError::Tampered { record: name })
}

fn store_state(
    tx: &Transaction<'_>,
    keys: &Keys,
    vault_id: &[u8],
    state: &VaultState,
) -> Result<()> {
    let (aad, _) = row::state(vault_id);
    let sealed = keys.seal(&aad, &state.encode()).map_err(map_crypto)?;
    tx.execute("UPDATE header SET audit_head = ?1 WHERE id = 1", [sealed])?;
    Ok(())
}

/// The header's key fields must be those the state seals: otherwise an
/// older key wrap (an older passphrase's) was put back.
fn check_key_binding(conn: &Connection, state: &VaultState) -> Result<()> {
    let header = read_header(conn)?;
    if state::key_binding(&header.kdf_json, &header.salt, &header.wrapped_key) != state.key_binding
    {
        return Err(VaultError::Tampered {
            record:
                "header (key wrap: not the one the vault state seals; restored from an older copy)"
                    .into(),
        });
    }
    Ok(())
}

/// No row may carry a version above the state's: such a row was sealed
/// after the state, so the header (and the audit head in it) was restored
/// from an older copy. Indexed for chunks and records; people and devices
/// are a handful of rows.
fn check_rows_not_newer(conn: &Connection, state: &VaultState) -> Result<()> {
    let newest: Option<i64> = conn.query_row(
        "SELECT MAX(v) FROM (
             SELECT MAX(sealed_at) AS v FROM people UNION ALL
             SELECT MAX(sealed_at) FROM devices UNION ALL
             SELECT MAX(sealed_at) FROM chunks UNION ALL
             SELECT MAX(sealed_at) FROM records)",
        [],
        |r| r.get(0),
    )?;
    match newest {
        Some(newest) if newest > state.version as i64 => {
            Err(VaultError::AuditBroken {
                seq: state.audit_seq + 1,
                reason: format!(
                    "rows were sealed at vault version {newest}, after the sealed vault state (version {}, {} entries): the header was restored from an older copy, and entries after {} may have been removed",
                    state.version, state.audit_seq, state.audit_seq
                ),
            })
        }
        _ => Ok(()),
    }
}

/// Whether the sealed tables have `sealed_at` (schema 3 on).
fn has_sealed_at(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('chunks') WHERE name = 'sealed_at')",
        [],
        |r| r.get(0),
    )?)
}

/// The audit head of schema 1 and 2, sealed on its own in the header.
fn legacy_audit_head(conn: &Connection, keys: &Keys, vault_id: &[u8]) -> Result<(u64, [u8; 32])> {
    let (head_aad, head_name) = row::audit_head(vault_id);
    let head_sealed: Option<Vec<u8>> =
        conn.query_row("SELECT audit_head FROM header WHERE id = 1", [], |r| {
            r.get(0)
        })?;
    let head_sealed = head_sealed.ok_or_else(|| VaultError::AuditBroken {
        seq: 0,
        reason: "the head is missing".into(),
    })?;
    keys.open(&head_aad, &head_sealed)
        .ok()
        .and_then(|plain| audit::decode_head(&plain))
        .ok_or(VaultError::Tampered { record: head_name })
}

/// Migration 2 -> 3: adds `sealed_at` to the sealed tables (rows sealed
/// until now keep NULL and their associated data) and seals the vault
/// state over the rows as found, with the audit head of schema 2. The
/// columns must not exist yet: if they do, the schema version was lowered
/// (to have newer rows blessed), and the vault is damaged. A lowered
/// version with the columns dropped fails too: the header then holds a
/// sealed state, which does not open as a schema-2 audit head, and rows
/// sealed since schema 3 no longer open without their `sealed_at`. On a
/// new vault (no header row yet) only the columns are added.
fn seal_state(tx: &Transaction<'_>, keys: &Keys, vault_id: &[u8; 16]) -> Result<()> {
    if has_sealed_at(tx)? {
        return Err(VaultError::Tampered {
            record: "header (schema version: lowered below 3 on a vault already at 3)".into(),
        });
    }
    tx.execute_batch(
        "ALTER TABLE people ADD COLUMN sealed_at INTEGER;
         ALTER TABLE devices ADD COLUMN sealed_at INTEGER;
         ALTER TABLE chunks ADD COLUMN sealed_at INTEGER;
         ALTER TABLE records ADD COLUMN sealed_at INTEGER;
         CREATE INDEX chunks_sealed_at ON chunks (sealed_at);
         CREATE INDEX records_sealed_at ON records (sealed_at);",
    )?;
    let headers: i64 = tx.query_row("SELECT COUNT(*) FROM header", [], |r| r.get(0))?;
    if headers == 0 {
        return Ok(());
    }
    let header = read_header(tx)?;
    let (audit_seq, audit_hash) = legacy_audit_head(tx, keys, vault_id)?;
    let mut rows = RowDigest::default();
    {
        let mut stmt = tx.prepare("SELECT id, sealed FROM people")?;
        let mut r = stmt.query([])?;
        while let Some(r) = r.next()? {
            let (id, sealed): (i64, Vec<u8>) = (r.get(0)?, r.get(1)?);
            rows.add(&keys.row_term(&row::people(id, None).0, &sealed));
        }
    }
    {
        let mut stmt = tx.prepare("SELECT id, person_id, lookup, sealed FROM devices")?;
        let mut r = stmt.query([])?;
        while let Some(r) = r.next()? {
            let (id, person, lookup, sealed): (i64, i64, Vec<u8>, Vec<u8>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            rows.add(&keys.row_term(&row::devices(id, person, &lookup, None).0, &sealed));
        }
    }
    {
        let mut stmt = tx.prepare("SELECT device_id, kind, day, sealed FROM chunks")?;
        let mut r = stmt.query([])?;
        while let Some(r) = r.next()? {
            let (device, kind, day, sealed): (i64, i64, i64, Vec<u8>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            rows.add(&keys.row_term(&row::chunks(device, kind, day, None).0, &sealed));
        }
    }
    {
        let mut stmt = tx.prepare("SELECT namespace, key, sealed FROM records")?;
        let mut r = stmt.query([])?;
        while let Some(r) = r.next()? {
            let (namespace, key, sealed): (String, String, Vec<u8>) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            rows.add(&keys.row_term(&row::records(&namespace, &key, None).0, &sealed));
        }
    }
    let state = VaultState {
        version: 0,
        audit_seq,
        audit_hash,
        key_binding: state::key_binding(&header.kdf_json, &header.salt, &header.wrapped_key),
        rows,
    };
    store_state(tx, keys, vault_id, &state)
}

fn read_header(conn: &Connection) -> Result<Header> {
    let (magic, vault_id, kdf_json, salt, wrapped_key): (
        String,
        Vec<u8>,
        String,
        Vec<u8>,
        Vec<u8>,
    ) = conn.query_row(
        "SELECT magic, vault_id, kdf, salt, wrapped_key FROM header WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let vault_id: [u8; 16] = vault_id
        .try_into()
        .map_err(|_| rusqlite::Error::InvalidQuery)?;
    if magic != MAGIC {
        return Err(rusqlite::Error::InvalidQuery.into());
    }
    Ok(Header {
        vault_id,
        kdf_json,
        salt,
        wrapped_key,
    })
}

fn record_lookup_key(keys: &Keys, namespace: &str, text: &str) -> String {
    hex(&keys.lookup_tag(format!("record|{}|{namespace}|{text}", namespace.len()).as_bytes()))
}

/// Version 1 stored record keys as the plain SHA-256 (hex) of their text,
/// and alert records under the alert id itself.
fn sha256_hex(text: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
}

/// The namespace whose version-1 keys were their text (alert ids).
const V1_ALERTS: &str = "alert";

/// Migration 1 -> 2: every record key that was an unkeyed hash of its text
/// (or an alert id) is recomputed with [`Vault::lookup_key`]. The texts are
/// found where version 1 took them from: `person|source` of every device
/// (sync checkpoints), `person|address` of paired-device records, and the
/// `url` of recipient records (recipients and their pseudonym secrets). A
/// record whose text is not found, or that fails to open, keeps its key
/// (verify reports the latter).
fn rekey_records(tx: &Transaction<'_>, keys: &Keys) -> Result<()> {
    let mut texts = std::collections::HashMap::new();
    {
        let mut stmt = tx.prepare("SELECT id, person_id, lookup, sealed FROM devices")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, person, lookup, sealed): (i64, i64, Vec<u8>, Vec<u8>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            if let Ok(device) = open_device(keys, id, person, &lookup, None, &sealed) {
                let text = format!("{person}|{}", device.source_key);
                texts.insert(sha256_hex(&text), text);
            }
        }
    }
    let mut records = Vec::new();
    {
        let mut stmt = tx.prepare("SELECT namespace, key, sealed FROM records")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (namespace, key, sealed): (String, String, Vec<u8>) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            let (aad, _) = row::records(&namespace, &key, None);
            if let Ok(value) = keys.open(&aad, &sealed) {
                records.push((namespace, key, Zeroizing::new(value)));
            }
        }
    }
    for (_, _, value) in &records {
        let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(value) else {
            continue;
        };
        let mut candidates = Vec::new();
        if let (Some(person), Some(address)) = (
            fields.get("person").and_then(|v| v.as_i64()),
            fields.get("address").and_then(|v| v.as_str()),
        ) {
            candidates.push(format!("{person}|{address}"));
        }
        if let Some(url) = fields.get("url").and_then(|v| v.as_str()) {
            candidates.push(url.to_string());
        }
        for text in candidates {
            texts.insert(sha256_hex(&text), text);
        }
    }
    for (namespace, key, value) in &records {
        let text = if namespace == V1_ALERTS {
            Some(key)
        } else {
            texts.get(key)
        };
        let Some(text) = text else { continue };
        let new_key = record_lookup_key(keys, namespace, text);
        tx.execute(
            "DELETE FROM records WHERE namespace = ?1 AND key = ?2",
            params![namespace, key],
        )?;
        // Schema 2's layout: no `sealed_at`, no vault state yet (migration
        // 3 seals it over these rows).
        let (aad, _) = row::records(namespace, &new_key, None);
        let sealed = keys.seal(&aad, value).map_err(map_crypto)?;
        tx.execute(
            "INSERT OR REPLACE INTO records (namespace, key, sealed) VALUES (?1, ?2, ?3)",
            params![namespace, new_key, sealed],
        )?;
    }
    Ok(())
}

fn write_record(w: &mut Writer<'_>, namespace: &str, key: &str, value: &[u8]) -> Result<()> {
    let old: Option<(Vec<u8>, Option<i64>)> =
        w.tx.query_row(
            "SELECT sealed, sealed_at FROM records WHERE namespace = ?1 AND key = ?2",
            params![namespace, key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((sealed, at)) = old {
        w.forget_row(&row::records(namespace, key, at).0, &sealed);
    }
    let version = w.version();
    let (aad, _) = row::records(namespace, key, Some(version));
    let sealed = w.seal_row(&aad, value)?;
    w.tx.execute(
        "INSERT OR REPLACE INTO records (namespace, key, sealed, sealed_at) VALUES (?1, ?2, ?3, ?4)",
        params![namespace, key, sealed, version],
    )?;
    Ok(())
}

fn append_audit(w: &mut Writer<'_>, event: &AuditEvent) -> Result<u64> {
    let (last_seq, last_hash) = (w.state.audit_seq, w.state.audit_hash);
    let seq = last_seq + 1;
    let beyond_head: bool = w.tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit WHERE seq >= ?1)",
        [seq as i64],
        |r| r.get(0),
    )?;
    if beyond_head {
        return Err(VaultError::AuditBroken {
            seq,
            reason: format!(
                "entry {seq} exists beyond the sealed head, which records {last_seq} entries (entries were inserted)"
            ),
        });
    }
    let body = audit::EntryBody {
        at_utc: now_utc(),
        action: event.action,
        detail: event.detail.clone(),
    };
    let plain = serde_json::to_vec(&body).map_err(|e| VaultError::InvalidSample(e.to_string()))?;
    let (aad, _) = row::audit(seq);
    let sealed = w.keys.seal(&aad, &plain).map_err(map_crypto)?;
    let hash = audit::chain_hash(&last_hash, seq, &sealed);
    w.tx.execute(
        "INSERT INTO audit (seq, hash, sealed) VALUES (?1, ?2, ?3)",
        params![seq as i64, &hash[..], sealed],
    )?;
    // The head is sealed with the rest of the state at commit.
    w.state.audit_seq = seq;
    w.state.audit_hash = hash;
    Ok(seq)
}

fn open_audit_entry(keys: &Keys, seq: u64, sealed: &[u8]) -> Result<AuditEntry> {
    let (aad, name) = row::audit(seq);
    let plain = keys.open(&aad, sealed).map_err(|_| VaultError::Tampered {
        record: name.clone(),
    })?;
    let body: audit::EntryBody =
        serde_json::from_slice(&plain).map_err(|_| VaultError::Tampered { record: name })?;
    Ok(AuditEntry {
        seq,
        at_utc: body.at_utc,
        action: body.action,
        detail: body.detail,
    })
}

fn insert_person(w: &mut Writer<'_>, person: &NewPerson) -> Result<Person> {
    phr_model::parse_time_zone(&person.time_zone)
        .map_err(|e| VaultError::InvalidSample(e.to_string()))?;
    let id: i64 =
        w.tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM people", [], |r| {
            r.get(0)
        })?;
    let stored = Person {
        id: PersonId(id),
        display_name: person.display_name.clone(),
        time_zone: person.time_zone.clone(),
        role: person.role,
        birth_date: person.birth_date,
    };
    let plain = Zeroizing::new(
        serde_json::to_vec(&stored).map_err(|e| VaultError::InvalidSample(e.to_string()))?,
    );
    let version = w.version();
    let (aad, _) = row::people(id, Some(version));
    let sealed = w.seal_row(&aad, &plain)?;
    w.tx.execute(
        "INSERT INTO people (id, sealed, sealed_at) VALUES (?1, ?2, ?3)",
        params![id, sealed, version],
    )?;
    Ok(stored)
}

fn open_person(keys: &Keys, id: i64, at: Option<i64>, sealed: &[u8]) -> Result<Person> {
    let (aad, name) = row::people(id, at);
    let plain = Zeroizing::new(keys.open(&aad, sealed).map_err(|_| VaultError::Tampered {
        record: name.clone(),
    })?);
    serde_json::from_slice(&plain).map_err(|_| VaultError::Tampered { record: name })
}

/// The stored form of a device's sealed fields.
#[derive(Serialize, Deserialize)]
struct DeviceBody {
    source_key: String,
    label: String,
    manufacturer: Option<String>,
    model: Option<String>,
    serial: Option<String>,
    firmware: Option<String>,
}

fn device_lookup(keys: &Keys, person: PersonId, source_key: &str) -> Vec<u8> {
    keys.lookup_tag(format!("device|{}|{source_key}", person.0).as_bytes())
}

fn device_for(w: &mut Writer<'_>, person: PersonId, source: &NewDevice) -> Result<Device> {
    let keys = w.keys;
    let exists: Option<i64> =
        w.tx.query_row("SELECT id FROM people WHERE id = ?1", [person.0], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Err(VaultError::UnknownId(format!("person {}", person.0)));
    }
    let lookup = device_lookup(keys, person, &source.source_key);
    let found: Option<(i64, Vec<u8>, Option<i64>)> =
        w.tx.query_row(
            "SELECT id, sealed, sealed_at FROM devices WHERE lookup = ?1",
            [&lookup],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let body = DeviceBody {
        source_key: source.source_key.clone(),
        label: source.label.clone(),
        manufacturer: source.manufacturer.clone(),
        model: source.model.clone(),
        serial: source.serial.clone(),
        firmware: source.firmware.clone(),
    };
    let plain = serde_json::to_vec(&body).map_err(|e| VaultError::InvalidSample(e.to_string()))?;
    let id = match found {
        Some((id, sealed, at)) => {
            let stored = open_device(keys, id, person.0, &lookup, at, &sealed)?;
            let unchanged = stored.label == source.label
                && stored.manufacturer == source.manufacturer
                && stored.model == source.model
                && stored.serial == source.serial
                && stored.firmware == source.firmware;
            if !unchanged {
                w.forget_row(&row::devices(id, person.0, &lookup, at).0, &sealed);
                let version = w.version();
                let (aad, _) = row::devices(id, person.0, &lookup, Some(version));
                let sealed = w.seal_row(&aad, &plain)?;
                w.tx.execute(
                    "UPDATE devices SET sealed = ?1, sealed_at = ?2 WHERE id = ?3",
                    params![sealed, version, id],
                )?;
            }
            id
        }
        None => {
            let id: i64 =
                w.tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM devices", [], |r| {
                    r.get(0)
                })?;
            let version = w.version();
            let (aad, _) = row::devices(id, person.0, &lookup, Some(version));
            let sealed = w.seal_row(&aad, &plain)?;
            w.tx.execute(
                "INSERT INTO devices (id, person_id, lookup, sealed, sealed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, person.0, lookup, sealed, version],
            )?;
            id
        }
    };
    Ok(Device {
        id: DeviceId(id),
        person,
        source_key: body.source_key,
        label: body.label,
        manufacturer: body.manufacturer,
        model: body.model,
        serial: body.serial,
        firmware: body.firmware,
    })
}

fn open_device(
    keys: &Keys,
    id: i64,
    person: i64,
    lookup: &[u8],
    at: Option<i64>,
    sealed: &[u8],
) -> Result<Device> {
    let (aad, name) = row::devices(id, person, lookup, at);
    let plain = keys.open(&aad, sealed).map_err(|_| VaultError::Tampered {
        record: name.clone(),
    })?;
    let body: DeviceBody =
        serde_json::from_slice(&plain).map_err(|_| VaultError::Tampered { record: name })?;
    Ok(Device {
        id: DeviceId(id),
        person: PersonId(person),
        source_key: body.source_key,
        label: body.label,
        manufacturer: body.manufacturer,
        model: body.model,
        serial: body.serial,
        firmware: body.firmware,
    })
}

fn open_chunk(
    keys: &Keys,
    device: i64,
    kind: u8,
    day: i64,
    at: Option<i64>,
    sealed: &[u8],
) -> Result<Samples> {
    let (aad, name) = row::chunks(device, kind.into(), day, at);
    let plain = keys.open(&aad, sealed).map_err(|_| VaultError::Tampered {
        record: name.clone(),
    })?;
    let samples = codec::decode(&plain).map_err(|_| VaultError::Tampered {
        record: name.clone(),
    })?;
    if samples.kind().code() != kind {
        return Err(VaultError::Tampered { record: name });
    }
    Ok(samples)
}

/// One stored sample type: its instant and its place in [`Samples`].
trait Sample: Clone + PartialEq {
    fn instant(&self) -> i64;
    fn into_samples(v: Vec<Self>) -> Samples;
    fn from_samples(s: Samples) -> Option<Vec<Self>>;
}

macro_rules! sample_impl {
    ($ty:ty, $variant:ident, $field:ident) => {
        impl Sample for $ty {
            fn instant(&self) -> i64 {
                self.$field.utc
            }
            fn into_samples(v: Vec<Self>) -> Samples {
                Samples::$variant(v)
            }
            fn from_samples(s: Samples) -> Option<Vec<Self>> {
                match s {
                    Samples::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}
sample_impl!(ActivityEpoch, Activity, at);
sample_impl!(StepCount, Steps, start);
sample_impl!(SleepEpisode, Sleep, start);
sample_impl!(HeartRate, HeartRate, at);

/// Registers `source` (first use) and merges each batch into its chunks;
/// one report per batch.
fn ingest_source(
    w: &mut Writer<'_>,
    person: PersonId,
    source: &NewDevice,
    batches: &[Samples],
) -> Result<(Device, Vec<IngestReport>)> {
    let device = device_for(w, person, source)?;
    let mut reports = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut report = IngestReport {
            device: Some(device.id),
            ..IngestReport::default()
        };
        match batch {
            Samples::Activity(v) => merge_into(w, device.id, v, &mut report)?,
            Samples::Steps(v) => merge_into(w, device.id, v, &mut report)?,
            Samples::Sleep(v) => merge_into(w, device.id, v, &mut report)?,
            Samples::HeartRate(v) => merge_into(w, device.id, v, &mut report)?,
        }
        reports.push(report);
    }
    Ok((device, reports))
}

fn merge_into<T: Sample>(
    w: &mut Writer<'_>,
    device: DeviceId,
    incoming: &[T],
    report: &mut IngestReport,
) -> Result<()> {
    let Some(kind) = incoming
        .first()
        .map(|s| T::into_samples(vec![s.clone()]).kind())
    else {
        return Ok(());
    };
    // Sort by instant (stable, so among equal instants the last one given
    // comes last), then keep the last sample at each instant.
    let mut fresh: Vec<T> = incoming.to_vec();
    fresh.sort_by_key(Sample::instant);
    let mut deduped: Vec<T> = Vec::with_capacity(fresh.len());
    for sample in fresh {
        match deduped.last_mut() {
            Some(last) if last.instant() == sample.instant() => *last = sample,
            _ => deduped.push(sample),
        }
    }
    for day_samples in deduped.chunk_by(|a, b| {
        a.instant().div_euclid(SECONDS_PER_DAY) == b.instant().div_euclid(SECONDS_PER_DAY)
    }) {
        let day = day_samples[0].instant().div_euclid(SECONDS_PER_DAY);
        // Prepared once per connection (a year is 365 days of each).
        let found: Option<(Vec<u8>, Option<i64>)> = w
            .tx
            .prepare_cached(
                "SELECT sealed, sealed_at FROM chunks WHERE device_id = ?1 AND kind = ?2 AND day = ?3",
            )?
            .query_row(params![device.0, kind.code(), day], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let stored = match &found {
            None => Vec::new(),
            Some((sealed, at)) => {
                let (_, name) = row::chunks(device.0, kind.code().into(), day, *at);
                T::from_samples(open_chunk(w.keys, device.0, kind.code(), day, *at, sealed)?)
                    .ok_or(VaultError::Tampered { record: name })?
            }
        };
        let Some(merged) = merge_sorted(stored, day_samples, report) else {
            continue;
        };
        if let Some((sealed, at)) = &found {
            w.forget_row(
                &row::chunks(device.0, kind.code().into(), day, *at).0,
                sealed,
            );
        }
        let plain = codec::encode(&T::into_samples(merged));
        let version = w.version();
        let (aad, _) = row::chunks(device.0, kind.code().into(), day, Some(version));
        let sealed = w.seal_row(&aad, &plain)?;
        w.tx.prepare_cached(
            "INSERT INTO chunks (device_id, kind, day, sealed, sealed_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (device_id, kind, day) DO UPDATE SET sealed = excluded.sealed, sealed_at = excluded.sealed_at",
        )?
        .execute(params![device.0, kind.code(), day, sealed, version])?;
        report.chunks_written += 1;
    }
    Ok(())
}

/// Merges two runs sorted by unique instants; an incoming sample replaces a
/// stored one at the same instant. Returns `None` when nothing changes.
fn merge_sorted<T: Sample>(
    stored: Vec<T>,
    incoming: &[T],
    report: &mut IngestReport,
) -> Option<Vec<T>> {
    let mut merged = Vec::with_capacity(stored.len() + incoming.len());
    let mut changed = false;
    let mut stored = stored.into_iter().peekable();
    for sample in incoming {
        while let Some(old) = stored.next_if(|old| old.instant() < sample.instant()) {
            merged.push(old);
        }
        match stored.next_if(|old| old.instant() == sample.instant()) {
            Some(old) if old == *sample => {
                report.unchanged += 1;
                merged.push(old);
            }
            Some(_) => {
                report.replaced += 1;
                changed = true;
                merged.push(sample.clone());
            }
            None => {
                report.added += 1;
                changed = true;
                merged.push(sample.clone());
            }
        }
    }
    merged.extend(stored);
    changed.then_some(merged)
}

fn append_in_range(out: &mut Samples, chunk: Samples, range: &Range<i64>) {
    fn keep<T: Sample>(out: &mut Vec<T>, chunk: Vec<T>, range: &Range<i64>) {
        out.extend(chunk.into_iter().filter(|s| range.contains(&s.instant())));
    }
    match (out, chunk) {
        (Samples::Activity(o), Samples::Activity(c)) => keep(o, c, range),
        (Samples::Steps(o), Samples::Steps(c)) => keep(o, c, range),
        (Samples::Sleep(o), Samples::Sleep(c)) => keep(o, c, range),
        (Samples::HeartRate(o), Samples::HeartRate(c)) => keep(o, c, range),
        _ => {}
    }
}

fn validate(samples: &Samples) -> Result<()> {
    let bad = |what: String| Err(VaultError::InvalidSample(what));
    let check_instant = |utc: i64| -> Result<()> {
        if PLAUSIBLE_UTC.contains(&utc) {
            Ok(())
        } else {
            Err(VaultError::InvalidSample(format!(
                "instant {utc} is outside the years {PLAUSIBLE_YEARS}"
            )))
        }
    };
    match samples {
        Samples::Activity(v) => {
            for s in v {
                check_instant(s.at.utc)?;
                if s.epoch_seconds == 0 {
                    return bad(format!(
                        "activity epoch at {} has zero length",
                        s.at.local()
                    ));
                }
            }
        }
        Samples::Steps(v) => {
            for s in v {
                check_instant(s.start.utc)?;
                if s.duration_seconds == 0 {
                    return bad(format!(
                        "step interval at {} has zero length",
                        s.start.local()
                    ));
                }
            }
        }
        Samples::HeartRate(v) => v.iter().try_for_each(|s| check_instant(s.at.utc))?,
        Samples::Sleep(v) => {
            for s in v {
                check_instant(s.start.utc)?;
                if s.end.utc <= s.start.utc {
                    return bad(format!(
                        "sleep episode at {} ends before it starts",
                        s.start.local()
                    ));
                }
            }
        }
    }
    Ok(())
}
