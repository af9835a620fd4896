//! The clinician's summary (`phr-report`) of a person's stored data: the
//! façade gathers the figures (analysis, steps, alerts, sources) and the
//! report crate renders them.

use crate::files::{write_atomically, WriteOptions};
use crate::{care::dto, ApiError, ErrorCode, Lang, Phr, Result};
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use phr_model::{local_midnight, SampleKind, Samples, Stamp};
use phr_report::{AlertItem, DayActivity, Night, ReportFonts, ReportInput, Source, Week};
use phr_vault::{AuditAction, AuditEvent};
use serde::Serialize;
use std::collections::BTreeMap;

const TIME: &str = "%Y-%m-%dT%H:%M:%S";

/// The binarization threshold of the analysis behind a report.
const THRESHOLD: f64 = 4.0;

/// What a report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// A PDF with the font embedded.
    Pdf,
    /// One self-contained HTML page.
    Html,
}

impl ReportFormat {
    /// MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "application/pdf",
            ReportFormat::Html => "text/html",
        }
    }

    /// Name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "pdf",
            ReportFormat::Html => "html",
        }
    }

    /// The format a file name asks for when none is given: HTML for
    /// `.html` and `.htm` (any case), else PDF.
    pub fn for_file(path: &std::path::Path) -> ReportFormat {
        let html = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        if html {
            ReportFormat::Html
        } else {
            ReportFormat::Pdf
        }
    }
}

/// A rendered report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderedReport {
    /// The person.
    pub person: i64,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day.
    pub to: NaiveDate,
    /// Language.
    pub lang: String,
    /// Format.
    pub format: ReportFormat,
    /// Nights in the report.
    pub nights: usize,
    /// Alerts in the report.
    pub alerts: usize,
    /// The document.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

fn report_error(e: phr_report::ReportError) -> ApiError {
    let code = match e {
        phr_report::ReportError::Font(_) => ErrorCode::InvalidInput,
        _ => ErrorCode::Internal,
    };
    ApiError::new(code, e.to_string())
}

fn settings_lines(lang: Lang, epoch_seconds: u32, scored: bool) -> Vec<(String, String)> {
    let mut lines: [(&str, String); 5] = match lang {
        Lang::En => [
            ("Sleep/wake scoring", "Cole-Kripke (pyActigraphy 'mean' settings) with Webster's rescoring".into()),
            ("Nights", "Roenneberg rest periods (pyActigraphy defaults), scored for sleep".into()),
            ("Rhythm metrics", format!("IS, IV on hourly bins; L5, M10, RA on raw counts; non-wear masked; weeks of 7 days from the first day; binarization threshold {THRESHOLD}")),
            ("Non-wear", "90 minutes or more of zero counts".into()),
            ("Epoch", format!("{epoch_seconds} s, local wall-clock days")),
        ],
        Lang::Ja => [
            ("睡眠・覚醒判定", "Cole-Kripke法（pyActigraphyの'mean'設定）＋Websterの再判定".into()),
            ("夜の検出", "Roenneberg法による休息期間（pyActigraphy既定値）を睡眠判定".into()),
            ("リズム指標", format!("IS・IVは1時間単位、L5・M10・RAは生の活動量、未装着は除外、週は初日から7日ごと、二値化しきい値{THRESHOLD}")),
            ("未装着", "活動量0が90分以上続く区間".into()),
            ("エポック", format!("{epoch_seconds}秒、現地時刻の暦日")),
        ],
    };
    if !scored {
        lines[0].1 = match lang {
            Lang::En => format!("the wearable's own sleep records (activity epochs of {epoch_seconds} s are too long for Cole-Kripke)"),
            Lang::Ja => format!("ウェアラブル自身の睡眠記録（活動量のエポック{epoch_seconds}秒はCole-Kripke法には長すぎるため）"),
        };
        lines[1].1 = match lang {
            Lang::En => "as the wearable reported them".into(),
            Lang::Ja => "ウェアラブルの報告どおり".into(),
        };
    }
    lines.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A night from a sleep episode the wearable reported.
fn device_night(episode: &phr_model::SleepEpisode) -> Night {
    let summary = phr_fhir::SleepSummary::from_episode(episode);
    let bed = episode.start.local();
    let wake = episode.end.local();
    let in_bed = (episode.end.utc - episode.start.utc) as f64 / 60.0;
    let total = summary.total_minutes.unwrap_or(in_bed);
    let latency = summary.latency_minutes.unwrap_or(0.0);
    Night {
        night_of: (bed - chrono::Duration::hours(12)).date(),
        bed,
        onset: bed + chrono::Duration::seconds((latency * 60.0).round() as i64),
        wake,
        total_sleep_minutes: total,
        efficiency: summary
            .efficiency
            .unwrap_or(if in_bed > 0.0 { total / in_bed } else { 0.0 }),
        waso_minutes: summary.waso_minutes.unwrap_or(0.0),
        awakenings: summary.awakenings.unwrap_or(0),
    }
}

/// The wall-clock minutes of `date` that did not exist in `zone` (the hour
/// skipped when clocks go forward), as minutes from midnight; `0..0` on
/// other days.
fn skipped_minutes(date: NaiveDate, zone: chrono_tz::Tz) -> std::ops::Range<usize> {
    use chrono::TimeZone;
    let midnight = date.and_time(NaiveTime::MIN);
    let missing: Vec<usize> = (0..1440)
        .filter(|m| {
            let local = midnight + chrono::Duration::minutes(*m as i64);
            zone.from_local_datetime(&local).earliest().is_none()
        })
        .collect();
    match (missing.first(), missing.last()) {
        (Some(&a), Some(&b)) => a..b + 1,
        _ => 0..0,
    }
}

fn parse_local(text: &str) -> Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, TIME)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("bad local time {text:?}: {e}")))
}

