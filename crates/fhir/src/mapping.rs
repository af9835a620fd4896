//! From lifelog summaries to FHIR resources. Inputs are plain structs the
//! façade fills (from the vault and the analysis); outputs are resources
//! with stable identifiers and `urn:uuid:` references to the Patient and
//! Device, ready for [`crate::transaction_bundles`].

use crate::datatypes::{
    Attachment, CodeableConcept, Coding, Decimal, HumanName, Identifier, Meta, Period, Quantity,
    Reference, SampledData,
};
use crate::ids::{base64, StableId};
use crate::resources::{
    Consent, ConsentActor, ConsentPolicy, ConsentProvision, Device, DeviceName, DeviceVersion,
    DiagnosticReport, DocumentContent, DocumentContext, DocumentReference, Observation,
    ObservationComponent, Patient, Provenance, ProvenanceAgent, Resource,
};
use crate::{
    FhirError, CODE_SYSTEM, IDENTIFIER_SYSTEM, JP_OBSERVATION_COMMON, JP_PATIENT, LIFELOG_CODES,
    LOINC, OBSERVATION_CATEGORY, UCUM,
};
use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use phr_model::{CircadianMetrics, SleepEpisode, SleepStage, Stamp, StepCount};

/// Who the exported resources are about, which device (if one) measured
/// them, and the issue time written into every resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportContext {
    person_key: String,
    device_source_key: Option<String>,
    issued: Stamp,
}

impl ExportContext {
    /// A context for the person known by `person_key`: a stable, secret-free,
    /// non-identifying key per person (the façade uses a random id kept in
    /// the vault, never a name). `issued` becomes `Observation.issued` and
    /// the like.
    pub fn new(person_key: &str, issued: Stamp) -> Result<Self, FhirError> {
        if person_key.is_empty() {
            return Err(FhirError::EmptyPersonKey);
        }
        fhir_instant(issued, "issued time")?;
        Ok(ExportContext {
            person_key: person_key.to_string(),
            device_source_key: None,
            issued,
        })
    }

    /// The same context with observations attributed to the device whose
    /// [`phr_model::Device::source_key`] is `source_key`.
    pub fn with_device(mut self, source_key: &str) -> Self {
        self.device_source_key = Some(source_key.to_string());
        self
    }

    /// The person key.
    pub fn person_key(&self) -> &str {
        &self.person_key
    }

    /// The issue time.
    pub fn issued(&self) -> Stamp {
        self.issued
    }

    /// Stable identity of the Patient.
    pub fn patient_id(&self) -> StableId {
        StableId::derive(&self.person_key, "patient", &[])
    }

    /// Stable identity of the Device, if the context names one.
    pub fn device_id(&self) -> Option<StableId> {
        self.device_source_key
            .as_deref()
            .map(|source_key| device_id(&self.person_key, source_key))
    }

    fn patient_reference(&self) -> Reference {
        Reference::to("Patient", &self.patient_id().urn())
    }

    fn device_reference(&self) -> Option<Reference> {
        self.device_id()
            .map(|id| Reference::to("Device", &id.urn()))
    }

    /// Identity of an observation: person, kind, period parts and the source.
    fn observation_id(&self, kind: &str, parts: &[&str]) -> StableId {
        let mut all: Vec<&str> = parts.to_vec();
        all.push(self.device_source_key.as_deref().unwrap_or(""));
        StableId::derive(&self.person_key, kind, &all)
    }

    fn issued_text(&self) -> String {
        // Checked in `new`.
        fhir_instant(self.issued, "issued time").unwrap_or_default()
    }
}

fn device_id(person_key: &str, source_key: &str) -> StableId {
    StableId::derive(person_key, "device", &[source_key])
}

/// The stable identity of a resource made by this crate: its identifier
/// under [`IDENTIFIER_SYSTEM`] (or `meta.tag` for Provenance).
pub fn stable_id_of(resource: &Resource) -> Option<StableId> {
    let from_identifier = resource
        .identifiers()
        .iter()
        .find(|identifier| identifier.system.as_deref() == Some(IDENTIFIER_SYSTEM))
        .and_then(|identifier| identifier.value.as_deref());
    let from_tag = || {
        resource.meta().and_then(|meta| {
            meta.tag
                .iter()
                .find(|tag| tag.system.as_deref() == Some(IDENTIFIER_SYSTEM))
                .and_then(|tag| tag.code.as_deref())
        })
    };
    from_identifier.or_else(from_tag).map(StableId::from_value)
}

// ---------------------------------------------------------------- inputs

