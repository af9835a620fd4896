//! Apple Health's export (`export.zip`, or the `export.xml` inside it).
//!
//! The export is one XML document, `HealthData`, with a `Record` element per
//! sample; files of several GB are common, so it is streamed (quick-xml),
//! never held whole. Read:
//!
//! - `HKQuantityTypeIdentifierStepCount`: steps over `startDate`..`endDate`
//!   (a record with no length is given one second, the vault's least);
//! - `HKQuantityTypeIdentifierHeartRate` (`count/min`): a reading at
//!   `startDate`;
//! - `HKCategoryTypeIdentifierSleepAnalysis`: in bed, asleep (unspecified,
//!   core, deep, REM) and awake spans, joined per source into episodes
//!   (spans less than [`SLEEP_GAP_SECONDS`] apart belong together); core is
//!   light sleep, as Apple describes it. An episode with only in-bed time
//!   keeps no stages (its sleep is unknown) and the method `device:in-bed`;
//!   one with stages has the method `device`. The longest episode of each
//!   noon-to-noon night is the main sleep, unless it lies wholly between
//!   09:00 and 18:00 (a nap).
//!
//! Every other record type is counted in [`Export::skipped`].
//!
//! **Sources**: each record names the app or device that wrote it
//! (`sourceName`, e.g. "Jane's Apple Watch" or "iPhone") and, often, the
//! device (`device="<<HKDevice: …>, name:Apple Watch, manufacturer:Apple
//! Inc., model:Watch, hardware:Watch6,2, software:9.0>"`). Each source name
//! is one source, keyed `apple-health:<sourceName>` so a later export of the
//! same phone merges with an earlier one; the device's manufacturer and
//! model are kept where given. A phone and a watch both count steps: both
//! are stored, each under its own source, and the façade counts each hour
//! once (see its daily steps).
//!
//! **Time**: Apple writes every date with the UTC offset of the exporting
//! phone's zone (`2024-03-01 23:10:05 +0900`). The instant is exact; the
//! local time is then the person's zone at that instant, like every other
//! sample, not the exporting phone's.
//!
//! Within one source, each list is sorted by instant with one sample per
//! instant: of two step records starting at the same second the larger
//! count is kept (a sync that wrote the same interval twice), of two
//! heart-rate readings the later in the file.

use crate::{Export, ExportError, ExportFormat, Progress, SourceSamples};
use chrono::NaiveDate;
use chrono_tz::Tz;
use phr_model::{
    HeartRate, NewDevice, SleepEpisode, SleepStage, SleepStageSpan, Stamp, StepCount,
    PLAUSIBLE_UTC, PLAUSIBLE_YEARS,
};
use quick_xml::events::{BytesStart, Event};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::ops::ControlFlow;
use std::path::Path;

/// Sleep spans of one source at most this far apart (seconds) are one
/// episode.
pub const SLEEP_GAP_SECONDS: i64 = 60 * 60;

/// The longest sleep-analysis record taken (seconds); longer is a wrong
/// clock, not a night.
const MAX_SLEEP_RECORD_SECONDS: i64 = 2 * 86_400;

/// An episode is closed once it spans this long (seconds), however its
/// records chain, so its stage offsets stay small.
const MAX_EPISODE_SECONDS: i64 = 36 * 3600;

/// Bytes between progress reports.
const PROGRESS_EVERY: u64 = 1 << 20;

/// True when `head` (the first bytes of a file) is Apple Health's
/// `export.xml`: an XML document whose root, or document type, is
/// `HealthData`.
pub fn looks_like_apple_health_xml(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let starts_xml = text
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<');
    starts_xml && contains(text, b"HealthData")
}

/// The `export.xml` entry of Apple Health's `export.zip` at `path`, when it
/// is one (`apple_health_export/export.xml`, whatever the folder is called
/// in the phone's language); `None` for any other file or ZIP.
pub fn zip_entry(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let archive = zip::ZipArchive::new(BufReader::new(file)).ok()?;
    let name = archive
        .file_names()
        .filter(|name| {
            name.rsplit('/').next() == Some("export.xml") && name.matches('/').count() <= 1
        })
        .min_by_key(|name| name.len())?
        .to_string();
    Some(name)
}

