//! The Bangle.js history engine: asks the watch for the history stored
//! since the last checkpoint, reassembles and decodes what arrives, and
//! hands back one whole [`Batch`] (samples plus the new checkpoint) or an
//! error. Nothing partial ever leaves it, so the caller can store a batch
//! and advance its checkpoint in one transaction: a link that drops at any
//! byte costs a retry, never a gap or a duplicate.
//!
//! It talks to a [`UartLink`], a byte pipe with notifications: the Bluetooth
//! LE link (`phr_ble::UartSession`) and the in-process
//! [`SimulatedLink`](crate::SimulatedLink) both implement it, so the same
//! engine and the same protocol bytes run with and without hardware.

use phr_ble::{LinkError, UartLink};
use phr_ble_protocols::banglejs::{self, HistoryFetch, LineAssembler};
use phr_model::{Samples, Stamp};
use std::future::Future;
use std::time::{Duration, Instant};

/// The Nordic UART characteristics Bangle.js uses, for error messages.
pub const UART_TX: &str = "6e400002-b5a3-f393-e0a9-e50e24dcca9e (UART TX)";
/// See [`UART_TX`].
pub const UART_RX: &str = "6e400003-b5a3-f393-e0a9-e50e24dcca9e (UART RX)";

/// Bangle.js stores one health record per 10 minutes.
pub const RECORD_SECONDS: u32 = 600;

/// How far before the checkpoint each fetch starts again (one hour of
/// records): re-sent records merge unchanged, and the record at the
/// checkpoint must be among them, or the watch was reset.
pub const OVERLAP_MILLIS: i64 = 3_600_000;

/// Why a sync failed; nothing from it may be stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The link failed.
    #[error("{device}, {characteristic}: {source}; nothing from this sync was stored, sync again to resume")]
    Link {
        /// Device name.
        device: String,
        /// Which characteristic.
        characteristic: &'static str,
        /// What happened.
        source: LinkError,
    },
    /// Fewer (or more) records arrived than the wearable said it sent.
    #[error("{device}, {characteristic}: the wearable said it sent {expected} records, {received} arrived; nothing from this sync was stored, sync again to resume")]
    Incomplete {
        /// Device name.
        device: String,
        /// Which characteristic.
        characteristic: &'static str,
        /// Records it said it sent.
        expected: u64,
        /// Records that arrived.
        received: u64,
    },
    /// The wearable refused a request.
    #[error("{device}, {characteristic}: {request} was refused (error 0x{code:02X}); nothing from this sync was stored")]
    Refused {
        /// Device name.
        device: String,
        /// Which characteristic.
        characteristic: &'static str,
        /// What was asked.
        request: &'static str,
        /// The error it answered with.
        code: u8,
    },
    /// A notification did not decode.
    #[error("{device}, {characteristic}: {source}; nothing from this sync was stored, sync again to resume")]
    Decode {
        /// Device name.
        device: String,
        /// Which characteristic.
        characteristic: &'static str,
        /// What was wrong.
        source: phr_ble_protocols::DecodeError,
    },
}

