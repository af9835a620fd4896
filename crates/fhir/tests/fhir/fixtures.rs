//! One person's export, fixed: every mapped resource with deterministic ids
//! and timestamps.

use chrono::{NaiveDate, NaiveTime};
use phr_fhir::{
    CircadianSummary, ConsentGrant, DailySteps, ExportContext, IntervalSteps, MinuteActivityDay,
    ReportDocument, ReportPeriod, Resource, SharePurpose, SleepSummary,
};
use phr_model::{
    CircadianMetrics, Device, DeviceId, Person, PersonId, Role, SleepEpisode, SleepStage,
    SleepStageSpan, Stamp, StepCount,
};

/// Japan.
pub const JST: i32 = 9 * 3600;
/// The person key (a random id in a real vault).
pub const PERSON_KEY: &str = "person-5b0e2c4a-7d1f";
/// Identifying strings that must never survive pseudonymisation.
pub const NAME: &str = "Hanako Yamada";
pub const SERIAL: &str = "SN-PT-004217";
pub const LABEL: &str = "Hanako's PineTime";
pub const BIRTH_DATE: &str = "1950-04-02";

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("fixture date")
}

/// A JST wall-clock time as a stamp.
pub fn jst(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> Stamp {
    let local = date(y, m, d).and_hms_opt(hh, mm, 0).expect("fixture time");
    Stamp::new(local.and_utc().timestamp() - i64::from(JST), JST)
}

/// Issued 2026-03-02T09:00:00+09:00.
pub fn context() -> ExportContext {
    ExportContext::new(PERSON_KEY, jst(2026, 3, 2, 9, 0))
        .expect("context")
        .with_device(&device().source_key)
}

pub fn person() -> Person {
    Person {
        id: PersonId(1),
        display_name: NAME.to_string(),
        time_zone: "Asia/Tokyo".to_string(),
        role: Role::CaredFor,
        birth_date: Some(date(1950, 4, 2)),
    }
}

pub fn device() -> Device {
    Device {
        id: DeviceId(3),
        person: PersonId(1),
        source_key: "ble:C7:12:9A:44:10:FE".to_string(),
        label: LABEL.to_string(),
        manufacturer: Some("Pine64".to_string()),
        model: Some("PineTime".to_string()),
        serial: Some(SERIAL.to_string()),
        firmware: Some("1.14.0".to_string()),
    }
}

pub fn daily() -> DailySteps {
    DailySteps {
        date: date(2026, 3, 1),
        steps: 7267,
        completeness: Some(0.9375),
    }
}

pub fn interval() -> IntervalSteps {
    IntervalSteps::from(&StepCount {
        start: jst(2026, 3, 1, 7, 30),
        duration_seconds: 900,
        steps: 1204,
    })
}

/// 23:10 to 06:40; 20 min to fall asleep, two awakenings.
pub fn episode() -> SleepEpisode {
    let span = |offset_minutes: u32, minutes: u32, stage: SleepStage| SleepStageSpan {
        offset_seconds: offset_minutes * 60,
        duration_seconds: minutes * 60,
        stage,
    };
    SleepEpisode {
        start: jst(2026, 2, 28, 23, 10),
        end: jst(2026, 3, 1, 6, 40),
        is_main: true,
        method: "device".to_string(),
        stages: vec![
            span(0, 20, SleepStage::Awake),
            span(20, 90, SleepStage::Light),
            span(110, 60, SleepStage::Deep),
            span(170, 10, SleepStage::Awake),
            span(180, 100, SleepStage::Light),
            span(280, 45, SleepStage::Rem),
            span(325, 5, SleepStage::Awake),
            span(330, 80, SleepStage::Light),
            span(410, 40, SleepStage::Rem),
        ],
    }
}

pub fn sleep() -> SleepSummary {
    SleepSummary::from_episode(&episode())
}

/// A local day of minute counts: quiet night, active day, an unworn hour.
pub fn minutes() -> MinuteActivityDay {
    let counts = (0..1440_u32)
        .map(|minute| match minute {
            780..=839 => None,
            0..=389 => Some(minute % 3),
            _ => Some(100 + (minute * 37) % 250),
        })
        .collect();
    MinuteActivityDay {
        date: date(2026, 3, 1),
        start: jst(2026, 3, 1, 0, 0),
        counts,
    }
}

pub fn circadian() -> CircadianSummary {
    CircadianSummary {
        period_from: date(2026, 2, 15),
        period_to: date(2026, 3, 1),
        metrics: CircadianMetrics {
            is: Some(0.612_345),
            iv: Some(0.873_21),
            ra: Some(0.912_5),
            l5: Some(3.456),
            m10: Some(215.75),
            l5_onset: NaiveTime::from_hms_opt(1, 30, 0),
            m10_onset: NaiveTime::from_hms_opt(8, 0, 0),
        },
        binarized: false,
        threshold: None,
    }
}

pub fn grant() -> ConsentGrant {
    ConsentGrant {
        recipient_system: "urn:oid:1.2.392.100495.20.3.51".to_string(),
        recipient_id: "1311234567".to_string(),
        purpose: SharePurpose::Treatment,
        data_from: date(2026, 2, 15),
        data_to: date(2026, 3, 1),
        granted: jst(2026, 3, 2, 8, 45),
        expires: Some(jst(2026, 6, 2, 8, 45)),
    }
}

pub fn report_period() -> ReportPeriod {
    ReportPeriod {
        from: date(2026, 2, 15),
        to: date(2026, 3, 1),
    }
}

pub fn document() -> ReportDocument {
    ReportDocument {
        period: report_period(),
        content_type: "text/csv".to_string(),
        title: format!("Lifelog report for {NAME}"),
        bytes: b"date,steps\n2026-03-01,7267\n".to_vec(),
    }
}

/// Every mapped resource, named, in a fixed order.
pub fn all() -> Vec<(&'static str, Resource)> {
    let context = context();
    let daily = phr_fhir::daily_steps(&context, &daily()).expect("daily");
    let interval = phr_fhir::interval_steps(&context, &interval()).expect("interval");
    let sleep = phr_fhir::sleep_episode(&context, &sleep()).expect("sleep");
    let minutes = phr_fhir::minute_activity(&context, &minutes()).expect("minutes");
    let circadian = phr_fhir::circadian_metrics(&context, &circadian()).expect("circadian");
    let report = phr_fhir::diagnostic_report(
        &context,
        report_period(),
        &[daily.clone(), sleep.clone(), circadian.clone()],
        Some(&format!("Report for {NAME}: sleeps well.")),
    )
    .expect("report");
    let observations: Vec<Resource> = [&daily, &interval, &sleep, &minutes, &circadian]
        .into_iter()
        .map(|observation| Resource::from(observation.clone()))
        .collect();
    let provenance = phr_fhir::provenance(&context, &observations).expect("provenance");
    vec![
        ("patient", phr_fhir::patient(&context, &person()).into()),
        ("device", phr_fhir::device(&context, &device()).into()),
        ("daily_steps", daily.into()),
        ("interval_steps", interval.into()),
        ("sleep_episode", sleep.into()),
        ("minute_activity", minutes.into()),
        ("circadian_metrics", circadian.into()),
        ("diagnostic_report", report.into()),
        (
            "document_reference",
            phr_fhir::document_reference(&context, &document())
                .expect("document")
                .into(),
        ),
        (
            "consent",
            phr_fhir::consent(&context, &grant())
                .expect("consent")
                .into(),
        ),
        ("provenance", provenance.into()),
    ]
}

/// Patient and Device: the entries every bundle shares.
pub fn shared() -> Vec<Resource> {
    all()
        .into_iter()
        .take(2)
        .map(|(_, resource)| resource)
        .collect()
}

/// Everything but the Patient and Device.
pub fn selected() -> Vec<Resource> {
    all()
        .into_iter()
        .skip(2)
        .map(|(_, resource)| resource)
        .collect()
}

pub fn pretty(resource: &impl serde::Serialize) -> String {
    let mut json = serde_json::to_string_pretty(resource).expect("json");
    json.push('\n');
    json
}