/// Reads Apple Health's `export.zip` or `export.xml` at `path` (`file` names
/// it in errors) in the person's `zone`. `progress` gets bytes of XML read.
pub fn read_apple_health(
    path: &Path,
    file: &str,
    zone: Tz,
    progress: Progress,
) -> Result<Export, ExportError> {
    let cannot = |e: &dyn std::fmt::Display| ExportError::File {
        file: file.to_string(),
        message: format!("cannot read: {e}"),
    };
    let opened = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    match zip_entry(path) {
        Some(entry) => {
            let mut archive =
                zip::ZipArchive::new(BufReader::new(opened)).map_err(|e| ExportError::File {
                    file: file.to_string(),
                    message: format!("not a readable ZIP archive: {e}"),
                })?;
            let name = format!("{file}/{entry}");
            let xml = archive.by_name(&entry).map_err(|e| cannot(&e))?;
            parse_apple_health_xml(
                BufReader::with_capacity(1 << 16, xml),
                &name,
                zone,
                progress,
            )
        }
        None => parse_apple_health_xml(
            BufReader::with_capacity(1 << 16, opened),
            file,
            zone,
            progress,
        ),
    }
}

/// Reads an `export.xml` document from `reader` (`file` names it in
/// errors) in the person's `zone`; the whole document is checked before
/// anything is returned.
pub fn parse_apple_health_xml(
    reader: impl BufRead,
    file: &str,
    zone: Tz,
    progress: Progress,
) -> Result<Export, ExportError> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    xml.config_mut().trim_text(false);
    let mut state = State::default();
    let mut buf = Vec::with_capacity(1024);
    let mut line: u64 = 1;
    let mut record: u64 = 0;
    let mut seen_root = false;
    let mut next_report = PROGRESS_EVERY;
    loop {
        buf.clear();
        let event = xml.read_event_into(&mut buf).map_err(|e| ExportError::At {
            file: file.to_string(),
            place: format!("line {line}"),
            message: format!("not well-formed XML: {e}"),
        })?;
        let event_line = line;
        let end = matches!(event, Event::Eof);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.name().as_ref() {
                b"Record" => {
                    record += 1;
                    state.record(e, zone).map_err(|message| ExportError::At {
                        file: file.to_string(),
                        place: format!("line {event_line} (record {record})"),
                        message,
                    })?;
                }
                b"HealthData" => seen_root = true,
                b"Me"
                | b"ExportDate"
                | b"MetadataEntry"
                | b"HeartRateVariabilityMetadataList"
                | b"InstantaneousBeatsPerMinute" => {}
                other => {
                    if !seen_root {
                        return Err(not_apple_health(file));
                    }
                    let name = String::from_utf8_lossy(other).into_owned();
                    *state.skipped.entry(name).or_default() += 1;
                }
            },
            _ => {}
        }
        if end {
            break;
        }
        line += count_newlines(&buf);
        let done = xml.buffer_position();
        if done >= next_report {
            next_report = done + PROGRESS_EVERY;
            if let ControlFlow::Break(()) = progress(done) {
                return Err(ExportError::Cancelled {
                    file: file.to_string(),
                });
            }
        }
    }
    if !seen_root {
        return Err(not_apple_health(file));
    }
    let _ = progress(xml.buffer_position());
    Ok(state.finish(zone))
}

fn not_apple_health(file: &str) -> ExportError {
    ExportError::File {
        file: file.to_string(),
        message: "not an Apple Health export (no HealthData element)".into(),
    }
}

/// A sleep-analysis span as Apple writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SleepValue {
    InBed,
    Stage(SleepStage),
}

/// A sleep-analysis record: start and end (Unix seconds) and its value.
type SleepSpan = (i64, i64, SleepValue);

#[derive(Default)]
struct Source {
    device: NewDevice,
    steps: Vec<StepCount>,
    heart: Vec<HeartRate>,
    sleep: Vec<SleepSpan>,
}

