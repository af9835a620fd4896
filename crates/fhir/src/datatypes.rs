//! FHIR R4 general-purpose data types, as far as the exported resources use
//! them. Every optional element is skipped when empty, so the JSON carries no
//! `null`s and no empty arrays (both are invalid FHIR JSON).

use serde::{Deserialize, Serialize};

/// A FHIR `decimal`. Kept as a JSON number so integers stay integers
/// (`7267`, not `7267.0`) and parsed values keep their text form.
pub type Decimal = serde_json::Number;

/// Resource metadata (`Meta`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// Version the server assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// When the server last changed the resource (an `instant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// Profiles the resource claims to conform to (canonical URLs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
    /// Tags; resources without an `identifier` element carry their stable
    /// identity here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
}

/// Human-readable summary (`Narrative`). Never produced by the mapping (the
/// XHTML would be free text to pseudonymise); kept so parsed resources round
/// trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Narrative {
    /// `generated | extensions | additional | empty`.
    pub status: String,
    /// Limited XHTML content.
    pub div: String,
}

/// A code from a code system (`Coding`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coding {
    /// Code system URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Version of the code system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Display text defined by the code system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    /// A coding with system, code and display.
    pub fn new(system: &str, code: &str, display: &str) -> Self {
        Coding {
            system: Some(system.to_string()),
            version: None,
            code: Some(code.to_string()),
            display: Some(display.to_string()),
        }
    }
}

/// A concept given by codings and/or text (`CodeableConcept`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeableConcept {
    /// Codes for the concept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    /// Plain-text representation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// A concept with one coding and no text.
    pub fn coded(system: &str, code: &str, display: &str) -> Self {
        CodeableConcept {
            coding: vec![Coding::new(system, code, display)],
            text: None,
        }
    }

    /// True if any coding has this system and code.
    pub fn has_code(&self, system: &str, code: &str) -> bool {
        self.coding.iter().any(|coding| {
            coding.system.as_deref() == Some(system) && coding.code.as_deref() == Some(code)
        })
    }
}

/// A business identifier (`Identifier`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    /// `usual | official | temp | secondary | old`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Namespace of the value (a URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The value, unique within the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Identifier {
    /// An identifier with a system and value.
    pub fn new(system: &str, value: &str) -> Self {
        Identifier {
            use_: None,
            system: Some(system.to_string()),
            value: Some(value.to_string()),
        }
    }
}

/// A reference to another resource (`Reference`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Literal reference: `Type/id`, an absolute URL or `urn:uuid:…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Type the reference refers to (e.g. `Patient`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Logical reference, when the literal one is not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// Text alternative (free text: dropped by pseudonymisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    /// A literal reference to `reference` (e.g. `urn:uuid:…`) of `type_`.
    pub fn to(type_: &str, reference: &str) -> Self {
        Reference {
            reference: Some(reference.to_string()),
            type_: Some(type_.to_string()),
            identifier: None,
            display: None,
        }
    }
}

/// A measured amount (`Quantity`, also used as `SimpleQuantity`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// Numerical value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Decimal>,
    /// `< | <= | >= | >`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    /// Unit representation for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Unit system (UCUM here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Coded unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A series of measurements at a fixed period (`SampledData`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampledData {
    /// Zero value and unit.
    pub origin: Quantity,
    /// Milliseconds between samples.
    pub period: Decimal,
    /// Multiply data by this before adding to origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<Decimal>,
    /// Lower limit of detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_limit: Option<Decimal>,
    /// Upper limit of detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_limit: Option<Decimal>,
    /// Number of sample points at each time point.
    pub dimensions: u32,
    /// Space-separated decimals, or `E` (error / no value), `L`, `U`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// A time range (`Period`); bounds are FHIR `dateTime`s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// Inclusive start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Inclusive end (a date means the whole day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// A person's name (`HumanName`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HumanName {
    /// `usual | official | temp | nickname | anonymous | old | maiden`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// The full name as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Given names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
}

/// Content in a format defined elsewhere (`Attachment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// MIME type of the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The data, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Where the data can be fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Number of bytes of content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-1 of the data, base64-encoded (R4 defines SHA-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Label to display in place of the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When the content was first created (a `dateTime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation: Option<String>,
}

/// A text note with attribution (`Annotation`): free text, dropped by
/// pseudonymisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// When the note was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The note (markdown).
    pub text: String,
}
