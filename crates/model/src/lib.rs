//! Domain types of the personal health record: people, their devices, the
//! lifelog samples those devices record, and the shared vocabulary of the
//! crates above (the [`Lang`] texts are shown in, the [`CircadianMetrics`]
//! figures computed from activity).
//!
//! Key design choice: every moment is a [`Stamp`], a UTC instant **plus the
//! UTC offset that was in force where the person was**. The instant orders
//! and de-duplicates samples; the offset recovers the wall-clock time and so
//! the local day, which is what sleep and step research counts in. Keeping
//! both means a day is recoverable even across DST changes and travel,
//! without consulting a time-zone database after the fact.
//!
//! This crate is pure: no I/O, no clock. Time comes in as arguments.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod circadian;
mod sample;
mod time;

pub use circadian::CircadianMetrics;
pub use sample::{
    ActivityEpoch, HeartRate, SampleKind, Samples, SleepEpisode, SleepStage, SleepStageSpan,
    StepCount,
};
pub use time::{
    local_day_seconds, local_midnight, parse_time_zone, LocalClock, Stamp, TimeError, ZoneOffsets,
    PLAUSIBLE_UTC, PLAUSIBLE_YEARS,
};

use serde::{Deserialize, Serialize};

/// Identifier of a person in one vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PersonId(pub i64);

/// Identifier of a device (a data source) in one vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeviceId(pub i64);

/// How a person relates to the owner of the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The owner of the vault, whose passphrase opens it.
    Owner,
    /// Someone the owner cares for (e.g. a parent living with dementia).
    CaredFor,
}

/// The language of texts shown to people: caregivers' alerts and digests,
/// the clinician's report, the app. Serialized as its BCP 47 tag (`en`,
/// `ja`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// English.
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// BCP 47 tag (`en`, `ja`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
}

/// A person whose lifelogs the vault holds. Every field is identifying and is
/// stored sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Vault-local identifier.
    pub id: PersonId,
    /// Name as the owner wants it shown.
    pub display_name: String,
    /// IANA time zone the person lives in (e.g. `Asia/Tokyo`); local days are
    /// counted in it.
    pub time_zone: String,
    /// Relation to the vault owner.
    pub role: Role,
    /// Date of birth, if the owner chose to record it.
    pub birth_date: Option<chrono::NaiveDate>,
}

/// What is needed to add a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    /// Name as the owner wants it shown.
    pub display_name: String,
    /// IANA time zone name.
    pub time_zone: String,
    /// Relation to the vault owner.
    pub role: Role,
    /// Date of birth, optional.
    pub birth_date: Option<chrono::NaiveDate>,
}

/// A data source: a wearable, or a file export standing in for one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Vault-local identifier.
    pub id: DeviceId,
    /// The person who wears it.
    pub person: PersonId,
    /// Stable identity of the source, e.g. a Bluetooth address or
    /// `csv:<label>`; one source per person and identity.
    pub source_key: String,
    /// Human-readable name (e.g. "InfiniTime PineTime").
    pub label: String,
    /// Manufacturer, when known.
    pub manufacturer: Option<String>,
    /// Model, when known.
    pub model: Option<String>,
    /// Serial number, when known.
    pub serial: Option<String>,
    /// Firmware revision, when known.
    pub firmware: Option<String>,
}

/// What is needed to register a device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewDevice {
    /// Stable identity of the source (see [`Device::source_key`]).
    pub source_key: String,
    /// Human-readable name.
    pub label: String,
    /// Manufacturer, when known.
    pub manufacturer: Option<String>,
    /// Model, when known.
    pub model: Option<String>,
    /// Serial number, when known.
    pub serial: Option<String>,
    /// Firmware revision, when known.
    pub firmware: Option<String>,
}