#[derive(Default)]
struct State {
    index: HashMap<String, usize>,
    sources: Vec<Source>,
    skipped: BTreeMap<String, u64>,
}

/// The attributes of a `Record` this reader uses.
#[derive(Default)]
struct Attrs<'a> {
    kind: &'a [u8],
    source: Option<String>,
    device: Option<String>,
    unit: &'a [u8],
    start: &'a [u8],
    end: &'a [u8],
    value: &'a [u8],
}

impl State {
    fn record(&mut self, element: &BytesStart<'_>, zone: Tz) -> Result<(), String> {
        let attrs = attributes(element)?;
        let kind = match attrs.kind {
            b"HKQuantityTypeIdentifierStepCount" => Kind::Steps,
            b"HKQuantityTypeIdentifierHeartRate" => Kind::Heart,
            b"HKCategoryTypeIdentifierSleepAnalysis" => Kind::Sleep,
            b"" => return Err("a Record without a type".into()),
            other => {
                let name = String::from_utf8_lossy(other).into_owned();
                *self.skipped.entry(name).or_default() += 1;
                return Ok(());
            }
        };
        let type_name = String::from_utf8_lossy(attrs.kind).into_owned();
        let at = |what: &str| format!("{type_name}: {what}");
        let start = parse_date(attrs.start).map_err(|e| at(&format!("startDate {e}")))?;
        let end = parse_date(attrs.end).map_err(|e| at(&format!("endDate {e}")))?;
        if end < start {
            return Err(at("endDate is before startDate"));
        }
        let source_name = attrs
            .source
            .ok_or_else(|| at("no sourceName"))?
            .trim()
            .to_string();
        let source = self.source(source_name, attrs.device.as_deref());
        let stamp = |utc: i64| Stamp::in_zone(utc, zone).map_err(|e| at(&e.to_string()));
        match kind {
            Kind::Steps => {
                let steps = parse_number(attrs.value).map_err(|e| at(&e))?;
                if !(0.0..=1e6).contains(&steps) {
                    return Err(at(&format!("{steps} steps is not a step count")));
                }
                let duration = (end - start).clamp(1, i64::from(u32::MAX));
                source.steps.push(StepCount {
                    start: stamp(start)?,
                    duration_seconds: duration as u32,
                    steps: steps.round() as u32,
                });
            }
            Kind::Heart => {
                if !attrs.unit.is_empty() && attrs.unit != b"count/min" {
                    return Err(at(&format!(
                        "heart rate in {:?}, expected count/min",
                        String::from_utf8_lossy(attrs.unit)
                    )));
                }
                let bpm = parse_number(attrs.value).map_err(|e| at(&e))?;
                if !(1.0..=400.0).contains(&bpm) {
                    return Err(at(&format!("{bpm} beats per minute is not a heart rate")));
                }
                source.heart.push(HeartRate {
                    at: stamp(start)?,
                    bpm: bpm.round() as u16,
                });
            }
            Kind::Sleep => {
                let value = match attrs.value {
                    b"HKCategoryValueSleepAnalysisInBed" => SleepValue::InBed,
                    b"HKCategoryValueSleepAnalysisAsleep"
                    | b"HKCategoryValueSleepAnalysisAsleepUnspecified" => {
                        SleepValue::Stage(SleepStage::Asleep)
                    }
                    b"HKCategoryValueSleepAnalysisAsleepCore" => {
                        SleepValue::Stage(SleepStage::Light)
                    }
                    b"HKCategoryValueSleepAnalysisAsleepDeep" => {
                        SleepValue::Stage(SleepStage::Deep)
                    }
                    b"HKCategoryValueSleepAnalysisAsleepREM" => SleepValue::Stage(SleepStage::Rem),
                    b"HKCategoryValueSleepAnalysisAwake" => SleepValue::Stage(SleepStage::Awake),
                    other => {
                        return Err(at(&format!(
                            "unknown sleep value {:?}",
                            String::from_utf8_lossy(&other[..other.len().min(80)])
                        )))
                    }
                };
                if end - start > MAX_SLEEP_RECORD_SECONDS {
                    return Err(at("a sleep record longer than two days"));
                }
                if end > start {
                    source.sleep.push((start, end, value));
                }
            }
        }
        Ok(())
    }