/// Steps of one local calendar day (LOINC 41950-7).
#[derive(Debug, Clone, PartialEq)]
pub struct DailySteps {
    /// The local day.
    pub date: NaiveDate,
    /// Steps counted that day.
    pub steps: u32,
    /// Share of the day with valid data, 0.0 to 1.0, if known.
    pub completeness: Option<f64>,
}

/// Steps over one interval (LOINC 55423-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalSteps {
    /// Start of the interval.
    pub start: Stamp,
    /// Length in seconds (at least 1).
    pub duration_seconds: u32,
    /// Steps in the interval.
    pub steps: u32,
}

impl From<&StepCount> for IntervalSteps {
    fn from(count: &StepCount) -> Self {
        IntervalSteps {
            start: count.start,
            duration_seconds: count.duration_seconds,
            steps: count.steps,
        }
    }
}

/// One sleep episode and its summary measures. Durations are minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct SleepSummary {
    /// Start of the episode (lights out / first sleep, as the source says).
    pub start: Stamp,
    /// End of the episode.
    pub end: Stamp,
    /// Whether it is the main sleep of its night.
    pub is_main: bool,
    /// `device`, or an algorithm with settings such as `cole-kripke:mean`.
    pub method: String,
    /// Total sleep time.
    pub total_minutes: Option<f64>,
    /// Deep (N3) sleep.
    pub deep_minutes: Option<f64>,
    /// Light (N1/N2) sleep.
    pub light_minutes: Option<f64>,
    /// REM sleep.
    pub rem_minutes: Option<f64>,
    /// From the episode start to the first sleep.
    pub latency_minutes: Option<f64>,
    /// Wake after sleep onset, until the last sleep.
    pub waso_minutes: Option<f64>,
    /// Total sleep over the episode length, 0.0 to 1.0.
    pub efficiency: Option<f64>,
    /// Wake bouts between sleep onset and the last sleep.
    pub awakenings: Option<u32>,
}

impl SleepSummary {
    /// Summarises an episode from its stages. Without stages only the
    /// period, `is_main` and the method are known; every measure is `None`.
    /// Time the stages do not cover counts as neither sleep nor wake.
    pub fn from_episode(episode: &SleepEpisode) -> Self {
        let mut summary = SleepSummary {
            start: episode.start,
            end: episode.end,
            is_main: episode.is_main,
            method: episode.method.clone(),
            total_minutes: None,
            deep_minutes: None,
            light_minutes: None,
            rem_minutes: None,
            latency_minutes: None,
            waso_minutes: None,
            efficiency: None,
            awakenings: None,
        };
        let mut spans = episode.stages.clone();
        spans.sort_by_key(|span| span.offset_seconds);
        let is_sleep = |stage: SleepStage| stage != SleepStage::Awake;
        let span_end = |offset: u32, duration: u32| u64::from(offset) + u64::from(duration);
        let seconds_of = |stage: SleepStage| -> u64 {
            spans
                .iter()
                .filter(|span| span.stage == stage)
                .map(|span| u64::from(span.duration_seconds))
                .sum()
        };
        let sleep_spans: Vec<_> = spans.iter().filter(|span| is_sleep(span.stage)).collect();
        let (Some(first_sleep), Some(last_sleep_end)) = (
            sleep_spans.first(),
            sleep_spans
                .iter()
                .map(|span| span_end(span.offset_seconds, span.duration_seconds))
                .max(),
        ) else {
            if !spans.is_empty() {
                // Staged but never asleep.
                summary.total_minutes = Some(0.0);
            }
            return summary;
        };
        let onset = u64::from(first_sleep.offset_seconds);
        let total_seconds: u64 = sleep_spans
            .iter()
            .map(|span| u64::from(span.duration_seconds))
            .sum();
        let staged = spans.iter().any(|span| {
            matches!(
                span.stage,
                SleepStage::Light | SleepStage::Deep | SleepStage::Rem
            )
        });
        let minutes = |seconds: u64| seconds as f64 / 60.0;
        summary.total_minutes = Some(minutes(total_seconds));
        if staged {
            summary.deep_minutes = Some(minutes(seconds_of(SleepStage::Deep)));
            summary.light_minutes = Some(minutes(seconds_of(SleepStage::Light)));
            summary.rem_minutes = Some(minutes(seconds_of(SleepStage::Rem)));
        }
        summary.latency_minutes = Some(minutes(onset));
        let mut waso_seconds = 0_u64;
        let mut awakenings = 0_u32;
        for span in spans.iter().filter(|span| span.stage == SleepStage::Awake) {
            let start = u64::from(span.offset_seconds).max(onset);
            let end = span_end(span.offset_seconds, span.duration_seconds).min(last_sleep_end);
            if end > start {
                waso_seconds += end - start;
                awakenings += 1;
            }
        }
        summary.waso_minutes = Some(minutes(waso_seconds));
        summary.awakenings = Some(awakenings);
        let length = episode.end.utc - episode.start.utc;
        if length > 0 {
            summary.efficiency = Some(total_seconds as f64 / length as f64);
        }
        summary
    }
}

