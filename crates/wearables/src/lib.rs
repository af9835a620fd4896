//! Every wearable protocol we sync, behind one [`Protocol`] type: the
//! Bangle.js history (Nordic UART, JSON lines), InfiniTime's step counter
//! (GATT reads) and the Bluetooth SIG Physical Activity Monitor Service
//! (sessions of segmented records), plus live heart rate from any watch with
//! the standard Heart Rate service.
//!
//! Key design choice: a sync here returns an [`Outcome`] (samples, the new
//! checkpoint, battery, what to write in the audit log) and stores nothing;
//! the façade stores an outcome and its checkpoint in one vault transaction,
//! so a link that drops at any byte costs a retry, never a gap or a
//! duplicate. Time comes from an injected [`Clock`]. Adding a protocol is a
//! change in this crate only: a [`Protocol`] variant, its module with
//! `probe` and `sync`, and a simulated peripheral for the tests.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod banglejs;
mod bluetooth;
mod clock;
mod infinitime;
mod pams;
mod simulated;

pub use banglejs::{
    fetch_history, fetch_history_corrected, read_battery, read_clock, Batch, ClockReading,
    FetchProgress, FetchTiming, SyncError, OVERLAP_MILLIS, RECORD_SECONDS, UART_RX, UART_TX,
};
pub use bluetooth::{
    live_heart_rate, pair, scan, sync, Found, LiveReading, LiveSession, Target, HEART_RATE,
};
pub use clock::{host_millis, Clock, SystemClock};
pub use phr_ble::{DeviceInformation, LinkError, UartLink};
pub use simulated::{
    history_from_lifelog, pams_sessions_from_lifelog, sync_simulated, LinkFaults, SimulatedLink,
};

use chrono::NaiveDate;
use phr_ble::{BleError, Connection};
use phr_ble_protocols::{
    banglejs as bangle_wire, infinitime as infinitime_wire, pams as pams_wire,
};
use phr_model::{Samples, Stamp};
use std::time::Duration;

/// How long any one Bluetooth or link operation may take.
pub const LINK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long pairing may take (a passkey typed by a person included).
pub const PAIRING_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a watch may take to report its battery.
const BATTERY_TIMEOUT: Duration = Duration::from_secs(2);

/// A wearable protocol we sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Bangle.js (Espruino): the health history over the Nordic UART.
    BangleJs,
    /// InfiniTime (PineTime): the Motion service's cumulative step count.
    InfiniTime,
    /// The Bluetooth SIG Physical Activity Monitor Service: ended sessions
    /// of minute activity, step summaries and sleep.
    Pams,
}

impl Protocol {
    /// Every protocol, in order of preference when a wearable speaks
    /// several: a history before a step counter.
    pub const ALL: [Protocol; 3] = [Protocol::BangleJs, Protocol::Pams, Protocol::InfiniTime];

    /// Its name in scans, pairings and the command line (`banglejs`,
    /// `infinitime`, `pams`).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::BangleJs => "banglejs",
            Protocol::InfiniTime => "infinitime",
            Protocol::Pams => "pams",
        }
    }

    /// The protocol of a name.
    pub fn from_name(name: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The service a wearable advertises when it speaks this protocol.
    pub fn service(self) -> u128 {
        match self {
            Protocol::BangleJs => bangle_wire::UART_SERVICE,
            Protocol::InfiniTime => infinitime_wire::MOTION_SERVICE,
            Protocol::Pams => pams_wire::SERVICE,
        }
    }

    /// The protocol a wearable advertising these protocol names is synced
    /// with (the first of [`Protocol::ALL`] it speaks), if any.
    pub fn choose(names: &[String]) -> Option<Protocol> {
        Protocol::ALL
            .into_iter()
            .find(|p| names.iter().any(|n| n == p.name()))
    }

    /// What a source synced with it is called when the wearable has no
    /// name, and the model recorded for it.
    pub fn kind_and_model(self) -> (&'static str, &'static str) {
        match self {
            Protocol::BangleJs => ("Bangle.js", "Bangle.js"),
            Protocol::InfiniTime => ("PineTime", "InfiniTime"),
            Protocol::Pams => ("Activity monitor", "Physical Activity Monitor"),
        }
    }

    /// The vault namespace its checkpoint is kept under (those of the
    /// first releases, so existing vaults resume where they were).
    pub fn checkpoint_namespace(self) -> &'static str {
        match self {
            Protocol::BangleJs | Protocol::Pams => "sync-checkpoint",
            Protocol::InfiniTime => "step-tracker",
        }
    }

    /// Tries what a sync will do first (open a Bangle.js's UART, read an
    /// InfiniTime's step count, read a monitor's PAM Features), so pairing
    /// can tell whether the wearable insists on a bond.
    async fn probe(self, connection: &Connection) -> Result<(), BleError> {
        match self {
            Protocol::BangleJs => connection.uart_session().await.map(|_| ()),
            Protocol::InfiniTime => infinitime::probe(connection).await,
            Protocol::Pams => pams::probe(connection).await,
        }
    }

    /// Syncs a connected wearable: what it holds after the checkpoint.
    async fn sync(
        self,
        connection: &Connection,
        request: &SyncRequest<'_>,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<Outcome, WearableError> {
        match self {
            Protocol::BangleJs => {
                let mut session = connection.uart_session().await?;
                Ok(banglejs::sync(&mut session, request, progress).await?)
            }
            Protocol::InfiniTime => infinitime::sync(connection, request).await,
            Protocol::Pams => pams::sync(connection, request, progress).await,
        }
    }
}