    fn source(&mut self, name: String, device: Option<&str>) -> &mut Source {
        let next = self.sources.len();
        let index = *self.index.entry(name.clone()).or_insert(next);
        if index == next {
            let (manufacturer, model) = device.map(device_fields).unwrap_or_default();
            self.sources.push(Source {
                device: NewDevice {
                    source_key: format!("apple-health:{name}"),
                    label: name,
                    manufacturer,
                    model,
                    ..NewDevice::default()
                },
                ..Source::default()
            });
        } else if self.sources[index].device.model.is_none() {
            if let Some(device) = device {
                let (manufacturer, model) = device_fields(device);
                self.sources[index].device.manufacturer = manufacturer;
                self.sources[index].device.model = model;
            }
        }
        &mut self.sources[index]
    }

    fn finish(self, zone: Tz) -> Export {
        let sources = self
            .sources
            .into_iter()
            .map(|mut source| {
                source.steps.sort_by_key(|s| (s.start.utc, s.steps));
                source.steps.reverse();
                source.steps.dedup_by_key(|s| s.start.utc);
                source.steps.reverse();
                // Stable: the later reading of a second stays last, then wins.
                source.heart.sort_by_key(|h| h.at.utc);
                source.heart.reverse();
                source.heart.dedup_by_key(|h| h.at.utc);
                source.heart.reverse();
                let sleep = sleep_episodes(source.sleep, zone);
                SourceSamples {
                    source: source.device,
                    steps: source.steps,
                    heart_rate: source.heart,
                    activity: Vec::new(),
                    sleep,
                }
            })
            .filter(|s| !s.is_empty())
            .collect();
        Export {
            format: ExportFormat::AppleHealth,
            sources,
            skipped: self.skipped.into_iter().collect(),
        }
    }
}

enum Kind {
    Steps,
    Heart,
    Sleep,
}

/// The attributes of a record, read from its bytes (only the two
/// free-text ones are unescaped).
fn attributes<'a>(element: &'a BytesStart<'_>) -> Result<Attrs<'a>, String> {
    let mut attrs = Attrs::default();
    for attr in element.attributes().with_checks(false) {
        let attr = attr.map_err(|e| format!("bad attribute: {e}"))?;
        let key = attr.key.as_ref();
        if matches!(key, b"sourceName" | b"device") {
            let text = attr
                .unescape_value()
                .map_err(|e| format!("bad attribute: {e}"))?
                .into_owned();
            if key == b"sourceName" {
                attrs.source = Some(text);
            } else {
                attrs.device = Some(text);
            }
            continue;
        }
        let std::borrow::Cow::Borrowed(value) = attr.value else {
            continue;
        };
        match key {
            b"type" => attrs.kind = value,
            b"unit" => attrs.unit = value,
            b"startDate" => attrs.start = value,
            b"endDate" => attrs.end = value,
            b"value" => attrs.value = value,
            _ => {}
        }
    }
    Ok(attrs)
}