/// One sync of a Bangle.js over `link`: its clock and battery, then the
/// history after the checkpoint (stored as the newest record's watch time
/// in ms, decimal), with the instants corrected by the clock offset.
pub(crate) async fn sync<L: UartLink>(
    link: &mut L,
    request: &crate::SyncRequest<'_>,
    progress: &mut dyn FnMut(crate::SyncProgress),
) -> Result<crate::Outcome, SyncError> {
    let clock = request.clock;
    let reading = read_clock(link, crate::LINK_TIMEOUT, || clock.now_millis()).await?;
    let battery = read_battery(link, crate::BATTERY_TIMEOUT).await?;
    // A checkpoint that does not parse counts as none: the whole history
    // is read again and merges with what is stored.
    let checkpoint: Option<i64> = request
        .checkpoint
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| text.parse().ok());
    let expected = expected_records(checkpoint, reading.offset_millis, clock.now_millis());
    let batch = fetch_history_corrected(
        link,
        checkpoint,
        Some(reading.offset_millis),
        crate::LINK_TIMEOUT,
        crate::stamper(request.zone),
        |p| {
            progress(crate::SyncProgress {
                records: p.records,
                expected: expected.map(|e| e.max(p.records)),
            })
        },
    )
    .await?;
    let mut detail = format!("{} records, {} bytes", batch.records, batch.bytes);
    if let Some(ms) = batch.clock_offset_millis {
        detail += &format!(", watch clock {:+.1} s", ms as f64 / 1000.0);
    }
    if batch.device_reset {
        detail += "; the watch had been reset, its whole history was read again";
    }
    Ok(crate::Outcome {
        samples: batch.samples,
        checkpoint: batch.checkpoint.map(|c| c.to_string().into_bytes()),
        detail,
        battery,
        clock_offset_seconds: batch.clock_offset_millis.map(|ms| ms as f64 / 1000.0),
        device_reset: batch.device_reset,
        timing: batch.timing,
    })
}

/// After a checkpoint the records to come are known to within the overlap:
/// one per 10 minutes from the overlap's start up to the watch's now. A
/// first sync has no such bound.
fn expected_records(checkpoint: Option<i64>, clock_offset_millis: i64, now: i64) -> Option<u64> {
    checkpoint.map(|c| {
        let watch_now = now + clock_offset_millis;
        let since = c - OVERLAP_MILLIS;
        u64::try_from((watch_now - since) / (i64::from(RECORD_SECONDS) * 1000)).unwrap_or(0)
    })
}

/// Progress of a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchProgress {
    /// Bytes received.
    pub bytes: u64,
    /// Records received.
    pub records: u64,
}

/// One whole fetched batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Decoded samples, one entry per kind present.
    pub samples: Vec<Samples>,
    /// Stored records received.
    pub records: usize,
    /// Bytes received.
    pub bytes: u64,
    /// The checkpoint to store with the batch: the newest record's time
    /// (ms), or the previous checkpoint when nothing new arrived.
    pub checkpoint: Option<i64>,
    /// The watch no longer held the record at the old checkpoint (its
    /// storage or clock was reset); its whole history was fetched again.
    pub device_reset: bool,
    /// The watch's clock minus the host's, in ms, when it was read before
    /// the fetch ([`read_clock`]); the samples' instants are corrected by
    /// it. The checkpoint stays in the watch's own time.
    pub clock_offset_millis: Option<i64>,
    /// Where the fetch's time went.
    pub timing: FetchTiming,
}

/// How a fetch's wall time split between the link and our own work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchTiming {
    /// Waiting for the link: writing the request and awaiting
    /// notifications (radio, operating system, the watch).
    pub link: Duration,
    /// Reassembling lines, decoding JSON and building samples.
    pub decode: Duration,
}

/// The watch's clock as read over the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// The watch's clock minus the host's, in ms (host time taken halfway
    /// through the exchange).
    pub offset_millis: i64,
    /// How long the exchange took, in ms (the reading's uncertainty is
    /// half of it).
    pub round_trip_millis: i64,
}

/// Reads the watch's clock ([`banglejs::clock_request`]) and compares it
/// with `host_millis` (ms since the epoch), waiting at most `timeout`.
pub async fn read_clock<L: UartLink>(
    link: &mut L,
    timeout: Duration,
    host_millis: impl Fn() -> i64,
) -> Result<ClockReading, SyncError> {
    let before = host_millis();
    let millis = ask(
        link,
        &banglejs::clock_request(),
        timeout,
        false,
        |message| match message {
            banglejs::WatchMessage::Clock { millis } => Some(millis),
            _ => None,
        },
    )
    .await?
    // Without `may_not_answer`, silence is already a link error.
    .ok_or_else(|| SyncError::Link {
        device: link.device().to_string(),
        characteristic: UART_RX,
        source: LinkError::Timeout(timeout),
    })?;
    let after = host_millis();
    Ok(ClockReading {
        offset_millis: millis - (before + (after - before) / 2),
        round_trip_millis: after - before,
    })
}

