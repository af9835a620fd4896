//! Bangle.js over the Nordic UART Service: JSON lines, line reassembly from
//! notification chunks, the activity history fetch, and mapping of activity
//! records to model samples.
//!
//! The exchange follows Gadgetbridge's `BangleJSDeviceSupport`:
//! * phone → watch: `"\x10GB(" + json + ")\n"` written to TX in chunks of at
//!   most the ATT payload size (20 bytes by default);
//! * watch → phone: newline-terminated lines on RX notifications; lines that
//!   are JSON objects carry a type `t`; anything else is console output;
//! * history: the phone sends `{"t":"actfetch","ts":<ms since epoch>}`; the
//!   watch answers `{"t":"actfetch","state":"start"}`, then one
//!   `{"t":"act",…,"rt":0}` line per stored record, then
//!   `{"t":"actfetch","state":"end"}` (a `count` there is checked if present).

use crate::DecodeError;
use crate::{batches, push_stage};
use phr_model::{ActivityEpoch, HeartRate, Samples, SleepEpisode, SleepStage, Stamp, StepCount};
use serde_json::Value;

/// Nordic UART Service.
pub const UART_SERVICE: u128 = 0x6e400001_b5a3_f393_e0a9_e50e24dcca9e;
/// TX: the phone writes here.
pub const UART_TX: u128 = 0x6e400002_b5a3_f393_e0a9_e50e24dcca9e;
/// RX: the watch notifies here.
pub const UART_RX: u128 = 0x6e400003_b5a3_f393_e0a9_e50e24dcca9e;

const WHAT: &str = "Bangle.js UART";

/// Reassembles newline-terminated lines from notification chunks.
#[derive(Debug, Clone)]
pub struct LineAssembler {
    buffer: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

impl Default for LineAssembler {
    fn default() -> Self {
        LineAssembler::new(16 * 1024)
    }
}

impl LineAssembler {
    /// An assembler that discards any line longer than `limit` bytes.
    pub fn new(limit: usize) -> Self {
        LineAssembler {
            buffer: Vec::new(),
            limit,
            overflowed: false,
        }
    }

    /// Adds one chunk; returns every line it completed (without `\r\n`), or
    /// an error in place of a line that exceeded the limit. Bytes are decoded
    /// as UTF-8, invalid sequences replaced.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Result<String, DecodeError>> {
        let mut lines = Vec::new();
        for byte in chunk {
            if *byte == b'\n' {
                if self.overflowed {
                    lines.push(Err(DecodeError::TooLarge {
                        what: WHAT,
                        limit: self.limit,
                    }));
                } else {
                    // The watch writes UTF-8; anything else is a damaged
                    // notification. Decoding it lossily could turn garbage
                    // into a valid JSON line with fields silently lost.
                    match String::from_utf8(std::mem::take(&mut self.buffer)) {
                        Ok(mut line) => {
                            if line.ends_with('\r') {
                                line.pop();
                            }
                            lines.push(Ok(line));
                        }
                        Err(e) => lines.push(Err(DecodeError::Invalid {
                            what: WHAT,
                            field: "line",
                            offset: e.utf8_error().valid_up_to(),
                            reason: "not valid UTF-8 (a damaged notification)".into(),
                        })),
                    }
                }
                self.buffer.clear();
                self.overflowed = false;
            } else if self.buffer.len() >= self.limit {
                self.overflowed = true;
                self.buffer.clear();
            } else if !self.overflowed {
                self.buffer.push(*byte);
            }
        }
        lines
    }

    /// Bytes of an unfinished line held back.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }
}

/// Activity kind as Bangle.js / Gadgetbridge name it in `act`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityKind {
    /// Generic activity (the default when `act` is absent).
    Activity,
    /// Light sleep.
    LightSleep,
    /// Deep sleep.
    DeepSleep,
    /// REM sleep.
    RemSleep,
    /// Awake within sleep.
    AwakeSleep,
    /// Watch not worn.
    NotWorn,
    /// Anything else (`WALKING`, `RUNNING`, `UNKNOWN`, …), upper-cased.
    Other(String),
}

