//! An in-process simulated wearable: a Bangle.js whose stored history comes
//! from a synthetic lifelog, answering over the same protocol bytes as the
//! real watch, with knobs for link drops and corrupted notifications.

use crate::clock::host_millis;
use crate::RECORD_SECONDS;
use phr_ble::{LinkError, UartLink};
use phr_ble_protocols::banglejs::SimulatedWatch;
use phr_model::SleepStage;
use phr_synth::Lifelog;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Faults to inject, counted in RX notifications delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkFaults {
    /// Drop the link after this many notifications.
    pub drop_after_notifications: Option<usize>,
    /// Deliver this notification (0-based) with a damaged byte.
    pub corrupt_notification: Option<usize>,
    /// The watch's clock runs this many ms ahead of the host's (behind
    /// when negative); kept across reconnects.
    pub clock_skew_millis: i64,
}

/// The watch's stored history as Bangle.js health records: one per 10
/// minutes with steps (`stp`), mean heart rate (`hrm`), movement (`mov`, the
/// sum of the minute activity counts) and the activity kind (`act`: a sleep
/// stage inside a sleep episode, `NOT_WORN` when nothing was sensed).
pub fn history_from_lifelog(log: &Lifelog) -> Vec<Value> {
    #[derive(Default)]
    struct Bucket {
        steps: u64,
        movement: u64,
        hr_sum: u64,
        hr_n: u64,
        minutes: u64,
    }
    let epoch = i64::from(RECORD_SECONDS);
    let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
    for e in &log.activity {
        let b = buckets.entry(e.at.utc.div_euclid(epoch)).or_default();
        b.movement += u64::from(e.count);
        b.minutes += 1;
    }
    for s in &log.steps {
        buckets
            .entry(s.start.utc.div_euclid(epoch))
            .or_default()
            .steps += u64::from(s.steps);
    }
    for h in &log.heart_rate {
        let b = buckets.entry(h.at.utc.div_euclid(epoch)).or_default();
        b.hr_sum += u64::from(h.bpm);
        b.hr_n += 1;
    }
    let stage_at = |utc: i64| -> Option<SleepStage> {
        log.sleep
            .iter()
            .find(|ep| ep.start.utc <= utc && utc < ep.end.utc)
            .map(|ep| {
                let offset = (utc - ep.start.utc) as u32;
                ep.stages
                    .iter()
                    .find(|s| {
                        s.offset_seconds <= offset && offset < s.offset_seconds + s.duration_seconds
                    })
                    .map_or(SleepStage::Light, |s| s.stage)
            })
    };
    buckets
        .into_iter()
        .map(|(bucket, b)| {
            let utc = bucket * epoch;
            let kind = match stage_at(utc) {
                Some(SleepStage::Deep) => "DEEP_SLEEP",
                Some(SleepStage::Rem) => "REM_SLEEP",
                Some(SleepStage::Awake) => "AWAKE_SLEEP",
                Some(_) => "LIGHT_SLEEP",
                None if b.movement == 0 && b.hr_n == 0 => "NOT_WORN",
                None => "ACTIVITY",
            };
            let hrm = b.hr_sum.checked_div(b.hr_n).unwrap_or(0);
            json!({"ts": utc * 1000, "stp": b.steps, "hrm": hrm, "mov": b.movement, "act": kind})
        })
        .collect()
}

/// Records as a watch whose clock is `skew` ms ahead stamped them.
fn skewed(mut history: Vec<Value>, skew: i64) -> Vec<Value> {
    if skew != 0 {
        for record in &mut history {
            if let Some(ts) = record.get("ts").and_then(Value::as_i64) {
                record["ts"] = (ts + skew).into();
            }
        }
    }
    history
}

/// A simulated Bangle.js reached without a radio.
pub struct SimulatedLink {
    name: String,
    watch: SimulatedWatch,
    queue: VecDeque<Vec<u8>>,
    faults: LinkFaults,
    delivered: usize,
    connected: bool,
}

impl SimulatedLink {
    /// A watch called `name` holding `history` (see [`history_from_lifelog`]),
    /// whose clock is the host's plus `faults.clock_skew_millis`; a skewed
    /// watch stamped its records with its own clock, so their `ts` carry
    /// the skew too.
    pub fn new(name: &str, history: Vec<Value>, faults: LinkFaults) -> Self {
        let skew = faults.clock_skew_millis;
        let clock = std::sync::Arc::new(move || host_millis() + skew);
        SimulatedLink {
            name: name.to_string(),
            watch: SimulatedWatch::new(skewed(history, skew)).with_clock(clock),
            queue: VecDeque::new(),
            faults,
            delivered: 0,
            connected: true,
        }
    }

    /// Reconnects after a drop, with no further faults.
    pub fn reconnect(&mut self) {
        self.connected = true;
        self.queue.clear();
        self.faults = LinkFaults {
            clock_skew_millis: self.faults.clock_skew_millis,
            ..LinkFaults::default()
        };
        self.delivered = 0;
    }

    /// Replaces the stored history (the watch recorded more, or was reset).
    pub fn set_history(&mut self, history: Vec<Value>) {
        self.watch
            .set_history(skewed(history, self.faults.clock_skew_millis));
    }
}

impl UartLink for SimulatedLink {
    fn device(&self) -> &str {
        &self.name
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        if !self.connected {
            return Err(LinkError::Disconnected);
        }
        self.queue.extend(self.watch.write(bytes));
        Ok(())
    }