/// One local day of minute activity counts (actigraphy), as a sampled
/// series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteActivityDay {
    /// The local day.
    pub date: NaiveDate,
    /// When the first minute starts (local midnight, normally).
    pub start: Stamp,
    /// One count per minute; `None` where there is no data.
    pub counts: Vec<Option<u32>>,
}

/// Nonparametric circadian rhythm metrics over a run of days, on one count
/// scale: the figures as the analysis computes them (pyActigraphy
/// conventions; onsets are local clock times) and what they were computed
/// over.
#[derive(Debug, Clone, PartialEq)]
pub struct CircadianSummary {
    /// First local day analysed.
    pub period_from: NaiveDate,
    /// Last local day analysed (inclusive).
    pub period_to: NaiveDate,
    /// IS, IV, RA, L5, M10 and the L5/M10 onsets.
    pub metrics: CircadianMetrics,
    /// Whether counts were binarized before computing.
    pub binarized: bool,
    /// The binarization threshold (counts), when binarized.
    pub threshold: Option<f64>,
}

/// Why data are shared (`Consent.provision.purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharePurpose {
    /// Care by a clinic (v3 ActReason `TREAT`).
    Treatment,
    /// Health-related research (v3 ActReason `HRESCH`).
    Research,
}

/// The owner's grant to share data with a recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentGrant {
    /// Identifier system of the recipient (e.g. a clinic registry URL).
    pub recipient_system: String,
    /// The recipient's identifier in that system.
    pub recipient_id: String,
    /// Why.
    pub purpose: SharePurpose,
    /// First local day of data covered.
    pub data_from: NaiveDate,
    /// Last local day of data covered (inclusive).
    pub data_to: NaiveDate,
    /// When the grant was given.
    pub granted: Stamp,
    /// When the grant ends, if it does.
    pub expires: Option<Stamp>,
}

/// The days a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPeriod {
    /// First local day.
    pub from: NaiveDate,
    /// Last local day (inclusive).
    pub to: NaiveDate,
}

/// A rendered report (PDF, CSV, ...) to attach to a DocumentReference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDocument {
    /// Days covered.
    pub period: ReportPeriod,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// Title shown instead of the data (free text).
    pub title: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

// --------------------------------------------------------------- helpers

/// A FHIR `dateTime`/`instant` in the stamp's own offset, to the second
/// (`2026-03-01T07:30:00+09:00`; `Z` for UTC).
fn fhir_instant(stamp: Stamp, what: &'static str) -> Result<String, FhirError> {
    let offset = FixedOffset::east_opt(stamp.offset_seconds).ok_or(FhirError::InvalidInput {
        what,
        reason: format!("UTC offset {} s out of range", stamp.offset_seconds),
    })?;
    let instant = DateTime::from_timestamp(stamp.utc, 0).ok_or(FhirError::InvalidInput {
        what,
        reason: format!("instant {} out of range", stamp.utc),
    })?;
    Ok(instant
        .with_timezone(&offset)
        .to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn fhir_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A decimal rounded to `places`, integral values written as integers.
fn decimal(value: f64, places: i32, what: &'static str) -> Result<Decimal, FhirError> {
    if !value.is_finite() {
        return Err(FhirError::InvalidInput {
            what,
            reason: format!("{value} is not a finite number"),
        });
    }
    let scale = 10_f64.powi(places);
    let rounded = (value * scale).round() / scale;
    if rounded.fract() == 0.0 && rounded.abs() < 9.0e15 {
        return Ok(Decimal::from(rounded as i64));
    }
    Decimal::from_f64(rounded).ok_or(FhirError::InvalidInput {
        what,
        reason: format!("{value} is not representable"),
    })
}

fn ucum(value: Decimal, unit: &str, code: &str) -> Quantity {
    Quantity {
        value: Some(value),
        comparator: None,
        unit: Some(unit.to_string()),
        system: Some(UCUM.to_string()),
        code: Some(code.to_string()),
    }
}

fn minutes(value: f64, what: &'static str) -> Result<Quantity, FhirError> {
    if value < 0.0 {
        return Err(FhirError::InvalidInput {
            what,
            reason: format!("{value} minutes is negative"),
        });
    }
    Ok(ucum(decimal(value, 1, what)?, "min", "min"))
}

fn fraction_as_percent(value: f64, what: &'static str) -> Result<Quantity, FhirError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(FhirError::InvalidInput {
            what,
            reason: format!("{value} is not a fraction between 0 and 1"),
        });
    }
    Ok(ucum(decimal(value * 100.0, 1, what)?, "%", "%"))
}

