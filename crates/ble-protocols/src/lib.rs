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

/// The samples of one decoded batch, one entry per kind present; the
/// longest sleep episode of the batch is marked the main sleep.
pub(crate) fn batches(
    steps: Vec<phr_model::StepCount>,
    heart: Vec<phr_model::HeartRate>,
    activity: Vec<phr_model::ActivityEpoch>,
    mut sleep: Vec<phr_model::SleepEpisode>,
) -> Vec<phr_model::Samples> {
    use phr_model::Samples;
    if let Some(longest) = sleep.iter_mut().max_by_key(|e| e.end.utc - e.start.utc) {
        longest.is_main = true;
    }
    Samples::batches(steps, heart, activity, sleep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sig_uuid_expands_the_base_uuid() {
        assert_eq!(
            uuid_string(sig_uuid(0x2A19)),
            "00002a19-0000-1000-8000-00805f9b34fb"
        );
    }
}