/// Manufacturer and model from an `HKDevice` description.
fn device_fields(device: &str) -> (Option<String>, Option<String>) {
    let field = |key: &str| {
        device
            .split(", ")
            .find_map(|part| part.strip_prefix(key))
            .map(|v| v.trim_end_matches('>').trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let model = field("hardware:").or_else(|| field("model:"));
    (field("manufacturer:"), model)
}

/// Unix seconds of `YYYY-MM-DD HH:MM:SS ±HHMM`.
fn parse_date(text: &[u8]) -> Result<i64, String> {
    let shown = || String::from_utf8_lossy(&text[..text.len().min(40)]).into_owned();
    let bad = || format!("{:?} is not a date as YYYY-MM-DD HH:MM:SS +HHMM", shown());
    if text.len() != 25
        || text[4] != b'-'
        || text[7] != b'-'
        || text[10] != b' '
        || text[13] != b':'
        || text[16] != b':'
        || text[19] != b' '
        || !matches!(text[20], b'+' | b'-')
    {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, String> {
        text[range].iter().try_fold(0u32, |n, &b| {
            if b.is_ascii_digit() {
                Ok(n * 10 + u32::from(b - b'0'))
            } else {
                Err(bad())
            }
        })
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)
        .and_then(|d| d.and_hms_opt(hour, minute, second))
        .ok_or_else(bad)?;
    let (hours, minutes) = (number(21..23)?, number(23..25)?);
    if hours > 23 || minutes > 59 {
        return Err(bad());
    }
    let offset = i64::from(hours * 3600 + minutes * 60) * if text[20] == b'-' { -1 } else { 1 };
    let utc = date.and_utc().timestamp() - offset;
    if !PLAUSIBLE_UTC.contains(&utc) {
        return Err(format!(
            "{:?} is outside the years {PLAUSIBLE_YEARS}",
            shown()
        ));
    }
    Ok(utc)
}

fn parse_number(text: &[u8]) -> Result<f64, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            format!(
                "value {:?} is not a number",
                String::from_utf8_lossy(&text[..text.len().min(40)])
            )
        })
}