fn display_of(code: &str) -> &'static str {
    LIFELOG_CODES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, display)| *display)
        .unwrap_or("")
}

/// A concept from our code system (the code must be in [`LIFELOG_CODES`]).
fn ours(code: &str) -> CodeableConcept {
    CodeableConcept::coded(CODE_SYSTEM, code, display_of(code))
}

fn loinc(code: &str, display: &str) -> CodeableConcept {
    CodeableConcept::coded(LOINC, code, display)
}

fn category(code: &str, display: &str) -> CodeableConcept {
    CodeableConcept::coded(OBSERVATION_CATEGORY, code, display)
}

fn activity_category() -> CodeableConcept {
    category("activity", "Activity")
}

fn component(code: CodeableConcept) -> ObservationComponent {
    ObservationComponent {
        code,
        ..ObservationComponent::default()
    }
}

fn quantity_component(code: CodeableConcept, quantity: Quantity) -> ObservationComponent {
    ObservationComponent {
        value_quantity: Some(quantity),
        ..component(code)
    }
}

fn completeness_component(value: f64) -> Result<ObservationComponent, FhirError> {
    Ok(quantity_component(
        ours("data-completeness"),
        fraction_as_percent(value, "data completeness")?,
    ))
}

fn unknown_value() -> CodeableConcept {
    CodeableConcept::coded(
        "http://terminology.hl7.org/CodeSystem/data-absent-reason",
        "unknown",
        "Unknown",
    )
}

/// The parts every Observation shares.
fn base_observation(
    context: &ExportContext,
    id: &StableId,
    categories: Vec<CodeableConcept>,
    code: CodeableConcept,
) -> Observation {
    Observation {
        meta: Some(Meta {
            profile: vec![JP_OBSERVATION_COMMON.to_string()],
            ..Meta::default()
        }),
        identifier: vec![id.identifier()],
        status: "final".to_string(),
        category: categories,
        code,
        subject: Some(context.patient_reference()),
        issued: Some(context.issued_text()),
        performer: vec![context.patient_reference()],
        device: context.device_reference(),
        ..Observation::default()
    }
}

fn check_period(start: Stamp, end: Stamp, what: &'static str) -> Result<Period, FhirError> {
    if end.utc < start.utc {
        return Err(FhirError::InvalidInput {
            what,
            reason: "ends before it starts".to_string(),
        });
    }
    Ok(Period {
        start: Some(fhir_instant(start, what)?),
        end: Some(fhir_instant(end, what)?),
    })
}

fn date_period(from: NaiveDate, to: NaiveDate, what: &'static str) -> Result<Period, FhirError> {
    if to < from {
        return Err(FhirError::InvalidInput {
            what,
            reason: format!("{to} is before {from}"),
        });
    }
    Ok(Period {
        start: Some(fhir_date(from)),
        end: Some(fhir_date(to)),
    })
}

// --------------------------------------------------------------- mapping

/// The Patient (JP Core `JP_Patient` shape): stable identifier, the display
/// name as `name.text`, birth date if recorded. No gender (not recorded).
pub fn patient(context: &ExportContext, person: &phr_model::Person) -> Patient {
    let name = (!person.display_name.is_empty()).then(|| HumanName {
        use_: Some("usual".to_string()),
        text: Some(person.display_name.clone()),
        ..HumanName::default()
    });
    Patient {
        meta: Some(Meta {
            profile: vec![JP_PATIENT.to_string()],
            ..Meta::default()
        }),
        identifier: vec![context.patient_id().identifier()],
        active: Some(true),
        name: name.into_iter().collect(),
        birth_date: person.birth_date.map(fhir_date),
        ..Patient::default()
    }
}