/// Reads the watch's battery ([`banglejs::battery_request`]): its charge
/// in percent, or `None` if it does not answer within `timeout` (the
/// battery is worth showing, not worth failing a sync for). A link that
/// drops or a line that does not decode is still an error.
pub async fn read_battery<L: UartLink>(
    link: &mut L,
    timeout: Duration,
) -> Result<Option<u8>, SyncError> {
    let answer = ask(
        link,
        &banglejs::battery_request(),
        timeout,
        true,
        |message| match message {
            banglejs::WatchMessage::Status { battery, .. } => Some(battery),
            _ => None,
        },
    )
    .await?;
    Ok(answer.flatten())
}

/// Sends `request` over the UART and returns what `pick` takes from the
/// first message it accepts, skipping other lines. Without `may_not_answer`
/// each notification may take `timeout` and a silent watch is a link
/// error; with it, the whole exchange may take `timeout` and a silent
/// watch is `None`.
async fn ask<L: UartLink, T>(
    link: &mut L,
    request: &[u8],
    timeout: Duration,
    may_not_answer: bool,
    pick: impl Fn(banglejs::WatchMessage) -> Option<T>,
) -> Result<Option<T>, SyncError> {
    let device = link.device().to_string();
    let link_error = |characteristic, source| SyncError::Link {
        device: device.clone(),
        characteristic,
        source,
    };
    for chunk in banglejs::chunks(request, 20) {
        timed(timeout, link.send(chunk))
            .await
            .map_err(|e| link_error(UART_TX, e))?;
    }
    let mut lines = LineAssembler::new(4096);
    let until = tokio::time::Instant::now() + timeout;
    loop {
        let notification = if may_not_answer {
            match tokio::time::timeout_at(until, link.receive()).await {
                Err(_) => return Ok(None),
                Ok(result) => result,
            }
        } else {
            timed(timeout, link.receive()).await
        }
        .map_err(|e| link_error(UART_RX, e))?;
        for line in lines.push(&notification) {
            let decode_error = |source| SyncError::Decode {
                device: device.clone(),
                characteristic: UART_RX,
                source,
            };
            let line = line.map_err(decode_error)?;
            if let Some(answer) = banglejs::parse_line(&line)
                .map_err(decode_error)?
                .and_then(&pick)
            {
                return Ok(Some(answer));
            }
        }
    }
}

/// A record's watch time corrected by the clock offset, on the 10-minute
/// grid the watch records on (so a re-fetched record lands on the same
/// instant even when the measured offset moved by a few seconds).
fn corrected(ts_millis: i64, offset_millis: i64) -> i64 {
    let grid = i64::from(RECORD_SECONDS) * 1000;
    (ts_millis - offset_millis + grid / 2).div_euclid(grid) * grid
}

/// Fetches the history stored after `checkpoint` (ms since the epoch) over
/// `link`, waiting at most `timeout` for each notification. `stamp` gives
/// a record's instant the wearer's UTC offset. The fetch starts
/// [`OVERLAP_MILLIS`] before the checkpoint; when the record at the
/// checkpoint is missing, the watch was reset and its whole history is
/// fetched again ([`Batch::device_reset`]).
pub async fn fetch_history<L: UartLink>(
    link: &mut L,
    checkpoint: Option<i64>,
    timeout: Duration,
    stamp: impl Fn(i64) -> Stamp,
    progress: impl FnMut(FetchProgress),
) -> Result<Batch, SyncError> {
    fetch_history_corrected(link, checkpoint, None, timeout, stamp, progress).await
}