impl ActivityKind {
    fn parse(name: &str) -> Self {
        match name.to_ascii_uppercase().as_str() {
            "ACTIVITY" => ActivityKind::Activity,
            "LIGHT_SLEEP" => ActivityKind::LightSleep,
            "DEEP_SLEEP" => ActivityKind::DeepSleep,
            "REM_SLEEP" => ActivityKind::RemSleep,
            "AWAKE_SLEEP" => ActivityKind::AwakeSleep,
            "NOT_WORN" => ActivityKind::NotWorn,
            other => ActivityKind::Other(other.to_string()),
        }
    }

    /// The sleep stage this kind stands for, if it is a sleep kind.
    pub fn sleep_stage(&self) -> Option<SleepStage> {
        match self {
            ActivityKind::LightSleep => Some(SleepStage::Light),
            ActivityKind::DeepSleep => Some(SleepStage::Deep),
            ActivityKind::RemSleep => Some(SleepStage::Rem),
            ActivityKind::AwakeSleep => Some(SleepStage::Awake),
            _ => None,
        }
    }
}

/// One `{"t":"act",…}` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    /// Watch time in milliseconds since the Unix epoch (`ts`).
    pub ts_millis: i64,
    /// Steps in the record's interval (`stp`).
    pub steps: u32,
    /// Heart rate (`hrm`), `None` when 0 or absent.
    pub heart_rate: Option<u16>,
    /// Movement intensity (`mov`), device units.
    pub movement: Option<u32>,
    /// `rt == 1`: a live value, not a stored record.
    pub realtime: bool,
    /// Activity kind (`act`).
    pub kind: ActivityKind,
}

/// A message line from the watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchMessage {
    /// An activity record.
    Activity(ActivityRecord),
    /// History fetch started.
    FetchStart,
    /// History fetch ended, with the record count if the watch sent one.
    FetchEnd {
        /// Records the watch says it sent.
        count: Option<u64>,
    },
    /// The watch's clock (`{"t":"clock","ts":…}`), answering
    /// [`clock_request`]: milliseconds since the Unix epoch.
    Clock {
        /// The watch's `Date.now()`.
        millis: i64,
    },
    /// Battery status (`{"t":"status","bat":…,"chg":…}`).
    Status {
        /// Battery percentage.
        battery: Option<u8>,
        /// Charging.
        charging: Option<bool>,
    },
    /// Any other JSON message; its `t`.
    Other(String),
}

fn json_error(error: &serde_json::Error) -> DecodeError {
    DecodeError::Json {
        what: WHAT,
        column: error.column(),
        reason: error.to_string(),
    }
}

fn invalid(field: &'static str, reason: String) -> DecodeError {
    DecodeError::Invalid {
        what: WHAT,
        field,
        offset: 0,
        reason,
    }
}

fn uint_field(
    object: &serde_json::Map<String, Value>,
    key: &'static str,
) -> Result<Option<u64>, DecodeError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_u64() {
            Some(n) => Ok(Some(n)),
            // Espruino may send whole numbers as floats (e.g. 72.0).
            None => match value.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => Ok(Some(f as u64)),
                _ => Err(invalid(
                    key,
                    format!("expected a non-negative integer, got {value}"),
                )),
            },
        },
    }
}

