//! A regular epoch grid in the wearer's wall-clock time: what actigraphy
//! files hold and what the analysis crate takes.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use phr_model::{ActivityEpoch, Stamp, StepCount, TimeError};

/// The most epochs one recording may span from its first to its last, gaps
/// included: 2^23, i.e. 97 days of 1-second epochs or 16 years of 1-minute
/// ones. The analysis lays a recording on a dense grid, so one mistyped date
/// (2626 for 2026) would otherwise ask for gigabytes.
pub const MAX_EPOCHS: u64 = 1 << 23;

/// Whether a recording of `epochs` epochs from wall-clock `start` lies
/// within the years samples may have ([`phr_model::PLAUSIBLE_YEARS`]),
/// both its first epoch and its last (read as UTC; the zone is applied later).
pub(crate) fn plausible_span(start: NaiveDateTime, epochs: usize, epoch_seconds: u32) -> bool {
    let first = start.and_utc().timestamp();
    let last = first + (epochs.saturating_sub(1) as i64) * i64::from(epoch_seconds);
    phr_model::PLAUSIBLE_UTC.contains(&first) && phr_model::PLAUSIBLE_UTC.contains(&last)
}

/// Which file format a recording came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Minute CSV (`timestamp,count`).
    Csv,
    /// Actiwatch `.AWD` (CamNtech / Philips Respironics).
    Awd,
    /// ActiGraph `.agd` (a SQLite database written by ActiLife).
    Agd,
    /// Philips Respironics Actiware CSV export (English, French, German).
    Rpx,
    /// CamNtech MotionWare `.mtn` (MotionWatch 8), an XML file.
    Mtn,
    /// Condor Instruments ActTrust `.txt` report.
    ActTrust,
    /// Tempatilumi `.txt` export (Condor Instruments, Portuguese).
    Tempatilumi,
    /// Daqtix `.csv` export.
    Daqtix,
    /// MESA actigraphy CSV (Multi-Ethnic Study of Atherosclerosis, NSRR).
    Mesa,
    /// biobankAccelerometerAnalysis time series (`-timeSeries.csv.gz`).
    Biobank,
}

impl FileFormat {
    /// Short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Awd => "awd",
            FileFormat::Agd => "agd",
            FileFormat::Rpx => "rpx",
            FileFormat::Mtn => "mtn",
            FileFormat::ActTrust => "acttrust",
            FileFormat::Tempatilumi => "tempatilumi",
            FileFormat::Daqtix => "daqtix",
            FileFormat::Mesa => "mesa",
            FileFormat::Biobank => "biobank",
        }
    }
}

/// An actigraphy recording on a regular grid of wall-clock epochs.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecording {
    /// Where it came from.
    pub format: FileFormat,
    /// Subject name or code from the file header, if any.
    pub subject: Option<String>,
    /// Device model, if the file says.
    pub device_model: Option<String>,
    /// Device serial number, if the file says.
    pub device_serial: Option<String>,
    /// Wall-clock time of the first epoch.
    pub start: NaiveDateTime,
    /// Epoch length in seconds.
    pub epoch_seconds: u32,
    /// Activity count per epoch; `None` where nothing was recorded.
    pub counts: Vec<Option<f64>>,
    /// Steps per epoch, for devices that count them.
    pub steps: Option<Vec<Option<f64>>>,
    /// White light per epoch (lux), for devices that measure it, on the
    /// same grid as `counts`. Read and checked, but not stored: the vault
    /// has no light samples yet.
    pub light: Option<Vec<Option<f64>>>,
}

impl ActivityRecording {
    /// A recording with only the grid known (no subject or device details).
    pub fn on_grid(
        format: FileFormat,
        start: NaiveDateTime,
        epoch_seconds: u32,
        counts: Vec<Option<f64>>,
    ) -> Self {
        ActivityRecording {
            format,
            subject: None,
            device_model: None,
            device_serial: None,
            start,
            epoch_seconds,
            counts,
            steps: None,
            light: None,
        }
    }

    /// The instant of each epoch for a device whose clock was set to local
    /// time in `zone` at the first epoch and then ran continuously (as
    /// actigraphs do: they do not observe daylight-saving changes). Counts
    /// are rounded to whole numbers for storage; gaps are left out.
    pub fn epochs(&self, zone: Tz) -> Result<Vec<ActivityEpoch>, TimeError> {
        let first = self.first_instant(zone)?;
        let mut epochs = Vec::with_capacity(self.counts.len());
        for (idx, count) in self.counts.iter().enumerate() {
            let Some(count) = count else { continue };
            let utc = first + idx as i64 * i64::from(self.epoch_seconds);
            epochs.push(ActivityEpoch {
                at: Stamp::in_zone(utc, zone)?,
                epoch_seconds: self.epoch_seconds,
                count: count.round().clamp(0.0, f64::from(u32::MAX)) as u32,
            });
        }
        Ok(epochs)
    }

    /// Steps per epoch as step intervals (epochs with steps only).
    pub fn step_counts(&self, zone: Tz) -> Result<Vec<StepCount>, TimeError> {
        let Some(steps) = &self.steps else {
            return Ok(Vec::new());
        };
        let first = self.first_instant(zone)?;
        let mut out = Vec::new();
        for (idx, n) in steps.iter().enumerate() {
            let Some(n) = n.filter(|n| *n >= 0.5) else {
                continue;
            };
            out.push(StepCount {
                start: Stamp::in_zone(first + idx as i64 * i64::from(self.epoch_seconds), zone)?,
                duration_seconds: self.epoch_seconds,
                steps: n.round().min(f64::from(u32::MAX)) as u32,
            });
        }
        Ok(out)
    }

    fn first_instant(&self, zone: Tz) -> Result<i64, TimeError> {
        Ok(Stamp::from_local(self.start, zone, None)?.utc)
    }
}