/// The Device: identity from the person key and the source key; label as
/// `user-friendly-name`, manufacturer, model, serial and firmware when known.
pub fn device(context: &ExportContext, source: &phr_model::Device) -> Device {
    let id = device_id(&context.person_key, &source.source_key);
    let device_name = (!source.label.is_empty())
        .then(|| DeviceName {
            name: source.label.clone(),
            type_: "user-friendly-name".to_string(),
        })
        .into_iter()
        .collect();
    let version = source
        .firmware
        .iter()
        .map(|firmware| DeviceVersion {
            type_: Some(CodeableConcept {
                coding: Vec::new(),
                text: Some("firmware".to_string()),
            }),
            value: firmware.clone(),
        })
        .collect();
    Device {
        identifier: vec![id.identifier()],
        status: Some("active".to_string()),
        manufacturer: source.manufacturer.clone(),
        serial_number: source.serial.clone(),
        device_name,
        model_number: source.model.clone(),
        version,
        patient: Some(context.patient_reference()),
        ..Device::default()
    }
}

/// Daily steps: LOINC 41950-7, `/d`, `effectiveDateTime` = the local date
/// (as the HL7 Physical Activity IG), category `activity`; completeness as a
/// component.
pub fn daily_steps(context: &ExportContext, day: &DailySteps) -> Result<Observation, FhirError> {
    let date = fhir_date(day.date);
    let id = context.observation_id("daily-steps", &[&date]);
    let mut observation = base_observation(
        context,
        &id,
        vec![activity_category()],
        loinc("41950-7", "Number of steps in 24 hour Measured"),
    );
    observation.effective_date_time = Some(date);
    observation.value_quantity = Some(ucum(Decimal::from(day.steps), "steps/day", "/d"));
    if let Some(completeness) = day.completeness {
        observation
            .component
            .push(completeness_component(completeness)?);
    }
    Ok(observation)
}

/// Steps over an interval: LOINC 55423-8, `{steps}`, `effectivePeriod`.
pub fn interval_steps(
    context: &ExportContext,
    interval: &IntervalSteps,
) -> Result<Observation, FhirError> {
    if interval.duration_seconds == 0 {
        return Err(FhirError::InvalidInput {
            what: "step interval",
            reason: "lasts 0 seconds".to_string(),
        });
    }
    let end = interval
        .start
        .plus_seconds(i64::from(interval.duration_seconds));
    let period = check_period(interval.start, end, "step interval")?;
    let start_utc = interval.start.utc.to_string();
    let duration = interval.duration_seconds.to_string();
    let id = context.observation_id("interval-steps", &[&start_utc, &duration]);
    let mut observation = base_observation(
        context,
        &id,
        vec![activity_category()],
        loinc("55423-8", "Number of steps in unspecified time Pedometer"),
    );
    observation.effective_period = Some(period);
    observation.value_quantity = Some(ucum(Decimal::from(interval.steps), "steps", "{steps}"));
    Ok(observation)
}

/// A sleep episode: LOINC 93832-4 (total sleep, `min`) over the episode as
/// `effectivePeriod`, category `social-history` (HL7 PHR-format IG), with
/// deep/light/REM (LOINC) and latency, WASO, efficiency, awakenings and
/// main-sleep (ours) as components, and the scoring method.
pub fn sleep_episode(
    context: &ExportContext,
    sleep: &SleepSummary,
) -> Result<Observation, FhirError> {
    let period = check_period(sleep.start, sleep.end, "sleep episode")?;
    let start_utc = sleep.start.utc.to_string();
    let end_utc = sleep.end.utc.to_string();
    let id = context.observation_id("sleep-episode", &[&start_utc, &end_utc, &sleep.method]);
    let mut observation = base_observation(
        context,
        &id,
        vec![category("social-history", "Social History")],
        loinc("93832-4", "Sleep duration"),
    );
    observation.effective_period = Some(period);
    match sleep.total_minutes {
        Some(total) => observation.value_quantity = Some(minutes(total, "total sleep")?),
        None => observation.data_absent_reason = Some(unknown_value()),
    }
    let method_code = if sleep.method == "device" {
        "scored-by-device"
    } else {
        "scored-by-algorithm"
    };
    observation.method = Some(CodeableConcept {
        coding: vec![Coding::new(
            CODE_SYSTEM,
            method_code,
            display_of(method_code),
        )],
        text: (!sleep.method.is_empty()).then(|| sleep.method.clone()),
    });
    let stage_codes = [
        (
            sleep.deep_minutes,
            "93831-6",
            "Deep sleep duration",
            "deep sleep",
        ),
        (
            sleep.light_minutes,
            "93830-8",
            "Light sleep duration",
            "light sleep",
        ),
        (
            sleep.rem_minutes,
            "93829-0",
            "REM sleep duration",
            "REM sleep",
        ),
    ];
    for (value, code, display, what) in stage_codes {
        if let Some(value) = value {
            observation.component.push(quantity_component(
                loinc(code, display),
                minutes(value, what)?,
            ));
        }
    }
    if let Some(latency) = sleep.latency_minutes {
        observation.component.push(quantity_component(
            ours("sleep-onset-latency"),
            minutes(latency, "sleep onset latency")?,
        ));
    }
    if let Some(waso) = sleep.waso_minutes {
        observation.component.push(quantity_component(
            ours("wake-after-sleep-onset"),
            minutes(waso, "wake after sleep onset")?,
        ));
    }
    if let Some(efficiency) = sleep.efficiency {
        observation.component.push(quantity_component(
            ours("sleep-efficiency"),
            fraction_as_percent(efficiency, "sleep efficiency")?,
        ));
    }
    if let Some(awakenings) = sleep.awakenings {
        observation.component.push(ObservationComponent {
            value_integer: Some(i64::from(awakenings)),
            ..component(ours("awakenings"))
        });
    }
    observation.component.push(ObservationComponent {
        value_boolean: Some(sleep.is_main),
        ..component(ours("main-sleep"))
    });
    Ok(observation)
}