/// Parses one received line. Returns `Ok(None)` for console output (lines
/// that are not a JSON object), an error for a malformed JSON object.
pub fn parse_line(line: &str) -> Result<Option<WatchMessage>, DecodeError> {
    let trimmed = line
        .trim_start_matches(['\u{10}', '>', ' ', '\t'])
        .trim_end();
    if !trimmed.starts_with('{') {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(trimmed).map_err(|e| json_error(&e))?;
    let Value::Object(object) = value else {
        return Ok(None);
    };
    let kind = object
        .get("t")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("t", "missing or not a string".into()))?;
    let message = match kind {
        "act" => {
            let ts = uint_field(&object, "ts")?.ok_or_else(|| invalid("ts", "missing".into()))?;
            let ts_millis =
                i64::try_from(ts).map_err(|_| invalid("ts", format!("{ts} out of range")))?;
            let to_u32 = |key: &'static str, n: Option<u64>| -> Result<Option<u32>, DecodeError> {
                n.map(|n| u32::try_from(n).map_err(|_| invalid(key, format!("{n} out of range"))))
                    .transpose()
            };
            let steps = to_u32("stp", uint_field(&object, "stp")?)?.unwrap_or(0);
            let heart_rate = match uint_field(&object, "hrm")? {
                None | Some(0) => None,
                Some(bpm) if bpm <= 300 => Some(bpm as u16),
                Some(bpm) => return Err(invalid("hrm", format!("{bpm} bpm is not plausible"))),
            };
            let movement = to_u32("mov", uint_field(&object, "mov")?)?;
            let realtime = uint_field(&object, "rt")? == Some(1);
            let kind = match object.get("act") {
                None | Some(Value::Null) => ActivityKind::Activity,
                Some(Value::String(name)) => ActivityKind::parse(name),
                Some(other) => {
                    return Err(invalid("act", format!("expected a string, got {other}")))
                }
            };
            WatchMessage::Activity(ActivityRecord {
                ts_millis,
                steps,
                heart_rate,
                movement,
                realtime,
                kind,
            })
        }
        "actfetch" => match object.get("state").and_then(Value::as_str) {
            Some("start") => WatchMessage::FetchStart,
            Some("end") => WatchMessage::FetchEnd {
                count: uint_field(&object, "count")?,
            },
            other => {
                return Err(invalid(
                    "state",
                    format!("unknown actfetch state {other:?}"),
                ))
            }
        },
        "clock" => {
            let ts = uint_field(&object, "ts")?.ok_or_else(|| invalid("ts", "missing".into()))?;
            WatchMessage::Clock {
                millis: i64::try_from(ts)
                    .map_err(|_| invalid("ts", format!("{ts} out of range")))?,
            }
        }
        "status" => WatchMessage::Status {
            battery: uint_field(&object, "bat")?.map(|b| b.min(100) as u8),
            charging: object
                .get("chg")
                .and_then(|c| c.as_bool().or(c.as_u64().map(|n| n != 0))),
        },
        other => WatchMessage::Other(other.to_string()),
    };
    Ok(Some(message))
}

/// Frames a command for the watch: `\x10GB(<json>)\n`.
pub fn frame_command(json: &Value) -> Vec<u8> {
    format!("\u{10}GB({json})\n").into_bytes()
}

/// Asks the watch for its clock. Bangle.js runs JavaScript sent over the
/// UART (after `\x10`, which silences the echo); it prints one line,
/// `{"t":"clock","ts":<Date.now()>}`.
pub fn clock_request() -> Vec<u8> {
    CLOCK_REQUEST.as_bytes().to_vec()
}

const CLOCK_REQUEST: &str =
    "\u{10}Bluetooth.println(JSON.stringify({t:\"clock\",ts:Date.now()}))\n";

/// Asks the watch for its battery: it prints one `status` line,
/// `{"t":"status","bat":<E.getBattery()>,"chg":<0|1>}` (the message
/// Gadgetbridge's watch app sends by itself now and then).
pub fn battery_request() -> Vec<u8> {
    BATTERY_REQUEST.as_bytes().to_vec()
}

const BATTERY_REQUEST: &str = "\u{10}Bluetooth.println(JSON.stringify({t:\"status\",bat:E.getBattery(),chg:Bangle.isCharging()?1:0}))\n";

/// The history request: records stored since `since_millis`.
pub fn fetch_request(since_millis: i64) -> Vec<u8> {
    frame_command(&serde_json::json!({"t": "actfetch", "ts": since_millis}))
}

/// Splits bytes into writes of at most `chunk` bytes (20 with the default
/// ATT MTU of 23).
pub fn chunks(bytes: &[u8], chunk: usize) -> impl Iterator<Item = &[u8]> {
    bytes.chunks(chunk.max(1))
}

