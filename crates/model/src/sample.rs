//! The lifelog samples a wearable or an export records.

use crate::Stamp;
use serde::{Deserialize, Serialize};

/// The kinds of sample the vault stores; each is stored in its own chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    /// Activity counts per epoch (actigraphy).
    Activity,
    /// Step counts per interval.
    Steps,
    /// Sleep episodes, with stages where the device reports them.
    Sleep,
    /// Heart-rate readings.
    HeartRate,
}

impl SampleKind {
    /// Every kind, in storage order.
    pub const ALL: [SampleKind; 4] = [
        SampleKind::Activity,
        SampleKind::Steps,
        SampleKind::Sleep,
        SampleKind::HeartRate,
    ];

    /// Stable small number used in storage keys.
    pub fn code(self) -> u8 {
        match self {
            SampleKind::Activity => 1,
            SampleKind::Steps => 2,
            SampleKind::Sleep => 3,
            SampleKind::HeartRate => 4,
        }
    }

    /// The kind for a storage code.
    pub fn from_code(code: u8) -> Option<Self> {
        SampleKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// Stable lower-case name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SampleKind::Activity => "activity",
            SampleKind::Steps => "steps",
            SampleKind::Sleep => "sleep",
            SampleKind::HeartRate => "heart_rate",
        }
    }
}

impl std::fmt::Display for SampleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Activity count over one epoch starting at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEpoch {
    /// Start of the epoch.
    pub at: Stamp,
    /// Epoch length in seconds (60 for minute data, 30 for 30-second epochs).
    pub epoch_seconds: u32,
    /// Device activity count for the epoch (device-specific units).
    pub count: u32,
}

/// Steps counted over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepCount {
    /// Start of the interval.
    pub start: Stamp,
    /// Length of the interval in seconds (at least 1).
    pub duration_seconds: u32,
    /// Steps in the interval.
    pub steps: u32,
}

/// One heart-rate reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartRate {
    /// When it was measured.
    pub at: Stamp,
    /// Beats per minute.
    pub bpm: u16,
}

/// Sleep stage as wearables report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SleepStage {
    /// Awake within the sleep episode.
    Awake,
    /// Asleep, stage not known.
    Asleep,
    /// Light sleep (N1/N2).
    Light,
    /// Deep sleep (N3).
    Deep,
    /// REM sleep.
    Rem,
}

impl SleepStage {
    /// Stable small number used in storage.
    pub fn code(self) -> u8 {
        match self {
            SleepStage::Awake => 0,
            SleepStage::Asleep => 1,
            SleepStage::Light => 2,
            SleepStage::Deep => 3,
            SleepStage::Rem => 4,
        }
    }

    /// The stage for a storage code.
    pub fn from_code(code: u8) -> Option<Self> {
        [
            SleepStage::Awake,
            SleepStage::Asleep,
            SleepStage::Light,
            SleepStage::Deep,
            SleepStage::Rem,
        ]
        .into_iter()
        .find(|stage| stage.code() == code)
    }
}

/// A stretch of one stage inside a sleep episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SleepStageSpan {
    /// Seconds from the episode start.
    pub offset_seconds: u32,
    /// Length in seconds.
    pub duration_seconds: u32,
    /// The stage.
    pub stage: SleepStage,
}

/// One sleep episode (a night's main sleep, or a nap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SleepEpisode {
    /// When the episode began (lights out / first sleep, as the source says).
    pub start: Stamp,
    /// When it ended.
    pub end: Stamp,
    /// Whether this is the main sleep of its night.
    pub is_main: bool,
    /// How it was obtained: `device`, or an algorithm with its settings such as
    /// `cole-kripke:mean`.
    pub method: String,
    /// Stages, in order, where known; empty otherwise.
    pub stages: Vec<SleepStageSpan>,
}

/// A homogeneous batch of samples of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "samples", rename_all = "snake_case")]
pub enum Samples {
    /// Activity epochs.
    Activity(Vec<ActivityEpoch>),
    /// Step intervals.
    Steps(Vec<StepCount>),
    /// Sleep episodes.
    Sleep(Vec<SleepEpisode>),
    /// Heart-rate readings.
    HeartRate(Vec<HeartRate>),
}

impl Samples {
    /// One batch per kind that has samples, in a fixed order (steps, heart
    /// rate, activity, sleep).
    pub fn batches(
        steps: Vec<StepCount>,
        heart: Vec<HeartRate>,
        activity: Vec<ActivityEpoch>,
        sleep: Vec<SleepEpisode>,
    ) -> Vec<Samples> {
        [
            Samples::Steps(steps),
            Samples::HeartRate(heart),
            Samples::Activity(activity),
            Samples::Sleep(sleep),
        ]
        .into_iter()
        .filter(|batch| !batch.is_empty())
        .collect()
    }

    /// The kind of every sample in the batch.
    pub fn kind(&self) -> SampleKind {
        match self {
            Samples::Activity(_) => SampleKind::Activity,
            Samples::Steps(_) => SampleKind::Steps,
            Samples::Sleep(_) => SampleKind::Sleep,
            Samples::HeartRate(_) => SampleKind::HeartRate,
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Samples::Activity(v) => v.len(),
            Samples::Steps(v) => v.len(),
            Samples::Sleep(v) => v.len(),
            Samples::HeartRate(v) => v.len(),
        }
    }

    /// True when the batch holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An empty batch of `kind`.
    pub fn empty(kind: SampleKind) -> Self {
        match kind {
            SampleKind::Activity => Samples::Activity(Vec::new()),
            SampleKind::Steps => Samples::Steps(Vec::new()),
            SampleKind::Sleep => Samples::Sleep(Vec::new()),
            SampleKind::HeartRate => Samples::HeartRate(Vec::new()),
        }
    }
}