/// [`fetch_history`] with the samples' instants corrected by the watch's
/// clock offset (`clock_offset_millis`, from [`read_clock`]): a record the
/// watch stamped `t` happened at `t - offset`, put on the 10-minute grid.
/// The offset is assumed constant over the history (a watch's drift is
/// seconds a week); the checkpoint stays in the watch's time.
pub async fn fetch_history_corrected<L: UartLink>(
    link: &mut L,
    checkpoint: Option<i64>,
    clock_offset_millis: Option<i64>,
    timeout: Duration,
    stamp: impl Fn(i64) -> Stamp,
    mut progress: impl FnMut(FetchProgress),
) -> Result<Batch, SyncError> {
    let since = checkpoint.map_or(0, |c| c.saturating_sub(OVERLAP_MILLIS));
    let mut timing = FetchTiming::default();
    let (mut records, mut bytes) =
        fetch_records(link, since, timeout, &mut progress, &mut timing).await?;
    let device_reset = checkpoint.is_some_and(|c| !records.iter().any(|r| r.ts_millis == c));
    if device_reset && since > 0 {
        let (all, more) = fetch_records(link, 0, timeout, &mut progress, &mut timing).await?;
        records = all;
        bytes += more;
    }
    let decoding = Instant::now();
    let newest = records.iter().map(|r| r.ts_millis).max();
    if let Some(offset) = clock_offset_millis {
        for record in &mut records {
            record.ts_millis = corrected(record.ts_millis, offset);
        }
    }
    let samples = banglejs::to_samples(&records, RECORD_SECONDS, stamp)
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    timing.decode += decoding.elapsed();
    Ok(Batch {
        samples,
        records: records.len(),
        bytes,
        checkpoint: if device_reset {
            newest.or(checkpoint)
        } else {
            newest.max(checkpoint)
        },
        device_reset,
        clock_offset_millis,
        timing,
    })
}

/// One history request from `since` (ms): the stored records and the bytes
/// received.
async fn fetch_records<L: UartLink>(
    link: &mut L,
    since: i64,
    timeout: Duration,
    progress: &mut impl FnMut(FetchProgress),
    timing: &mut FetchTiming,
) -> Result<(Vec<banglejs::ActivityRecord>, u64), SyncError> {
    let device = link.device().to_string();
    let link_error = |characteristic, source| SyncError::Link {
        device: device.clone(),
        characteristic,
        source,
    };
    let decode_error = |source| SyncError::Decode {
        device: device.clone(),
        characteristic: UART_RX,
        source,
    };
    let waiting = Instant::now();
    for chunk in banglejs::chunks(&banglejs::fetch_request(since), 20) {
        timed(timeout, link.send(chunk))
            .await
            .map_err(|e| link_error(UART_TX, e))?;
    }
    timing.link += waiting.elapsed();
    let mut lines = LineAssembler::new(64 * 1024);
    let mut fetch = HistoryFetch::new();
    let mut bytes = 0u64;
    while !fetch.is_finished() {
        let waiting = Instant::now();
        let notification = timed(timeout, link.receive())
            .await
            .map_err(|e| link_error(UART_RX, e))?;
        let decoding = Instant::now();
        timing.link += decoding - waiting;
        bytes += notification.len() as u64;
        for line in lines.push(&notification) {
            let line = line.map_err(decode_error)?;
            if let Some(message) = banglejs::parse_line(&line).map_err(decode_error)? {
                fetch.observe(&message).map_err(decode_error)?;
            }
        }
        timing.decode += decoding.elapsed();
        progress(FetchProgress {
            bytes,
            records: fetch.records().len() as u64,
        });
    }
    Ok((fetch.records().to_vec(), bytes))
}

async fn timed<T>(
    timeout: Duration,
    future: impl Future<Output = Result<T, LinkError>>,
) -> Result<T, LinkError> {
    tokio::time::timeout(timeout, future)
        .await
        .map_err(|_| LinkError::Timeout(timeout))?
}