/// A day of minute activity counts as `valueSampledData` (origin 0
/// `{counts}`, period 60000 ms, `E` where data are missing), over the minutes
/// as `effectivePeriod`, with the share of minutes with data as a component.
pub fn minute_activity(
    context: &ExportContext,
    day: &MinuteActivityDay,
) -> Result<Observation, FhirError> {
    if day.counts.is_empty() {
        return Err(FhirError::InvalidInput {
            what: "minute activity day",
            reason: "has no minutes".to_string(),
        });
    }
    let n_minutes = day.counts.len();
    let end = day.start.plus_seconds(60 * n_minutes as i64);
    let period = check_period(day.start, end, "minute activity day")?;
    let date = fhir_date(day.date);
    let id = context.observation_id("minute-activity", &[&date]);
    let mut observation = base_observation(
        context,
        &id,
        vec![activity_category()],
        ours("activity-counts"),
    );
    observation.effective_period = Some(period);
    let data = day
        .counts
        .iter()
        .map(|count| match count {
            Some(count) => count.to_string(),
            None => "E".to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    observation.value_sampled_data = Some(SampledData {
        origin: ucum(Decimal::from(0), "counts", "{counts}"),
        period: Decimal::from(60_000),
        factor: None,
        lower_limit: None,
        upper_limit: None,
        dimensions: 1,
        data: Some(data),
    });
    let n_present = day.counts.iter().filter(|count| count.is_some()).count();
    observation
        .component
        .push(completeness_component(n_present as f64 / n_minutes as f64)?);
    Ok(observation)
}

/// Circadian rhythm metrics over a run of days: one Observation (ours
/// `circadian-rhythm`) with `effectivePeriod` = the days and one component
/// per metric present.
pub fn circadian_metrics(
    context: &ExportContext,
    summary: &CircadianSummary,
) -> Result<Observation, FhirError> {
    let metrics = &summary.metrics;
    let period = date_period(summary.period_from, summary.period_to, "circadian period")?;
    let from = fhir_date(summary.period_from);
    let to = fhir_date(summary.period_to);
    let binarized = if summary.binarized {
        "binarized"
    } else {
        "counts"
    };
    let id = context.observation_id("circadian-rhythm", &[&from, &to, binarized]);
    let mut observation = base_observation(
        context,
        &id,
        vec![activity_category()],
        ours("circadian-rhythm"),
    );
    observation.effective_period = Some(period);
    let dimensionless = [
        (metrics.is, "interdaily-stability"),
        (metrics.iv, "intradaily-variability"),
        (metrics.ra, "relative-amplitude"),
    ];
    for (value, code) in dimensionless {
        if let Some(value) = value {
            let quantity = ucum(decimal(value, 4, "circadian metric")?, "1", "1");
            observation
                .component
                .push(quantity_component(ours(code), quantity));
        }
    }
    for (value, code) in [(metrics.l5, "l5"), (metrics.m10, "m10")] {
        if let Some(value) = value {
            let quantity = ucum(decimal(value, 2, "circadian metric")?, "counts", "{counts}");
            observation
                .component
                .push(quantity_component(ours(code), quantity));
        }
    }
    for (onset, code) in [
        (metrics.l5_onset, "l5-onset"),
        (metrics.m10_onset, "m10-onset"),
    ] {
        if let Some(onset) = onset {
            observation.component.push(ObservationComponent {
                value_time: Some(onset.format("%H:%M:%S").to_string()),
                ..component(ours(code))
            });
        }
    }
    observation.component.push(ObservationComponent {
        value_boolean: Some(summary.binarized),
        ..component(ours("binarized"))
    });
    if let Some(threshold) = summary.threshold {
        let quantity = ucum(
            decimal(threshold, 2, "binarization threshold")?,
            "counts",
            "{counts}",
        );
        observation
            .component
            .push(quantity_component(ours("binarization-threshold"), quantity));
    }
    Ok(observation)
}

/// A summary report over `period` grouping `results` (which must carry
/// stable identifiers, i.e. come from this crate). `conclusion` is free
/// text.
pub fn diagnostic_report(
    context: &ExportContext,
    period: ReportPeriod,
    results: &[Observation],
    conclusion: Option<&str>,
) -> Result<DiagnosticReport, FhirError> {
    let effective = date_period(period.from, period.to, "report period")?;
    let id = StableId::derive(
        &context.person_key,
        "lifelog-summary",
        &[&fhir_date(period.from), &fhir_date(period.to)],
    );
    let result = results
        .iter()
        .map(|observation| {
            stable_id_of(&Resource::Observation(Box::new(observation.clone())))
                .map(|id| Reference::to("Observation", &id.urn()))
                .ok_or(FhirError::InvalidInput {
                    what: "report result",
                    reason: "an observation without a stable identifier".to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DiagnosticReport {
        identifier: vec![id.identifier()],
        status: "final".to_string(),
        code: ours("lifelog-summary"),
        subject: Some(context.patient_reference()),
        effective_period: Some(effective),
        issued: Some(context.issued_text()),
        // No performer: R4 allows only practitioners, organisations and care
        // teams there, not the Patient.
        result,
        conclusion: conclusion.map(str::to_string),
        ..DiagnosticReport::default()
    })
}

/// A rendered report as a DocumentReference with the bytes inline
/// (`attachment.data`, base64) and their SHA-1 (`attachment.hash`, as R4
/// defines it).
pub fn document_reference(
    context: &ExportContext,
    document: &ReportDocument,
) -> Result<DocumentReference, FhirError> {
    let period = date_period(document.period.from, document.period.to, "report period")?;
    let from = fhir_date(document.period.from);
    let to = fhir_date(document.period.to);
    let id = StableId::derive(
        &context.person_key,
        "lifelog-report",
        &[&from, &to, &document.content_type],
    );
    let report_id = StableId::derive(&context.person_key, "lifelog-summary", &[&from, &to]);
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &document.bytes);
    Ok(DocumentReference {
        identifier: vec![id.identifier()],
        status: "current".to_string(),
        type_: Some(ours("lifelog-report")),
        subject: Some(context.patient_reference()),
        date: Some(context.issued_text()),
        author: vec![context.patient_reference()],
        content: vec![DocumentContent {
            attachment: Attachment {
                content_type: Some(document.content_type.clone()),
                data: Some(base64(&document.bytes)),
                url: None,
                size: Some(document.bytes.len() as u64),
                hash: Some(base64(sha1.as_ref())),
                title: (!document.title.is_empty()).then(|| document.title.clone()),
                creation: Some(context.issued_text()),
            },
            format: None,
        }],
        context: Some(DocumentContext {
            period: Some(period),
            related: vec![Reference::to("DiagnosticReport", &report_id.urn())],
        }),
        ..DocumentReference::default()
    })
}

/// The owner's consent to share with a recipient: `patient-privacy` scope,
/// LOINC 59284-0 category, opt-in, one `permit` provision naming the
/// recipient by identifier, the purpose and the days of data covered.
pub fn consent(context: &ExportContext, grant: &ConsentGrant) -> Result<Consent, FhirError> {
    if grant.recipient_system.is_empty() || grant.recipient_id.is_empty() {
        return Err(FhirError::InvalidInput {
            what: "consent recipient",
            reason: "system and id are required".to_string(),
        });
    }
    let data_period = date_period(grant.data_from, grant.data_to, "consent data period")?;
    let granted = fhir_instant(grant.granted, "consent time")?;
    let provision_period = match grant.expires {
        Some(expires) => check_period(grant.granted, expires, "consent period")?,
        None => Period {
            start: Some(granted.clone()),
            end: None,
        },
    };
    let (purpose_code, purpose_display) = match grant.purpose {
        SharePurpose::Treatment => ("TREAT", "treatment"),
        SharePurpose::Research => ("HRESCH", "healthcare research"),
    };
    let granted_utc = grant.granted.utc.to_string();
    let id = StableId::derive(
        &context.person_key,
        "consent",
        &[
            &grant.recipient_system,
            &grant.recipient_id,
            purpose_code,
            &fhir_date(grant.data_from),
            &fhir_date(grant.data_to),
            &granted_utc,
        ],
    );
    Ok(Consent {
        identifier: vec![id.identifier()],
        status: "active".to_string(),
        scope: CodeableConcept::coded(
            "http://terminology.hl7.org/CodeSystem/consentscope",
            "patient-privacy",
            "Privacy Consent",
        ),
        category: vec![loinc("59284-0", "Patient Consent")],
        patient: Some(context.patient_reference()),
        date_time: Some(granted),
        performer: vec![context.patient_reference()],
        policy: vec![ConsentPolicy {
            authority: None,
            uri: Some(format!("{CODE_SYSTEM}/consent-policy")),
        }],
        policy_rule: Some(CodeableConcept::coded(
            "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "OPTIN",
            "opt-in",
        )),
        provision: Some(ConsentProvision {
            type_: Some("permit".to_string()),
            period: Some(provision_period),
            actor: vec![ConsentActor {
                role: CodeableConcept::coded(
                    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "IRCP",
                    "information recipient",
                ),
                reference: Reference {
                    reference: None,
                    type_: Some("Organization".to_string()),
                    identifier: Some(Identifier::new(
                        &grant.recipient_system,
                        &grant.recipient_id,
                    )),
                    display: None,
                },
            }],
            action: vec![CodeableConcept::coded(
                "http://terminology.hl7.org/CodeSystem/consentaction",
                "access",
                "Access",
            )],
            purpose: vec![Coding::new(
                "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                purpose_code,
                purpose_display,
            )],
            class: Vec::new(),
            data_period: Some(data_period),
        }),
        ..Consent::default()
    })
}

/// A Provenance for `targets` (resources from this crate): recorded at the
/// issue time, activity CREATE, the Patient as author and the Device (if the
/// context names one) as performer. Its identity (a `meta.tag`) hashes the
/// targets' identities, so the same set gives the same Provenance.
pub fn provenance(context: &ExportContext, targets: &[Resource]) -> Result<Provenance, FhirError> {
    let mut target_ids = Vec::with_capacity(targets.len());
    let mut target = Vec::with_capacity(targets.len());
    for resource in targets {
        let id = stable_id_of(resource).ok_or(FhirError::InvalidInput {
            what: "provenance target",
            reason: format!("a {} without a stable identifier", resource.resource_type()),
        })?;
        target.push(Reference::to(resource.resource_type(), &id.urn()));
        target_ids.push(id.value().to_string());
    }
    if target.is_empty() {
        return Err(FhirError::InvalidInput {
            what: "provenance",
            reason: "no targets".to_string(),
        });
    }
    target_ids.sort();
    let parts: Vec<&str> = target_ids.iter().map(String::as_str).collect();
    let id = StableId::derive(&context.person_key, "provenance", &parts);
    let participant = |code: &str, display: &str| {
        Some(CodeableConcept::coded(
            "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            code,
            display,
        ))
    };
    let mut agent = vec![ProvenanceAgent {
        type_: participant("author", "Author"),
        who: Some(context.patient_reference()),
        on_behalf_of: None,
    }];
    if let Some(device) = context.device_reference() {
        agent.push(ProvenanceAgent {
            type_: participant("performer", "Performer"),
            who: Some(device),
            on_behalf_of: None,
        });
    }
    Ok(Provenance {
        meta: Some(Meta {
            tag: vec![Coding {
                system: Some(IDENTIFIER_SYSTEM.to_string()),
                version: None,
                code: Some(id.value().to_string()),
                display: None,
            }],
            ..Meta::default()
        }),
        target,
        recorded: context.issued_text(),
        activity: Some(CodeableConcept::coded(
            "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "CREATE",
            "create",
        )),
        agent,
        ..Provenance::default()
    })
}

macro_rules! into_resource {
    ($($type:ident),*) => {$(
        impl From<$type> for Resource {
            fn from(resource: $type) -> Self {
                Resource::$type(Box::new(resource))
            }
        }
    )*};
}
into_resource!(
    Patient,
    Device,
    Observation,
    Provenance,
    Consent,
    DiagnosticReport,
    DocumentReference
);