    async fn receive(&mut self) -> Result<Vec<u8>, LinkError> {
        if !self.connected {
            return Err(LinkError::Disconnected);
        }
        if self
            .faults
            .drop_after_notifications
            .is_some_and(|n| self.delivered >= n)
        {
            self.connected = false;
            return Err(LinkError::Disconnected);
        }
        let Some(mut notification) = self.queue.pop_front() else {
            // A silent watch: the caller's timeout decides.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Err(LinkError::Transport("no notification".into()));
        };
        if self.faults.corrupt_notification == Some(self.delivered) {
            if let Some(byte) = notification
                .iter_mut()
                .find(|b| b.is_ascii_digit() || **b == b'"')
            {
                *byte = b'#';
            }
        }
        self.delivered += 1;
        Ok(notification)
    }
}

/// Syncs the in-process simulated Bangle.js through the same engine and
/// protocol bytes as a real one.
pub fn sync_simulated(
    link: &mut SimulatedLink,
    request: &crate::SyncRequest<'_>,
    progress: &mut dyn FnMut(crate::SyncProgress),
) -> Result<crate::Outcome, crate::WearableError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| crate::WearableError::Runtime(e.to_string()))?;
    Ok(runtime.block_on(crate::banglejs::sync(link, request, progress))?)
}

/// A lifelog as the ended sessions of a PAMS activity monitor: one session
/// per `session_seconds` of activity from its first minute, numbered from
/// `first_session`, starting on the wearer's wall clock in `zone`. Each
/// minute of activity is a General Activity Instantaneous record (Activity
/// Count per Minute), each 10 minutes a Step Counter summary of the steps
/// since the last, and each minute inside a sleep episode a Sleep Activity
/// Instantaneous record with its stage and, where the lifelog has one that
/// minute, the heart rate.
pub fn pams_sessions_from_lifelog(
    log: &Lifelog,
    first_session: u16,
    session_seconds: i64,
    zone: chrono_tz::Tz,
) -> Vec<phr_ble_protocols::pams::MonitorSession> {
    use phr_ble_protocols::pams::{
        ActivityRecord, Characteristic, MonitorSession, SessionDescriptor,
    };
    let Some(first) = log.activity.first().map(|e| e.at.utc) else {
        return Vec::new();
    };
    let session_seconds = session_seconds.max(600);
    let heart: BTreeMap<i64, u16> = log
        .heart_rate
        .iter()
        .map(|h| (h.at.utc.div_euclid(60) * 60, h.bpm))
        .collect();
    let mut sessions: BTreeMap<i64, MonitorSession> = BTreeMap::new();
    let mut steps_in_window: BTreeMap<i64, i64> = BTreeMap::new();
    for s in &log.steps {
        *steps_in_window
            .entry(s.start.utc.div_euclid(600) * 600 + 600)
            .or_default() += i64::from(s.steps);
    }
    let session_of = |utc: i64| first + (utc - first).div_euclid(session_seconds) * session_seconds;
    let new_session = |start: i64| MonitorSession {
        descriptor: SessionDescriptor {
            flags: 0,
            session_id: first_session.wrapping_add(((start - first) / session_seconds) as u16),
            sub_session_id: 0,
            start: chrono::DateTime::from_timestamp(start, 0)
                .map(|t| t.with_timezone(&zone).naive_local()),
            rest: Vec::new(),
        },
        records: Vec::new(),
    };
    let record = |characteristic, session: &MonitorSession, at: i64, fields| ActivityRecord {
        characteristic,
        flags: 0,
        session_id: session.descriptor.session_id,
        sub_session_id: 0,
        relative_timestamp: (at - session_of(at)) as u32,
        sequence_number: session.records.len() as u32,
        fields,
    };
    let last = log.activity.last().map_or(first, |e| e.at.utc);
    for epoch in &log.activity {
        let start = session_of(epoch.at.utc);
        let s = sessions.entry(start).or_insert_with(|| new_session(start));
        let r = record(
            Characteristic::GeneralActivityInstantaneous,
            s,
            epoch.at.utc,
            vec![(
                "Activity Count per Minute",
                i64::from(epoch.count.min(0xFFFF)),
            )],
        );
        s.records.push(r);
        let window_end = epoch.at.utc + 60;
        if window_end % 600 == 0 {
            let steps = steps_in_window.get(&window_end).copied().unwrap_or(0);
            // A summary at the session's last minute would belong to the next.
            if session_of(window_end - 1) == session_of(epoch.at.utc) {
                let r = record(
                    Characteristic::StepCounterSummary,
                    s,
                    window_end - 1,
                    vec![("Normal Walking Steps", steps)],
                );
                s.records.push(r);
            }
        }
    }
    for episode in &log.sleep {
        for span in &episode.stages {
            let from = episode.start.utc + i64::from(span.offset_seconds);
            let to = (from + i64::from(span.duration_seconds)).min(last + 60);
            for at in (from..to).step_by(60) {
                if at < first {
                    continue;
                }
                let bits: i64 = match span.stage {
                    SleepStage::Awake => 1 << 0,
                    SleepStage::Asleep => 1 << 1,
                    SleepStage::Rem => 1 << 2,
                    SleepStage::Light => 1 << 4,
                    SleepStage::Deep => 1 << 5,
                };
                let mut fields = vec![("Sleep Stage", bits)];
                if let Some(bpm) = heart.get(&(at.div_euclid(60) * 60)) {
                    fields.push(("Sleeping Heart Rate", i64::from((*bpm).min(255))));
                }
                let start = session_of(at);
                let s = sessions.entry(start).or_insert_with(|| new_session(start));
                let r = record(Characteristic::SleepInstantaneous, s, at, fields);
                s.records.push(r);
            }
        }
    }
    sessions.into_values().collect()
}