/// The watch side of the exchange, as a pure state machine: it buffers what
/// the phone writes to TX into lines, answers `GB({...})` commands, and
/// returns the answer as RX notifications of at most 20 bytes. Used by the
/// simulated BlueZ peer and by the in-process simulated wearable, so both
/// serve the same bytes.
#[derive(Clone, Default)]
pub struct SimulatedWatch {
    pending: Vec<u8>,
    history: Vec<Value>,
    clock: Option<WatchClock>,
}

/// Where a simulated watch reads its `Date.now()` (ms since the epoch).
pub type WatchClock = std::sync::Arc<dyn Fn() -> i64 + Send + Sync>;

impl std::fmt::Debug for SimulatedWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedWatch")
            .field("pending", &self.pending.len())
            .field("history", &self.history.len())
            .field("clock", &self.clock.is_some())
            .finish()
    }
}

impl SimulatedWatch {
    /// A watch holding stored activity `history` (JSON `act` objects without
    /// `t`, each with a `ts` in milliseconds).
    pub fn new(history: Vec<Value>) -> Self {
        SimulatedWatch {
            pending: Vec::new(),
            history,
            clock: None,
        }
    }

    /// Gives the watch a clock, so it answers [`clock_request`]; without
    /// one it stays silent (this crate reads no clock itself).
    pub fn with_clock(mut self, clock: WatchClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Replaces the stored history (a watch that was reset or kept recording).
    pub fn set_history(&mut self, history: Vec<Value>) {
        self.history = history;
    }

    fn answer(&self, command: &Value) -> Vec<String> {
        match command.get("t").and_then(|t| t.as_str()) {
            Some("actfetch") => {
                let since = command.get("ts").and_then(|t| t.as_i64()).unwrap_or(0);
                let records: Vec<&Value> = self
                    .history
                    .iter()
                    .filter(|r| r.get("ts").and_then(|t| t.as_i64()).unwrap_or(0) >= since)
                    .collect();
                let mut lines = vec![r#"{"t":"actfetch","state":"start"}"#.to_string()];
                for record in &records {
                    let mut record = (*record).clone();
                    if let Some(object) = record.as_object_mut() {
                        object.insert("t".into(), "act".into());
                        object.insert("rt".into(), 0.into());
                    }
                    lines.push(record.to_string());
                }
                lines.push(format!(
                    r#"{{"t":"actfetch","state":"end","count":{}}}"#,
                    records.len()
                ));
                lines
            }
            Some("status") | None => vec![r#"{"t":"status","bat":64,"chg":0}"#.to_string()],
            Some(_) => Vec::new(),
        }
    }

    /// Takes bytes written to TX; returns the RX notifications it answers with.
    pub fn write(&mut self, value: &[u8]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(value);
        let mut out = Vec::new();
        while let Some(newline) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=newline).collect();
            let text = String::from_utf8_lossy(&line);
            let text = text.trim().trim_start_matches('\u{10}');
            if text == BATTERY_REQUEST.trim().trim_start_matches('\u{10}') {
                for reply in self.answer(&serde_json::json!({"t": "status"})) {
                    let bytes = format!("{reply}\n").into_bytes();
                    out.extend(chunks(&bytes, 20).map(<[u8]>::to_vec));
                }
                continue;
            }
            if text == CLOCK_REQUEST.trim().trim_start_matches('\u{10}') {
                if let Some(clock) = &self.clock {
                    let bytes = format!("{{\"t\":\"clock\",\"ts\":{}}}\n", clock()).into_bytes();
                    out.extend(chunks(&bytes, 20).map(<[u8]>::to_vec));
                }
                continue;
            }
            let Some(json) = text.strip_prefix("GB(").and_then(|t| t.strip_suffix(')')) else {
                continue;
            };
            let Ok(command) = serde_json::from_str::<Value>(json) else {
                continue;
            };
            for reply in self.answer(&command) {
                let bytes = format!("{reply}\n").into_bytes();
                out.extend(chunks(&bytes, 20).map(<[u8]>::to_vec));
            }
        }
        out
    }
}

/// Collects one history fetch: stored records between `start` and `end`.
#[derive(Debug, Clone, Default)]
pub struct HistoryFetch {
    started: bool,
    finished: bool,
    records: Vec<ActivityRecord>,
}

impl HistoryFetch {
    /// A fetch waiting for `start`.
    pub fn new() -> Self {
        HistoryFetch::default()
    }