/// What a sync is given.
#[derive(Clone, Copy)]
pub struct SyncRequest<'a> {
    /// The checkpoint stored with the previous outcome, as it was given
    /// ([`Outcome::checkpoint`]); `None` for a first sync.
    pub checkpoint: Option<&'a [u8]>,
    /// The wearer's time zone: wall-clock times on the watch are read in it
    /// and samples carry its offsets.
    pub zone: chrono_tz::Tz,
    /// The time now.
    pub clock: &'a dyn Clock,
}

/// Progress of a sync, as records arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncProgress {
    /// Records received so far.
    pub records: u64,
    /// About how many are to come in all, when the protocol can tell.
    pub expected: Option<u64>,
}

/// What one sync of one wearable brought: everything the façade stores, in
/// one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Decoded samples, one entry per kind present.
    pub samples: Vec<Samples>,
    /// The checkpoint to store with the samples (opaque bytes, kept under
    /// [`Protocol::checkpoint_namespace`]); `None` leaves the stored one.
    pub checkpoint: Option<Vec<u8>>,
    /// What happened, for the audit log (`144 records, 20480 bytes, watch
    /// clock +0.3 s`).
    pub detail: String,
    /// The wearable's battery charge, when it reports one.
    pub battery: Option<u8>,
    /// The watch's clock minus this computer's, in seconds, where read.
    pub clock_offset_seconds: Option<f64>,
    /// The wearable no longer held what the checkpoint pointed at (reset,
    /// or its storage cleared): everything it holds was read again, and
    /// nothing already stored is lost.
    pub device_reset: bool,
    /// Where the sync's time went.
    pub timing: FetchTiming,
}

impl Outcome {
    /// First and last local day of the activity samples, if any.
    pub fn activity_days(&self) -> Option<(NaiveDate, NaiveDate)> {
        span(self.samples.iter().flat_map(|s| match s {
            Samples::Activity(v) => v.iter().map(|e| e.at.local_date()).collect(),
            _ => Vec::new(),
        }))
    }

    /// First and last local day of any sample, if any.
    pub fn days(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.activity_days().or_else(|| {
            span(self.samples.iter().flat_map(|s| match s {
                Samples::Steps(v) => v.iter().map(|s| s.start.local_date()).collect(),
                Samples::HeartRate(v) => v.iter().map(|h| h.at.local_date()).collect(),
                Samples::Sleep(v) => v.iter().map(|e| e.start.local_date()).collect(),
                Samples::Activity(_) => Vec::new(),
            }))
        })
    }
}

fn span(dates: impl Iterator<Item = NaiveDate>) -> Option<(NaiveDate, NaiveDate)> {
    dates.fold(None, |acc, d| match acc {
        None => Some((d, d)),
        Some((lo, hi)) => Some((lo.min(d), hi.max(d))),
    })
}

/// Why a wearable operation failed. Nothing from a failed sync may be
/// stored; the next sync resumes from the old checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WearableError {
    /// The Bluetooth stack or the wearable failed (names device and
    /// characteristic).
    #[error(transparent)]
    Ble(#[from] BleError),
    /// The wearable refused access until bonded.
    #[error("{source}; the watch asks for pairing: run `phr devices pair {address}`")]
    NeedsPairing {
        /// Its address.
        address: String,
        /// What it said.
        source: BleError,
    },
    /// The sync protocol failed: a dropped link, a record that did not
    /// decode, a count that did not match.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The adapter could not scan (no adapter, BlueZ not running); every
    /// wearable of the sync gets this.
    #[error("{0}")]
    Adapter(String),
    /// The wearable did not answer the scan.
    #[error("{0} did not answer the scan; is it awake and near?")]
    NotFound(String),
    /// A stored checkpoint could not be read (the vault opened it, so it
    /// was written by another version or damaged).
    #[error("the sync checkpoint of {0} is unreadable")]
    Checkpoint(String),
    /// The async runtime Bluetooth needs could not start.
    #[error("cannot start the Bluetooth runtime: {0}")]
    Runtime(String),
}

/// Gives a Unix instant the wearer's UTC offset.
fn stamper(zone: chrono_tz::Tz) -> impl Fn(i64) -> Stamp {
    move |utc| Stamp::in_zone(utc, zone).unwrap_or(Stamp::new(utc, 0))
}

/// Samples of several batches merged into one entry per kind.
fn merge(parts: impl IntoIterator<Item = Samples>) -> Vec<Samples> {
    let (mut steps, mut heart, mut activity, mut sleep) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for part in parts {
        match part {
            Samples::Steps(v) => steps.extend(v),
            Samples::HeartRate(v) => heart.extend(v),
            Samples::Activity(v) => activity.extend(v),
            Samples::Sleep(v) => sleep.extend(v),
        }
    }
    Samples::batches(steps, heart, activity, sleep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_are_chosen_by_preference_and_named_both_ways() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Protocol::choose(&names(&["infinitime", "banglejs"])),
            Some(Protocol::BangleJs)
        );
        assert_eq!(
            Protocol::choose(&names(&["heart_rate", "infinitime", "pams"])),
            Some(Protocol::Pams)
        );
        assert_eq!(Protocol::choose(&names(&["heart_rate"])), None);
        for protocol in Protocol::ALL {
            assert_eq!(Protocol::from_name(protocol.name()), Some(protocol));
        }
    }
}
