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
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod audit;
pub mod codec;
mod crypto;
mod error;
mod schema;

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
mod row {
    use super::*;
    pub fn people(id: i64) -> (Vec<u8>, String) {
        (
            format!("people|id={id}").into_bytes(),
            format!("people (person {id})"),
        )
    }
    pub fn devices(id: i64, person: i64, lookup: &[u8]) -> (Vec<u8>, String) {
        (
            format!("devices|id={id}|person={person}|lookup={}", hex(lookup)).into_bytes(),
            format!("devices (device {id})"),
        )
    }
    pub fn chunks(device: i64, kind: u8, day: i64) -> (Vec<u8>, String) {
        let kind_name = SampleKind::from_code(kind)
            .map_or_else(|| format!("unknown kind {kind}"), |k| k.name().to_string());
        (
            format!("chunks|device={device}|kind={kind}|day={day}").into_bytes(),
            format!(
                "chunks (device {device}, {kind_name}, day {})",
                day_name(day)
            ),
        )
    }
    pub fn records(namespace: &str, key: &str) -> (Vec<u8>, String) {
        (
            format!("records|{namespace}|{key}").into_bytes(),
            format!("records ({namespace}/{key})"),
        )
    }
    pub fn audit(seq: u64) -> (Vec<u8>, String) {
        (
            format!("audit|seq={seq}").into_bytes(),
            format!("audit (entry {seq})"),
        )
    }
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
        schema::migrate(&tx, || rekey_records(&tx, keys))?;
        tx.execute(
            "INSERT INTO header (id, magic, vault_id, kdf, salt, wrapped_key) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![MAGIC, &vault_id[..], kdf_json, &salt[..], wrapped],
        )?;
        let person = insert_person(&tx, keys, owner)?;
        append_audit(
            &tx,
            keys,
            &vault_id,
            &AuditEvent::new(
                AuditAction::Init,
                format!("vault created, owner person {}", person.id.0),
            ),
        )?;
        tx.commit()?;
        Ok(vault)
    }

    /// Opens and unlocks the vault at `path`, records the unlock in the audit
    /// log, and upgrades an older schema.
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
        let tx = write_transaction(&mut vault.conn)?;
        let keys = vault.keys.as_ref().ok_or(VaultError::Locked)?;
        schema::migrate(&tx, || rekey_records(&tx, keys))?;
        match append_audit(
            &tx,
            keys,
            &vault.vault_id,
            &AuditEvent::new(AuditAction::Unlock, "vault unlocked"),
        ) {
            Ok(_) => tx.commit()?,
            // The unlock cannot be recorded: nothing is written (the
            // transaction rolls back) and only the integrity checks run, so
            // `verify` can still say what is wrong.
            Err(err @ (VaultError::AuditBroken { .. } | VaultError::Tampered { .. })) => {
                drop(tx);
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
        let tx = write_transaction(&mut self.conn)?;
        let changed = tx.execute(
            "UPDATE header SET kdf = ?1, salt = ?2, wrapped_key = ?3 WHERE id = 1 AND wrapped_key = ?4",
            params![kdf_json, &salt[..], wrapped, old_wrapped_key],
        )?;
        if changed != 1 {
            return Err(VaultError::NotAVault {
                path: self.path.clone(),
            });
        }
        append_audit(
            &tx,
            keys,
            &vault_id,
            &AuditEvent::new(AuditAction::PassphraseChange, "passphrase changed"),
        )?;
        tx.commit()?;
        Ok(())
    }

    // ----- people and devices -------------------------------------------------

    /// Adds a person.
    pub fn add_person(&mut self, person: &NewPerson) -> Result<Person> {
        let vault_id = self.vault_id;
        let keys = unlocked(&self.keys, &self.damaged)?;
        let tx = write_transaction(&mut self.conn)?;
        let added = insert_person(&tx, keys, person)?;
        append_audit(
            &tx,
            keys,
            &vault_id,
            &AuditEvent::new(AuditAction::Profile, format!("person {} added", added.id.0)),
        )?;
        tx.commit()?;
        Ok(added)
    }

    /// Every person in the vault, by id.
    pub fn people(&self) -> Result<Vec<Person>> {
        let keys = self.keys()?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, sealed FROM people ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut people = Vec::new();
        for row in rows {
            let (id, sealed) = row?;
            people.push(open_person(keys, id, &sealed)?);
        }
        Ok(people)
    }

    /// One person.
    pub fn person(&self, id: PersonId) -> Result<Person> {
        let keys = self.keys()?;
        let sealed: Vec<u8> = self
            .conn
            .query_row("SELECT sealed FROM people WHERE id = ?1", [id.0], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| VaultError::UnknownId(format!("person {}", id.0)))?;
        open_person(keys, id.0, &sealed)
    }

    /// The devices (sources) of a person.
    pub fn devices(&self, person: PersonId) -> Result<Vec<Device>> {
        let keys = self.keys()?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, lookup, sealed FROM devices WHERE person_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([person.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut devices = Vec::new();
        for row in rows {
            let (id, lookup, sealed) = row?;
            devices.push(open_device(keys, id, person.0, &lookup, &sealed)?);
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
        let tx = write_transaction(&mut self.conn)?;
        let device = device_for(&tx, keys, person, source)?;
        let mut report = IngestReport {
            device: Some(device.id),
            ..IngestReport::default()
        };
        for batch in batches {
            match batch {
                Samples::Activity(v) => merge_into(&tx, keys, device.id, v, &mut report)?,
                Samples::Steps(v) => merge_into(&tx, keys, device.id, v, &mut report)?,
                Samples::Sleep(v) => merge_into(&tx, keys, device.id, v, &mut report)?,
                Samples::HeartRate(v) => merge_into(&tx, keys, device.id, v, &mut report)?,
            }
        }
        if let Some((namespace, key, value)) = record {
            write_record(&tx, keys, namespace, key, value)?;
        }
        let detail = format!(
            "{}; source device {}; {} added, {} replaced, {} unchanged",
            event.detail, device.id.0, report.added, report.replaced, report.unchanged
        );
        append_audit(&tx, keys, &vault_id, &AuditEvent::new(event.action, detail))?;
        tx.commit()?;
        Ok(report)
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
            "SELECT day, sealed FROM chunks WHERE device_id = ?1 AND kind = ?2 AND day BETWEEN ?3 AND ?4 ORDER BY day",
        )?;
        let rows = stmt.query_map(params![device.0, kind.code(), first_day, last_day], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        for row in rows {
            let (day, sealed) = row?;
            let chunk = open_chunk(keys, device.0, kind.code(), day, &sealed)?;
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
        let tx = write_transaction(&mut self.conn)?;
        write_record(&tx, keys, namespace, key, value)?;
        if let Some(event) = event {
            append_audit(&tx, keys, &vault_id, event)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Reads a sealed value.
    pub fn record(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>> {
        let keys = self.keys()?;
        let sealed: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT sealed FROM records WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
                |r| r.get(0),
            )
            .optional()?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let (aad, name) = row::records(namespace, key);
        keys.open(&aad, &sealed)
            .map(Some)
            .map_err(|_| VaultError::Tampered { record: name })
    }

    /// Every sealed value in `namespace`, by key.
    pub fn records(&self, namespace: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let keys = self.keys()?;
        let mut stmt = self
            .conn
            .prepare("SELECT key, sealed FROM records WHERE namespace = ?1 ORDER BY key")?;
        let rows = stmt.query_map([namespace], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, sealed) = row?;
            let (aad, name) = row::records(namespace, &key);
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
        let tx = write_transaction(&mut self.conn)?;
        let seq = append_audit(&tx, keys, &vault_id, event)?;
        tx.commit()?;
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

    /// Checks the audit chain end to end: every entry present, authentic and
    /// chained, and the sealed head pointing at the last one. Returns the
    /// number of entries.
    pub fn verify_audit(&self) -> Result<u64> {
        let keys = self.integrity_keys()?;
        let (head_aad, head_name) = row::audit_head(&self.vault_id);
        let head_sealed: Option<Vec<u8>> =
            self.conn
                .query_row("SELECT audit_head FROM header WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
        let head_sealed = head_sealed.ok_or_else(|| VaultError::AuditBroken {
            seq: 0,
            reason: "the head is missing".into(),
        })?;
        let (head_seq, head_hash) = keys
            .open(&head_aad, &head_sealed)
            .ok()
            .and_then(|plain| audit::decode_head(&plain))
            .ok_or(VaultError::Tampered { record: head_name })?;
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
        Ok(last)
    }

    /// Opens and decodes every sealed record in every table and checks the
    /// audit chain; lists every problem found, naming the record.
    pub fn verify(&self) -> Result<VerifyReport> {
        let keys = self.integrity_keys()?;
        let mut report = VerifyReport::default();
        let mut check = |result: Result<()>| match result {
            Ok(()) => report.records_checked += 1,
            Err(err) => report.problems.push(err.to_string()),
        };
        {
            let mut stmt = self
                .conn
                .prepare("SELECT id, sealed FROM people ORDER BY id")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                check(open_person(keys, r.get(0)?, &r.get::<_, Vec<u8>>(1)?).map(drop));
            }
        }
        {
            let mut stmt = self
                .conn
                .prepare("SELECT id, person_id, lookup, sealed FROM devices ORDER BY id")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                check(
                    open_device(
                        keys,
                        r.get(0)?,
                        r.get(1)?,
                        &r.get::<_, Vec<u8>>(2)?,
                        &r.get::<_, Vec<u8>>(3)?,
                    )
                    .map(drop),
                );
            }
        }
        {
            let mut stmt = self.conn.prepare(
                "SELECT device_id, kind, day, sealed FROM chunks ORDER BY device_id, kind, day",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (device, kind, day): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
                check(
                    match u8::try_from(kind) {
                        Ok(kind) => open_chunk(keys, device, kind, day, &r.get::<_, Vec<u8>>(3)?),
                        Err(_) => Err(VaultError::Tampered {
                            record: format!(
                                "chunks (device {device}, unknown kind {kind}, day {})",
                                day_name(day)
                            ),
                        }),
                    }
                    .map(drop),
                );
            }
        }
        {
            let mut stmt = self
                .conn
                .prepare("SELECT namespace, key, sealed FROM records ORDER BY namespace, key")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (namespace, key): (String, String) = (r.get(0)?, r.get(1)?);
                let (aad, name) = row::records(&namespace, &key);
                check(
                    keys.open(&aad, &r.get::<_, Vec<u8>>(2)?)
                        .map(drop)
                        .map_err(|_| VaultError::Tampered { record: name }),
                );
            }
        }
        match self.verify_audit() {
            Ok(entries) => report.audit_entries = entries,
            Err(err) => report.problems.push(err.to_string()),
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
            if let Ok(device) = open_device(keys, id, person, &lookup, &sealed) {
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
            let (aad, _) = row::records(&namespace, &key);
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
        write_record(tx, keys, namespace, &new_key, value)?;
    }
    Ok(())
}

fn write_record(
    tx: &Transaction<'_>,
    keys: &Keys,
    namespace: &str,
    key: &str,
    value: &[u8],
) -> Result<()> {
    let (aad, _) = row::records(namespace, key);
    let sealed = keys.seal(&aad, value).map_err(map_crypto)?;
    tx.execute(
        "INSERT OR REPLACE INTO records (namespace, key, sealed) VALUES (?1, ?2, ?3)",
        params![namespace, key, sealed],
    )?;
    Ok(())
}

fn append_audit(
    tx: &Transaction<'_>,
    keys: &Keys,
    vault_id: &[u8],
    event: &AuditEvent,
) -> Result<u64> {
    let (head_aad, head_name) = row::audit_head(vault_id);
    let head: Option<Vec<u8>> =
        tx.query_row("SELECT audit_head FROM header WHERE id = 1", [], |r| {
            r.get(0)
        })?;
    let (last_seq, last_hash) = match head {
        None => (0, [0u8; 32]),
        Some(sealed) => keys
            .open(&head_aad, &sealed)
            .ok()
            .and_then(|plain| audit::decode_head(&plain))
            .ok_or(VaultError::Tampered { record: head_name })?,
    };
    let seq = last_seq + 1;
    let beyond_head: bool = tx.query_row(
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
    let sealed = keys.seal(&aad, &plain).map_err(map_crypto)?;
    let hash = audit::chain_hash(&last_hash, seq, &sealed);
    tx.execute(
        "INSERT INTO audit (seq, hash, sealed) VALUES (?1, ?2, ?3)",
        params![seq as i64, &hash[..], sealed],
    )?;
    let head = keys
        .seal(&head_aad, &audit::encode_head(seq, &hash))
        .map_err(map_crypto)?;
    tx.execute("UPDATE header SET audit_head = ?1 WHERE id = 1", [head])?;
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

fn insert_person(tx: &Transaction<'_>, keys: &Keys, person: &NewPerson) -> Result<Person> {
    phr_model::parse_time_zone(&person.time_zone)
        .map_err(|e| VaultError::InvalidSample(e.to_string()))?;
    let id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM people", [], |r| {
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
    let (aad, _) = row::people(id);
    let sealed = keys.seal(&aad, &plain).map_err(map_crypto)?;
    tx.execute(
        "INSERT INTO people (id, sealed) VALUES (?1, ?2)",
        params![id, sealed],
    )?;
    Ok(stored)
}

fn open_person(keys: &Keys, id: i64, sealed: &[u8]) -> Result<Person> {
    let (aad, name) = row::people(id);
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

fn device_for(
    tx: &Transaction<'_>,
    keys: &Keys,
    person: PersonId,
    source: &NewDevice,
) -> Result<Device> {
    let exists: Option<i64> = tx
        .query_row("SELECT id FROM people WHERE id = ?1", [person.0], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Err(VaultError::UnknownId(format!("person {}", person.0)));
    }
    let lookup = device_lookup(keys, person, &source.source_key);
    let found: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT id, sealed FROM devices WHERE lookup = ?1",
            [&lookup],
            |r| Ok((r.get(0)?, r.get(1)?)),
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
        Some((id, sealed)) => {
            let stored = open_device(keys, id, person.0, &lookup, &sealed)?;
            let unchanged = stored.label == source.label
                && stored.manufacturer == source.manufacturer
                && stored.model == source.model
                && stored.serial == source.serial
                && stored.firmware == source.firmware;
            if !unchanged {
                let (aad, _) = row::devices(id, person.0, &lookup);
                let sealed = keys.seal(&aad, &plain).map_err(map_crypto)?;
                tx.execute(
                    "UPDATE devices SET sealed = ?1 WHERE id = ?2",
                    params![sealed, id],
                )?;
            }
            id
        }
        None => {
            let id: i64 =
                tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM devices", [], |r| {
                    r.get(0)
                })?;
            let (aad, _) = row::devices(id, person.0, &lookup);
            let sealed = keys.seal(&aad, &plain).map_err(map_crypto)?;
            tx.execute(
                "INSERT INTO devices (id, person_id, lookup, sealed) VALUES (?1, ?2, ?3, ?4)",
                params![id, person.0, lookup, sealed],
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

fn open_device(keys: &Keys, id: i64, person: i64, lookup: &[u8], sealed: &[u8]) -> Result<Device> {
    let (aad, name) = row::devices(id, person, lookup);
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

fn open_chunk(keys: &Keys, device: i64, kind: u8, day: i64, sealed: &[u8]) -> Result<Samples> {
    let (aad, name) = row::chunks(device, kind, day);
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

fn merge_into<T: Sample>(
    tx: &Transaction<'_>,
    keys: &Keys,
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
        let sealed: Option<Vec<u8>> = tx
            .query_row(
                "SELECT sealed FROM chunks WHERE device_id = ?1 AND kind = ?2 AND day = ?3",
                params![device.0, kind.code(), day],
                |r| r.get(0),
            )
            .optional()?;
        let stored = match sealed {
            None => Vec::new(),
            Some(sealed) => {
                let (_, name) = row::chunks(device.0, kind.code(), day);
                T::from_samples(open_chunk(keys, device.0, kind.code(), day, &sealed)?)
                    .ok_or(VaultError::Tampered { record: name })?
            }
        };
        let Some(merged) = merge_sorted(stored, day_samples, report) else {
            continue;
        };
        let plain = codec::encode(&T::into_samples(merged));
        let (aad, _) = row::chunks(device.0, kind.code(), day);
        let sealed = keys.seal(&aad, &plain).map_err(map_crypto)?;
        tx.execute(
            "INSERT INTO chunks (device_id, kind, day, sealed) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (device_id, kind, day) DO UPDATE SET sealed = excluded.sealed",
            params![device.0, kind.code(), day, sealed],
        )?;
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