    /// Feeds one message; returns true once the fetch has ended. Stored
    /// records seen before `start` are kept too (the watch may send them as
    /// they are written); real-time ones never are.
    pub fn observe(&mut self, message: &WatchMessage) -> Result<bool, DecodeError> {
        match message {
            WatchMessage::FetchStart => self.started = true,
            WatchMessage::Activity(record) if !record.realtime => self.records.push(record.clone()),
            WatchMessage::FetchEnd { count } => {
                self.finished = true;
                if let Some(count) = count {
                    if *count != self.records.len() as u64 {
                        return Err(invalid(
                            "count",
                            format!(
                                "watch says {count} record(s), {} received",
                                self.records.len()
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(self.finished)
    }

    /// True once `end` was seen.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The stored records received, in arrival order.
    pub fn records(&self) -> &[ActivityRecord] {
        &self.records
    }
}

/// Maps stored activity records to model samples. Each record covers
/// `epoch_seconds` from its `ts` (Bangle.js's health records are 10 minutes:
/// pass 600). `stamp` turns a Unix instant into a [`Stamp`] with the wearer's
/// offset. Records are de-duplicated by timestamp (the last one wins) and
/// sorted. Not-worn records produce no samples; consecutive sleep records
/// (gaps of at most one epoch) form one [`SleepEpisode`] with stages.
pub fn to_samples(
    records: &[ActivityRecord],
    epoch_seconds: u32,
    stamp: impl Fn(i64) -> Stamp,
) -> Vec<Samples> {
    let epoch_seconds = epoch_seconds.max(1);
    let mut sorted: Vec<&ActivityRecord> = records.iter().filter(|r| !r.realtime).collect();
    sorted.sort_by_key(|r| r.ts_millis);
    sorted.reverse();
    sorted.dedup_by_key(|r| r.ts_millis.div_euclid(1000));
    sorted.reverse();

    let mut steps = Vec::new();
    let mut heart = Vec::new();
    let mut activity = Vec::new();
    let mut sleep: Vec<SleepEpisode> = Vec::new();
    let mut last_sleep_end: Option<i64> = None;
    for record in sorted {
        let start_utc = record.ts_millis.div_euclid(1000);
        let start = stamp(start_utc);
        if record.kind == ActivityKind::NotWorn {
            continue;
        }
        if record.steps > 0 {
            steps.push(StepCount {
                start,
                duration_seconds: epoch_seconds,
                steps: record.steps,
            });
        }
        if let Some(bpm) = record.heart_rate {
            heart.push(HeartRate { at: start, bpm });
        }
        if let Some(count) = record.movement {
            activity.push(ActivityEpoch {
                at: start,
                epoch_seconds,
                count,
            });
        }
        if let Some(stage) = record.kind.sleep_stage() {
            let end_utc = start_utc + i64::from(epoch_seconds);
            let continues = last_sleep_end
                .is_some_and(|end| start_utc >= end && start_utc - end <= i64::from(epoch_seconds));
            match sleep.last_mut() {
                Some(episode) if continues => {
                    let offset = u32::try_from(start_utc - episode.start.utc).unwrap_or(u32::MAX);
                    push_stage(episode, offset, epoch_seconds, stage);
                    episode.end = stamp(end_utc);
                }
                _ => {
                    let mut episode = SleepEpisode {
                        start,
                        end: stamp(end_utc),
                        is_main: false,
                        method: "device".into(),
                        stages: Vec::new(),
                    };
                    push_stage(&mut episode, 0, epoch_seconds, stage);
                    sleep.push(episode);
                }
            }
            last_sleep_end = Some(end_utc);
        }
    }
    batches(steps, heart, activity, sleep)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_line_that_is_not_utf8_is_rejected_not_decoded_lossily() {
        // A notification whose bytes were garbled inside a key: decoded
        // lossily this would still be valid JSON, with `hrm` and `mov` lost.
        let mut chunk = br#"{"act":"ACTIVITY","h"#.to_vec();
        chunk.extend(
            b"rm\":61,\"mov\":397,\"rt"
                .iter()
                .take(19)
                .map(|b| b ^ 0xA5),
        );
        chunk.extend_from_slice(br#"":0,"stp":3,"t":"act","ts":1}"#);
        chunk.push(b'\n');
        let lines = LineAssembler::new(1024).push(&chunk);
        assert_eq!(lines.len(), 1);
        let err = lines[0].clone().expect_err("garbled line must be rejected");
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
    }

    use super::*;

    #[test]
    fn lines_reassemble_across_20_byte_chunks() {
        let mut assembler = LineAssembler::default();
        let text = b"{\"t\":\"act\",\"ts\":1700000000000,\"stp\":12}\r\n>console\n{\"t\":";
        let mut lines = Vec::new();
        for chunk in text.chunks(20) {
            lines.extend(assembler.push(chunk));
        }
        let lines: Vec<String> = lines.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            lines,
            vec![
                "{\"t\":\"act\",\"ts\":1700000000000,\"stp\":12}",
                ">console"
            ]
        );
        assert_eq!(assembler.pending(), 5);
    }

    #[test]
    fn overlong_line_is_reported_and_skipped() {
        let mut assembler = LineAssembler::new(8);
        let out = assembler.push(b"0123456789abc\nok\n");
        assert!(matches!(
            out[0],
            Err(DecodeError::TooLarge { limit: 8, .. })
        ));
        assert_eq!(out[1].as_deref().unwrap(), "ok");
    }

    #[test]
    fn parses_activity_lines() {
        // Gadgetbridge BangleJSDeviceSupport.handleActivity field names.
        let line = r#"{"t":"act","ts":1700000000000,"stp":42,"hrm":61,"mov":310,"rt":0,"act":"LIGHT_SLEEP"}"#;
        assert_eq!(
            parse_line(line).unwrap(),
            Some(WatchMessage::Activity(ActivityRecord {
                ts_millis: 1_700_000_000_000,
                steps: 42,
                heart_rate: Some(61),
                movement: Some(310),
                realtime: false,
                kind: ActivityKind::LightSleep,
            }))
        );
        let realtime = parse_line(r#"{"t":"act","ts":1,"hrm":0,"rt":1}"#).unwrap();
        assert!(matches!(
            realtime,
            Some(WatchMessage::Activity(ActivityRecord {
                realtime: true,
                heart_rate: None,
                ..
            }))
        ));
        assert_eq!(parse_line(">Uncaught Error").unwrap(), None);
        assert_eq!(parse_line("").unwrap(), None);
        assert!(parse_line(r#"{"t":"act","ts":1,"stp":-3}"#).is_err());
        assert!(parse_line(r#"{"t":"act"}"#).is_err());
        assert!(parse_line(r#"{"t":"act","ts":1,"stp":1"#).is_err());
        assert!(parse_line(r#"{"ts":1}"#).is_err());
        assert_eq!(
            parse_line(r#"{"t":"status","bat":87,"chg":0}"#).unwrap(),
            Some(WatchMessage::Status {
                battery: Some(87),
                charging: Some(false)
            })
        );
    }

    #[test]
    fn the_clock_is_asked_for_and_answered() {
        let request = String::from_utf8(clock_request()).unwrap();
        assert_eq!(
            request,
            "\u{10}Bluetooth.println(JSON.stringify({t:\"clock\",ts:Date.now()}))\n"
        );
        let mut silent = SimulatedWatch::new(Vec::new());
        assert!(
            silent.write(&clock_request()).is_empty(),
            "no clock, no answer"
        );
        let mut watch =
            SimulatedWatch::new(Vec::new()).with_clock(std::sync::Arc::new(|| 1_772_319_600_123));
        let mut lines = LineAssembler::new(1024);
        let mut answers = Vec::new();
        for part in chunks(&clock_request(), 20) {
            for notification in watch.write(part) {
                assert!(notification.len() <= 20);
                answers.extend(lines.push(&notification));
            }
        }
        assert_eq!(answers.len(), 1);
        let line = answers.remove(0).unwrap();
        assert_eq!(
            parse_line(&line).unwrap(),
            Some(WatchMessage::Clock {
                millis: 1_772_319_600_123
            })
        );
        assert!(parse_line(r#"{"t":"clock"}"#).is_err(), "ts is required");
    }

    #[test]
    fn fetch_request_framing() {
        assert_eq!(
            fetch_request(1_700_000_000_000),
            b"\x10GB({\"t\":\"actfetch\",\"ts\":1700000000000})\n".to_vec()
        );
        let request = fetch_request(1);
        assert!(chunks(&request, 20).all(|c| c.len() <= 20));
    }

    #[test]
    fn history_fetch_collects_stored_records_and_checks_count() {
        let mut fetch = HistoryFetch::new();
        let lines = [
            r#"{"t":"actfetch","state":"start"}"#,
            r#"{"t":"act","ts":1000,"stp":5,"rt":0}"#,
            r#"{"t":"act","ts":2000,"stp":5,"rt":1}"#,
            r#"{"t":"act","ts":3000,"stp":7,"rt":0}"#,
            r#"{"t":"actfetch","state":"end","count":2}"#,
        ];
        let mut done = false;
        for line in lines {
            let message = parse_line(line).unwrap().unwrap();
            done = fetch.observe(&message).unwrap();
        }
        assert!(done);
        assert_eq!(fetch.records().len(), 2);
        let mut short = HistoryFetch::new();
        let end = parse_line(r#"{"t":"actfetch","state":"end","count":3}"#)
            .unwrap()
            .unwrap();
        assert!(short.observe(&end).is_err());
    }

    fn record(minute: i64, steps: u32, kind: ActivityKind) -> ActivityRecord {
        ActivityRecord {
            ts_millis: minute * 60_000,
            steps,
            heart_rate: Some(55),
            movement: Some(3),
            realtime: false,
            kind,
        }
    }

    #[test]
    fn maps_sleep_runs_to_episodes_and_skips_not_worn() {
        let records = vec![
            record(0, 100, ActivityKind::Activity),
            record(10, 0, ActivityKind::NotWorn),
            record(20, 0, ActivityKind::LightSleep),
            record(30, 0, ActivityKind::LightSleep),
            record(40, 0, ActivityKind::DeepSleep),
            record(40, 0, ActivityKind::DeepSleep),
            record(60, 0, ActivityKind::RemSleep),
            record(200, 0, ActivityKind::LightSleep),
        ];
        let samples = to_samples(&records, 600, |utc| Stamp::new(utc, 3600));
        let sleep = samples
            .iter()
            .find_map(|s| match s {
                Samples::Sleep(v) => Some(v.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(sleep.len(), 2);
        assert_eq!(sleep[0].start.utc, 1200);
        assert_eq!(sleep[0].end.utc, 4200);
        assert!(sleep[0].is_main);
        let stages: Vec<_> = sleep[0]
            .stages
            .iter()
            .map(|s| (s.offset_seconds, s.duration_seconds, s.stage))
            .collect();
        assert_eq!(
            stages,
            vec![
                (0, 1200, SleepStage::Light),
                (1200, 600, SleepStage::Deep),
                (2400, 600, SleepStage::Rem)
            ]
        );
        let steps = samples.iter().find_map(|s| match s {
            Samples::Steps(v) => Some(v.clone()),
            _ => None,
        });
        assert_eq!(steps.unwrap().len(), 1);
        let heart = samples.iter().find_map(|s| match s {
            Samples::HeartRate(v) => Some(v.len()),
            _ => None,
        });
        assert_eq!(
            heart,
            Some(6),
            "not-worn skipped, duplicate ts de-duplicated"
        );
    }
}