impl Phr {
    /// The sleep the wearables reported for the nights of `from..=to`: per
    /// night the longest episode (sources disagree on which is "main").
    fn device_nights(
        &self,
        devices: &[phr_model::Device],
        from: NaiveDate,
        to: NaiveDate,
        range: std::ops::Range<i64>,
    ) -> Result<Vec<Night>> {
        let mut by_night: BTreeMap<NaiveDate, (i64, Night)> = BTreeMap::new();
        for device in devices {
            if let Samples::Sleep(episodes) =
                self.vault
                    .samples(device.id, SampleKind::Sleep, range.clone())?
            {
                for e in &episodes {
                    let night = device_night(e);
                    let length = e.end.utc - e.start.utc;
                    if !(from..=to).contains(&night.night_of) {
                        continue;
                    }
                    let longer = by_night
                        .get(&night.night_of)
                        .is_none_or(|(kept, _)| length > *kept);
                    if longer {
                        by_night.insert(night.night_of, (length, night));
                    }
                }
            }
        }
        Ok(by_night.into_values().map(|(_, night)| night).collect())
    }

    /// Gathers everything the clinician's summary of a person over the
    /// local days `from..=to` shows. Alerts are evaluated first (and
    /// stored), so the report shows every alert of the period. `now_utc` is
    /// the time the report is made.
    pub fn report_input(
        &mut self,
        person: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        lang: Lang,
        now_utc: i64,
    ) -> Result<ReportInput> {
        let person = self.person(person)?;
        let zone = crate::zone_of(&person)?;
        let analysis = self.analysis(&person, from, to, THRESHOLD, false)?;
        let report = &analysis.report;
        let now = Stamp::in_zone(now_utc, zone).map_err(|e| ApiError::invalid(e.to_string()))?;

        // Minute counts per local day, non-wear shown as no data.
        let grid = &analysis.recording;
        let epoch = i64::from(grid.epoch_seconds.max(1));
        let mut minutes: BTreeMap<NaiveDate, Vec<(f64, u32)>> = BTreeMap::new();
        let mut date = from;
        while date <= to {
            minutes.insert(date, vec![(0.0, 0); 1440]);
            date = date.succ_opt().unwrap_or(date + Days::new(1));
        }
        for (i, (count, worn)) in grid.counts.iter().zip(&analysis.worn).enumerate() {
            let (Some(count), true) = (count, *worn) else {
                continue;
            };
            // Counts per minute, whatever the epoch length: an epoch longer
            // than a minute covers each of its minutes.
            let per_minute = count * 60.0 / epoch as f64;
            let first = grid.start + chrono::Duration::seconds(i as i64 * epoch);
            for m in 0..(epoch / 60).max(1) {
                let at = first + chrono::Duration::minutes(m);
                if let Some(day) = minutes.get_mut(&at.date()) {
                    let minute = (at.time() - NaiveTime::MIN).num_minutes() as usize;
                    if let Some(slot) = day.get_mut(minute) {
                        slot.0 += per_minute;
                        slot.1 += 1;
                    }
                }
            }
        }
        let days: Vec<DayActivity> = minutes
            .into_iter()
            .map(|(date, slots)| DayActivity {
                date,
                skipped: skipped_minutes(date, zone),
                minutes: slots
                    .into_iter()
                    .map(|(sum, n)| (n > 0).then(|| sum / f64::from(n)))
                    .collect(),
            })
            .collect();

        // Steps per local day (sources merged per hour, see `steps`).
        let range = local_midnight(from, zone)..local_midnight(to + Days::new(1), zone);
        let mut merger = crate::steps::StepMerger::default();
        let devices = self.vault.devices(person.id)?;
        for device in &devices {
            if let Samples::Steps(v) =
                self.vault
                    .samples(device.id, SampleKind::Steps, range.clone())?
            {
                merger.add_source(&v, |at| at.local_date());
            }
        }
        let per_day = merger.per_day();
        let steps = days
            .iter()
            .map(|d| (d.date, per_day.get(&d.date).copied()))
            .collect();

        let scored = report.cole_kripke.settings == crate::analyze::SCORED_SETTINGS;
        let mut nights = report
            .nights
            .iter()
            .filter(|n| (from..=to).contains(&n.night_of))
            .map(|n| {
                let bed = parse_local(&n.start)?;
                // Onset in real time after bed time, then on the wall clock
                // (a clock change may fall between them).
                let latency = (n.sleep_onset_latency_minutes * 60.0).round() as i64;
                let onset = match n.span(zone) {
                    Some((start, _)) => Stamp::in_zone(start.utc + latency, zone)
                        .map_err(|e| ApiError::invalid(e.to_string()))?
                        .local(),
                    None => bed + chrono::Duration::seconds(latency),
                };
                Ok(Night {
                    night_of: n.night_of,
                    bed,
                    onset,
                    wake: parse_local(&n.end)?,
                    total_sleep_minutes: n.total_sleep_minutes,
                    efficiency: n.sleep_efficiency,
                    waso_minutes: n.waso_minutes,
                    awakenings: n.awakenings,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if !scored {
            // Activity too coarse to score: the wearable's own sleep records.
            nights = self.device_nights(&devices, from, to, range.clone())?;
        }
        let worn: BTreeMap<NaiveDate, f64> = report
            .completeness
            .iter()
            .map(|c| (c.date, c.fraction))
            .collect();
        let worn_days: Vec<(NaiveDate, f64)> = days
            .iter()
            .map(|d| (d.date, worn.get(&d.date).copied().unwrap_or(0.0)))
            .collect();
        let weekly = report
            .weekly_worn_only
            .iter()
            .map(|w| {
                let week: Vec<f64> = worn_days
                    .iter()
                    .filter(|(d, _)| *d >= w.from && *d < w.from + Days::new(7))
                    .map(|(_, f)| *f)
                    .collect();
                Week {
                    from: w.from,
                    metrics: w.metrics(),
                    worn_fraction: week.iter().sum::<f64>() / week.len().max(1) as f64,
                }
            })
            .collect();

        let today = now.local_date();
        let period_start = from.and_time(NaiveTime::MIN);
        let period_end = (to + Days::new(1)).and_time(NaiveTime::MIN);
        let alerts = self
            .evaluate_and_store_alerts(&person, Some(from), today)?
            .iter()
            .filter(|s| s.alert.start < period_end && s.alert.end >= period_start)
            .map(|s| {
                let shown = dto(s, lang);
                AlertItem {
                    kind: shown.kind,
                    severity: shown.severity,
                    start: s.alert.start,
                    end: s.alert.end,
                    explanation: shown.explanation,
                    acknowledged_note: shown.acknowledged.map(|a| a.note),
                }
            })
            .collect();

        Ok(ReportInput {
            lang,
            person_name: person.display_name.clone(),
            time_zone: person.time_zone.clone(),
            from,
            to,
            generated: now.local(),
            software: format!("phr {}", env!("CARGO_PKG_VERSION")),
            days,
            steps,
            nights,
            circadian: report.raw_worn_only.metrics(),
            weekly,
            worn: worn_days,
            alerts,
            sources: devices
                .iter()
                .map(|d| Source {
                    label: d.label.clone(),
                    model: d.model.clone(),
                    serial: d.serial.clone(),
                    firmware: d.firmware.clone(),
                })
                .collect(),
            settings: settings_lines(lang, grid.epoch_seconds, scored),
        })
    }

    /// The report as PDF for a FHIR DocumentReference, with its title and a
    /// one-paragraph summary (the DiagnosticReport's conclusion). Nothing is
    /// recorded: the share that carries it is.
    pub(crate) fn report_pdf(
        &mut self,
        person: &str,
        from: NaiveDate,
        to: NaiveDate,
        lang: Lang,
        now_utc: i64,
    ) -> Result<(String, String, Vec<u8>)> {
        let input = self.report_input(Some(person), from, to, lang, now_utc)?;
        let fonts = ReportFonts::find().map_err(report_error)?;
        let pdf = phr_report::pdf(&input, &fonts).map_err(report_error)?;
        let summary = phr_report::conclusion(&input);
        let title = format!("{} {from}/{to}", phr_report::title(input.lang));
        Ok((title, summary, pdf))
    }

    /// [`Phr::report`], written to `out` whole or not at all (a temporary
    /// file next to it, flushed, then renamed over it).
    #[allow(clippy::too_many_arguments)]
    pub fn report_to_file(
        &mut self,
        person: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        lang: Lang,
        format: ReportFormat,
        now_utc: i64,
        out: &std::path::Path,
    ) -> Result<RenderedReport> {
        let report = self.render_report(person, from, to, lang, format, now_utc)?;
        // Recorded only once the file is whole on disk.
        write_atomically(out, &report.bytes, WriteOptions::REPLACE)?;
        self.record_report(&report)?;
        Ok(report)
    }

    /// Renders the clinician's summary of a person over `from..=to` (see
    /// [`Phr::report_input`]) and records in the audit log that it was made.
    /// The PDF embeds a Japanese-capable font ([`ReportFonts::find`]).
    pub fn report(
        &mut self,
        person: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        lang: Lang,
        format: ReportFormat,
        now_utc: i64,
    ) -> Result<RenderedReport> {
        let report = self.render_report(person, from, to, lang, format, now_utc)?;
        self.record_report(&report)?;
        Ok(report)
    }

    /// Records in the audit log that a report was made.
    fn record_report(&mut self, report: &RenderedReport) -> Result<()> {
        self.vault.append_audit(&AuditEvent::new(
            AuditAction::Export,
            format!(
                "{} report for person {}, {} to {}",
                report.format.name(),
                report.person,
                report.from,
                report.to
            ),
        ))?;
        Ok(())
    }

    /// The report's bytes, recording nothing.
    fn render_report(
        &mut self,
        person: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        lang: Lang,
        format: ReportFormat,
        now_utc: i64,
    ) -> Result<RenderedReport> {
        let person_id = self.person(person)?.id;
        let input = self.report_input(person, from, to, lang, now_utc)?;
        let bytes = match format {
            ReportFormat::Html => phr_report::html(&input).map_err(report_error)?.into_bytes(),
            ReportFormat::Pdf => {
                let fonts = ReportFonts::find().map_err(report_error)?;
                phr_report::pdf(&input, &fonts).map_err(report_error)?
            }
        };
        Ok(RenderedReport {
            person: person_id.0,
            from,
            to,
            lang: input.lang.tag().to_string(),
            format,
            nights: input.nights.len(),
            alerts: input.alerts.len(),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_file_name_chooses_html_or_else_pdf() {
        for (name, format) in [
            ("summary.html", ReportFormat::Html),
            ("summary.HTM", ReportFormat::Html),
            ("summary.pdf", ReportFormat::Pdf),
            ("summary.html.pdf", ReportFormat::Pdf),
            ("summary", ReportFormat::Pdf),
            ("html", ReportFormat::Pdf),
        ] {
            assert_eq!(ReportFormat::for_file(Path::new(name)), format, "{name}");
        }
    }

    #[test]
    fn the_hour_clocks_skip_is_neither_data_nor_missing() {
        let berlin = chrono_tz::Europe::Berlin;
        let day = |d: &str| d.parse::<NaiveDate>().unwrap();
        assert_eq!(skipped_minutes(day("2026-03-29"), berlin), 120..180);
        assert_eq!(skipped_minutes(day("2026-10-25"), berlin), 0..0);
        assert_eq!(
            skipped_minutes(day("2026-03-29"), chrono_tz::Asia::Tokyo),
            0..0
        );

        let (_dir, mut phr) = crate::analyze::daylight_saving::berlin("2026-03-22", 14);
        let now = local_midnight(day("2026-04-05"), berlin);
        let input = phr
            .report_input(None, day("2026-03-22"), day("2026-04-04"), Lang::En, now)
            .unwrap();
        let spring = input
            .days
            .iter()
            .find(|d| d.date == day("2026-03-29"))
            .unwrap();
        assert_eq!(spring.skipped, 120..180);
        let missing: Vec<usize> = (0..1440).filter(|m| spring.minutes[*m].is_none()).collect();
        assert_eq!(missing, (120..180).collect::<Vec<_>>());
        let night = input
            .nights
            .iter()
            .find(|n| n.night_of == day("2026-03-28"))
            .unwrap();
        assert!(
            night.bed < night.onset && night.onset < night.wake,
            "{night:?}"
        );
    }
}