/// Sleep spans of one source, joined into episodes.
fn sleep_episodes(mut spans: Vec<SleepSpan>, zone: Tz) -> Vec<SleepEpisode> {
    spans.sort_by_key(|&(start, end, _)| (start, end));
    // (end so far, spans) per episode.
    let mut groups: Vec<(i64, Vec<SleepSpan>)> = Vec::new();
    for span in spans {
        match groups.last_mut() {
            Some((end, group))
                if span.0 <= end.saturating_add(SLEEP_GAP_SECONDS)
                    && span.1 - group[0].0 <= MAX_EPISODE_SECONDS + MAX_SLEEP_RECORD_SECONDS
                    && span.0 - group[0].0 <= MAX_EPISODE_SECONDS =>
            {
                *end = (*end).max(span.1);
                group.push(span);
            }
            _ => groups.push((span.1, vec![span])),
        }
    }
    let mut episodes: Vec<SleepEpisode> = groups
        .into_iter()
        .filter_map(|(_, group)| {
            let start = group.iter().map(|s| s.0).min()?;
            let end = group.iter().map(|s| s.1).max()?;
            let mut stages: Vec<SleepStageSpan> = Vec::new();
            let mut covered = start;
            for &(from, to, value) in &group {
                let SleepValue::Stage(stage) = value else {
                    continue;
                };
                // Overlapping spans (a re-synced night): each second once.
                let from = from.max(covered);
                if to <= from {
                    continue;
                }
                stages.push(SleepStageSpan {
                    offset_seconds: (from - start) as u32,
                    duration_seconds: (to - from) as u32,
                    stage,
                });
                covered = to;
            }
            let method = if stages.is_empty() {
                "device:in-bed"
            } else {
                "device"
            };
            Some(SleepEpisode {
                start: Stamp::in_zone(start, zone).ok()?,
                end: Stamp::in_zone(end, zone).ok()?,
                is_main: false,
                method: method.to_string(),
                stages,
            })
        })
        .collect();
    crate::mark_main_sleep(&mut episodes);
    episodes
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    fn parse(xml: &str) -> Result<Export, ExportError> {
        parse_apple_health_xml(xml.as_bytes(), "export.xml", TOKYO, &mut |_| {
            ControlFlow::Continue(())
        })
    }

    fn doc(records: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE HealthData [\n<!ELEMENT HealthData (ExportDate,Me,(Record|Workout)*)>\n]>\n<HealthData locale=\"ja_JP\">\n <ExportDate value=\"2024-03-05 08:00:00 +0900\"/>\n <Me HKCharacteristicTypeIdentifierDateOfBirth=\"\"/>\n{records}</HealthData>\n"
        )
    }

    const WATCH: &str = "sourceName=\"Hanako&#8217;s Apple Watch\" sourceVersion=\"10.3\" device=\"&lt;&lt;HKDevice: 0x28>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.3&gt;\"";

    #[test]
    fn steps_heart_rate_and_sleep_are_read_per_source() {
        let records = format!(
            " <Record type=\"HKQuantityTypeIdentifierStepCount\" {WATCH} unit=\"count\" creationDate=\"2024-03-01 10:05:00 +0900\" startDate=\"2024-03-01 09:58:00 +0900\" endDate=\"2024-03-01 10:03:00 +0900\" value=\"123\"/>\n \
             <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"iPhone\" unit=\"count\" startDate=\"2024-03-01 09:50:00 +0900\" endDate=\"2024-03-01 10:00:00 +0900\" value=\"140\"/>\n \
             <Record type=\"HKQuantityTypeIdentifierHeartRate\" {WATCH} unit=\"count/min\" startDate=\"2024-03-01 10:00:00 +0900\" endDate=\"2024-03-01 10:00:00 +0900\" value=\"71.5\">\n  <MetadataEntry key=\"HKMetadataKeyHeartRateMotionContext\" value=\"0\"/>\n </Record>\n \
             <Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" {WATCH} startDate=\"2024-03-01 23:00:00 +0900\" endDate=\"2024-03-01 23:30:00 +0900\" value=\"HKCategoryValueSleepAnalysisAsleepCore\"/>\n \
             <Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" {WATCH} startDate=\"2024-03-01 23:30:00 +0900\" endDate=\"2024-03-02 00:10:00 +0900\" value=\"HKCategoryValueSleepAnalysisAsleepDeep\"/>\n \
             <Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" {WATCH} startDate=\"2024-03-02 00:10:00 +0900\" endDate=\"2024-03-02 00:15:00 +0900\" value=\"HKCategoryValueSleepAnalysisAwake\"/>\n \
             <Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" {WATCH} startDate=\"2024-03-02 00:15:00 +0900\" endDate=\"2024-03-02 06:00:00 +0900\" value=\"HKCategoryValueSleepAnalysisAsleepREM\"/>\n \
             <Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" {WATCH} startDate=\"2024-03-02 13:00:00 +0900\" endDate=\"2024-03-02 13:20:00 +0900\" value=\"HKCategoryValueSleepAnalysisAsleepUnspecified\"/>\n \
             <Record type=\"HKQuantityTypeIdentifierActiveEnergyBurned\" sourceName=\"iPhone\" unit=\"kcal\" startDate=\"2024-03-01 09:50:00 +0900\" endDate=\"2024-03-01 10:00:00 +0900\" value=\"4\"/>\n \
             <Workout workoutActivityType=\"HKWorkoutActivityTypeWalking\"/>\n"
        );
        let export = parse(&doc(&records)).expect("parses");
        assert_eq!(export.format, ExportFormat::AppleHealth);
        assert_eq!(export.sources.len(), 2);
        let watch = &export.sources[0];
        assert_eq!(
            watch.source.source_key,
            "apple-health:Hanako\u{2019}s Apple Watch"
        );
        assert_eq!(watch.source.manufacturer.as_deref(), Some("Apple Inc."));
        assert_eq!(watch.source.model.as_deref(), Some("Watch6,2"));
        assert_eq!(watch.steps.len(), 1);
        assert_eq!(watch.steps[0].steps, 123);
        assert_eq!(watch.steps[0].duration_seconds, 300);
        // 09:58 in Tokyo is 00:58 UTC.
        assert_eq!(watch.steps[0].start.utc % 86_400, 58 * 60);
        assert_eq!(watch.steps[0].start.offset_seconds, 9 * 3600);
        assert_eq!(watch.heart_rate.len(), 1);
        assert_eq!(watch.heart_rate[0].bpm, 72);
        assert_eq!(watch.sleep.len(), 2, "the night and the afternoon nap");
        let night = &watch.sleep[0];
        assert!(night.is_main);
        assert_eq!(night.method, "device");
        assert_eq!(night.end.utc - night.start.utc, 7 * 3600);
        let stages: Vec<_> = night.stages.iter().map(|s| s.stage).collect();
        assert_eq!(
            stages,
            [
                SleepStage::Light,
                SleepStage::Deep,
                SleepStage::Awake,
                SleepStage::Rem
            ]
        );
        assert!(!watch.sleep[1].is_main, "a nap is not the main sleep");
        let phone = &export.sources[1];
        assert_eq!(phone.source.source_key, "apple-health:iPhone");
        assert_eq!(phone.steps[0].steps, 140);
        assert_eq!(
            export.skipped,
            [
                ("HKQuantityTypeIdentifierActiveEnergyBurned".to_string(), 1),
                ("Workout".to_string(), 1)
            ]
        );
    }

    #[test]
    fn in_bed_only_nights_keep_no_stages_and_duplicates_are_stored_once() {
        let records = " <Record type=\"HKCategoryTypeIdentifierSleepAnalysis\" sourceName=\"iPhone\" startDate=\"2024-03-01 22:30:00 +0900\" endDate=\"2024-03-02 06:30:00 +0900\" value=\"HKCategoryValueSleepAnalysisInBed\"/>\n \
            <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"iPhone\" startDate=\"2024-03-01 09:50:00 +0900\" endDate=\"2024-03-01 10:00:00 +0900\" value=\"10\"/>\n \
            <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"iPhone\" startDate=\"2024-03-01 09:50:00 +0900\" endDate=\"2024-03-01 10:00:00 +0900\" value=\"12\"/>\n \
            <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"iPhone\" startDate=\"2024-03-01 09:40:00 +0900\" endDate=\"2024-03-01 09:40:00 +0900\" value=\"3\"/>\n";
        let export = parse(&doc(records)).expect("parses");
        let phone = &export.sources[0];
        assert_eq!(phone.sleep.len(), 1);
        assert_eq!(phone.sleep[0].method, "device:in-bed");
        assert!(phone.sleep[0].stages.is_empty());
        let steps: Vec<_> = phone
            .steps
            .iter()
            .map(|s| (s.steps, s.duration_seconds))
            .collect();
        assert_eq!(steps, [(3, 1), (12, 600)]);
    }

    #[test]
    fn a_bad_record_is_named_by_line_and_number() {
        let records = " <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"iPhone\" startDate=\"2024-03-01 09:50:00 +0900\" endDate=\"2024-03-01 10:00:00 +0900\" value=\"10\"/>\n \
            <Record type=\"HKQuantityTypeIdentifierHeartRate\" sourceName=\"iPhone\" unit=\"count/min\" startDate=\"2024-03-01 25:50:00 +0900\" endDate=\"2024-03-01 10:00:00 +0900\" value=\"60\"/>\n";
        let err = parse(&doc(records)).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("export.xml, line 9 (record 2): HKQuantityTypeIdentifierHeartRate: startDate \"2024-03-01 25:50:00 +0900\" is not a date"), "{text}");
        let cut = doc(records);
        let err = parse(&cut[..cut.len() - 40]).unwrap_err();
        assert!(err.to_string().contains("not well-formed XML"), "{err}");
        let err = parse("<?xml version=\"1.0\"?><Other/>").unwrap_err();
        assert!(
            err.to_string().contains("not an Apple Health export"),
            "{err}"
        );
    }

    #[test]
    fn cancelling_stops_the_read() {
        let record = " <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"iPhone\" startDate=\"2024-03-01 09:50:00 +0900\" endDate=\"2024-03-01 10:00:00 +0900\" value=\"10\"/>\n";
        let xml = doc(&record.repeat(20_000));
        let err = parse_apple_health_xml(xml.as_bytes(), "export.xml", TOKYO, &mut |_| {
            ControlFlow::Break(())
        })
        .unwrap_err();
        assert_eq!(
            err,
            ExportError::Cancelled {
                file: "export.xml".into()
            }
        );
    }

    #[test]
    fn dates_carry_their_offset() {
        assert_eq!(parse_date(b"1970-01-01 09:00:00 +0900"), Ok(0));
        assert_eq!(parse_date(b"1969-12-31 19:00:00 -0500"), Ok(0));
        assert!(parse_date(b"2024-02-30 09:00:00 +0900").is_err());
        assert!(parse_date(b"2024-02-01T09:00:00+09:00").is_err());
        assert!(parse_date(b"1850-02-01 09:00:00 +0900").is_err());
    }
}
