//! Decoders for the GATT payloads of the wearables the PHR syncs from: the
//! Bluetooth SIG Physical Activity Monitor Service ([`pams`]), InfiniTime's
//! motion service ([`infinitime`]), Bangle.js JSON lines over the Nordic UART
//! ([`banglejs`]) and the standard services every watch has ([`standard`]).
//!
//! Key design choice: this crate is **pure**. It never touches Bluetooth, a
//! clock or a file: bytes (and, where time matters, host instants) come in as
//! arguments and decoded values or model samples go out. Every decoder returns
//! `Result<_, DecodeError>` naming the characteristic, the field and the byte
//! offset; malformed or truncated input never panics (the decoders are fuzzed,
//! see `fuzz/`). Stateful pieces (segment reassembly, line assembly, step
//! counter tracking) are small explicit state machines the caller owns, so a
//! sync can be resumed from persisted state after a reconnect.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod banglejs;
mod error;
pub mod infinitime;
pub mod pams;
mod pams_monitor;
mod reader;
pub mod standard;

pub use error::DecodeError;

/// A value carried by one GATT characteristic, decodable from (and, where the
/// client writes it, encodable to) the characteristic's bytes.
pub trait GattValue: Sized {
    /// The characteristic's 128-bit UUID (see [`sig_uuid`] for 16-bit ones).
    const CHARACTERISTIC: u128;
    /// Human-readable name used in error messages.
    const NAME: &'static str;

    /// Decodes one characteristic value (a read result or a notification).
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError>;
}

/// The Bluetooth Base UUID `0000xxxx-0000-1000-8000-00805f9b34fb` with a
/// 16-bit assigned number filled in.
pub const fn sig_uuid(short: u16) -> u128 {
    ((short as u128) << 96) | 0x0000_0000_0000_1000_8000_0080_5f9b_34fb
}

/// Formats a 128-bit UUID in the usual hyphenated lower-case form.
pub fn uuid_string(uuid: u128) -> String {
    let hex = format!("{uuid:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Appends `seconds` of `stage` at `offset` into an episode, merging with
/// the previous span when it is the same stage and adjoins it.
pub(crate) fn push_stage(
    episode: &mut phr_model::SleepEpisode,
    offset: u32,
    seconds: u32,
    stage: phr_model::SleepStage,
) {
    if let Some(last) = episode.stages.last_mut() {
        if last.stage == stage && last.offset_seconds + last.duration_seconds == offset {
            last.duration_seconds += seconds;
            return;
        }
    }
    episode.stages.push(phr_model::SleepStageSpan {
        offset_seconds: offset,
        duration_seconds: seconds,
        stage,
    });
}

/// The samples of one decoded batch, one entry per kind present; on each
/// night the longest sleep episode is marked the main sleep (see
/// [`mark_main_sleep`]).
pub(crate) fn batches(
    steps: Vec<phr_model::StepCount>,
    heart: Vec<phr_model::HeartRate>,
    activity: Vec<phr_model::ActivityEpoch>,
    mut sleep: Vec<phr_model::SleepEpisode>,
) -> Vec<phr_model::Samples> {
    use phr_model::Samples;
    mark_main_sleep(&mut sleep);
    Samples::batches(steps, heart, activity, sleep)
}

/// Marks the longest episode of each night as the main sleep and the
/// others not. An episode belongs to the night of the local date twelve
/// hours before its midpoint: a sleep from 23:00 to 07:00 to the evening it
/// began, an afternoon nap to the night that follows it (where the night's
/// sleep, being longer, stays the main one).
pub fn mark_main_sleep(sleep: &mut [phr_model::SleepEpisode]) {
    use std::collections::BTreeMap;
    let night = |e: &phr_model::SleepEpisode| {
        let midpoint = e.start.utc + (e.end.utc - e.start.utc) / 2;
        phr_model::Stamp::new(midpoint - 12 * 3600, e.start.offset_seconds).local_date()
    };
    let mut longest: BTreeMap<chrono::NaiveDate, usize> = BTreeMap::new();
    for (idx, episode) in sleep.iter().enumerate() {
        let length = episode.end.utc - episode.start.utc;
        longest
            .entry(night(episode))
            .and_modify(|best| {
                if length > sleep[*best].end.utc - sleep[*best].start.utc {
                    *best = idx;
                }
            })
            .or_insert(idx);
    }
    for episode in sleep.iter_mut() {
        episode.is_main = false;
    }
    for idx in longest.into_values() {
        sleep[idx].is_main = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episode(start: i64, hours: f64) -> phr_model::SleepEpisode {
        phr_model::SleepEpisode {
            start: phr_model::Stamp::new(start, 3600),
            end: phr_model::Stamp::new(start + (hours * 3600.0) as i64, 3600),
            is_main: true,
            method: "device".into(),
            stages: Vec::new(),
        }
    }

    #[test]
    fn the_longest_sleep_of_each_night_is_the_main_one() {
        // 2026-03-01 22:00 (UTC+1) for 8 h; a 1 h nap at 14:00 the next
        // day; that evening 23:30 for 7 h; and a 2 h wake-up doze at 07:00
        // after it, on the same night.
        let night1 = 1_772_398_800;
        let mut sleep = vec![
            episode(night1, 8.0),
            episode(night1 + 16 * 3600, 1.0),
            episode(night1 + 25 * 3600 + 1800, 7.0),
            episode(night1 + 33 * 3600, 0.5),
        ];
        mark_main_sleep(&mut sleep);
        let mains: Vec<bool> = sleep.iter().map(|e| e.is_main).collect();
        assert_eq!(mains, vec![true, false, true, false]);
    }

    #[test]
    fn sig_uuid_expands_the_base_uuid() {
        assert_eq!(
            uuid_string(sig_uuid(0x2A19)),
            "00002a19-0000-1000-8000-00805f9b34fb"
        );
    }
}
