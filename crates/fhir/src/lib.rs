//! FHIR R4 (4.0.1) export of lifelog summaries: hand-written resource types,
//! the mapping from daily steps, sleep episodes, minute activity and
//! circadian metrics to Observations, transaction bundles that are safe to
//! resend, a pseudonymised research export and Bulk-Data NDJSON.
//!
//! # Design
//!
//! * **Pure**: no I/O, no clock, no randomness. The issue time, the person
//!   key and every secret are arguments, so the same inputs give
//!   byte-identical JSON (and snapshot tests can pin it).
//! * **Stable identity instead of server ids**: every resource carries an
//!   `identifier` (or, for Provenance, a `meta.tag`) whose value is a SHA-256
//!   of *person key + kind + period* ([`StableId`]). Its UUID is the bundle
//!   `fullUrl`, and `ifNoneExist: identifier=…` makes resending a no-op, so an
//!   interrupted export can simply be repeated.
//! * **Inputs are this crate's own plain structs** ([`DailySteps`],
//!   [`SleepSummary`], ...), filled by the façade; the crate depends on the
//!   model only, never on analysis or storage.
//! * **Only the elements used are modelled**, with `Option`/`Vec` skipped when
//!   empty: no `null` ever reaches the JSON. Codes, units and profiles are in
//!   `docs/fhir.md`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bundle;
mod datatypes;
mod ids;
mod mapping;
mod ndjson;
mod pseudonym;
mod resources;

pub use bundle::{collection_bundle, localise, transaction_bundles, TransactionOptions};
pub use datatypes::{
    Annotation, Attachment, CodeableConcept, Coding, Decimal, HumanName, Identifier, Meta,
    Narrative, Period, Quantity, Reference, SampledData,
};
pub use ids::StableId;
pub use mapping::{
    circadian_metrics, consent, daily_steps, device, diagnostic_report, document_reference,
    interval_steps, minute_activity, patient, provenance, sleep_episode, stable_id_of,
    CircadianSummary, ConsentGrant, DailySteps, ExportContext, IntervalSteps, MinuteActivityDay,
    ReportDocument, ReportPeriod, SharePurpose, SleepSummary,
};
pub use ndjson::ndjson_files;
pub use pseudonym::{pseudonymise, PseudonymKey};
pub use resources::{
    Bundle, BundleEntry, BundleEntryRequest, BundleEntryResponse, BundleEntrySearch, BundleLink,
    BundleType, Consent, ConsentActor, ConsentPolicy, ConsentProvision, Device, DeviceName,
    DeviceVersion, DiagnosticReport, DocumentContent, DocumentContext, DocumentReference,
    Observation, ObservationComponent, OperationOutcome, OperationOutcomeIssue, Patient,
    Provenance, ProvenanceAgent, ProvenanceEntity, Resource,
};

/// Our code system for lifelog concepts LOINC does not cover (latency, WASO,
/// efficiency, completeness, circadian metrics, ...). Every code is listed in
/// [`LIFELOG_CODES`] and `docs/fhir.md`.
pub const CODE_SYSTEM: &str = "https://phr-companion.example/fhir/CodeSystem/lifelog";
/// Namespace of the stable identifiers of every exported resource.
pub const IDENTIFIER_SYSTEM: &str = "https://phr-companion.example/fhir/NamingSystem/resource-id";
/// Namespace of research pseudonyms (HMAC of the person key).
pub const PSEUDONYM_SYSTEM: &str =
    "https://phr-companion.example/fhir/NamingSystem/research-pseudonym";
/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// UCUM units.
pub const UCUM: &str = "http://unitsofmeasure.org";
/// HL7 observation categories (`activity`, `social-history`, ...).
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// JP Core base Observation profile, declared on every Observation.
pub const JP_OBSERVATION_COMMON: &str =
    "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_Common";
/// JP Core Patient profile, declared on Patient.
pub const JP_PATIENT: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Patient";

/// Every code of [`CODE_SYSTEM`]: `(code, display)`.
pub const LIFELOG_CODES: &[(&str, &str)] = &[
    ("sleep-onset-latency", "Sleep onset latency"),
    ("wake-after-sleep-onset", "Wake after sleep onset"),
    ("sleep-efficiency", "Sleep efficiency"),
    ("awakenings", "Number of awakenings"),
    ("main-sleep", "Main sleep of the night"),
    ("scored-by-device", "Sleep scored by the device"),
    (
        "scored-by-algorithm",
        "Sleep scored by an actigraphy algorithm",
    ),
    ("data-completeness", "Data completeness"),
    ("activity-counts", "Activity counts per epoch"),
    ("circadian-rhythm", "Nonparametric circadian rhythm metrics"),
    ("interdaily-stability", "Interdaily stability (IS)"),
    ("intradaily-variability", "Intradaily variability (IV)"),
    ("relative-amplitude", "Relative amplitude (RA)"),
    ("l5", "Mean activity of the least active 5 hours (L5)"),
    ("m10", "Mean activity of the most active 10 hours (M10)"),
    ("l5-onset", "Onset of L5"),
    ("m10-onset", "Onset of M10"),
    ("binarized", "Metrics computed on binarized activity"),
    ("binarization-threshold", "Binarization threshold"),
    ("lifelog-summary", "Lifelog summary report"),
    ("lifelog-report", "Lifelog report document"),
];

/// Errors of the FHIR export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FhirError {
    /// The person key is empty (identifiers would collide across people).
    #[error("the person key is empty")]
    EmptyPersonKey,
    /// An input value is not usable; `what` names the field.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// The field, e.g. `sleep episode end`.
        what: &'static str,
        /// Why, for people.
        reason: String,
    },
    /// A bundle limit too small to hold the shared entries plus one resource.
    #[error("a bundle of at most {max_entries} entries cannot hold {shared} shared entries and a resource")]
    BundleTooSmall {
        /// The requested limit.
        max_entries: usize,
        /// Patient, Device, Provenance entries every bundle repeats.
        shared: usize,
    },
    /// A date in a resource could not be parsed for date shifting.
    #[error("cannot shift the date {0:?}: not a FHIR date, dateTime or instant")]
    BadDate(String),
    /// The pseudonymisation secret is too short (at least 16 bytes).
    #[error("the pseudonymisation secret is too short (at least 16 bytes)")]
    WeakSecret,
    /// Serialising a resource to JSON failed.
    #[error("JSON serialisation failed: {0}")]
    Json(#[from] serde_json::Error),
}
