//! Hand-written FHIR R4 (4.0.1) resources: the handful this crate exports
//! (Patient, Device, Observation, Provenance, Consent, DiagnosticReport,
//! DocumentReference, Bundle) and the one it parses from servers
//! (OperationOutcome). Only the elements used are modelled; unknown elements
//! in parsed JSON are ignored. Choice elements (`value[x]`, `effective[x]`)
//! are one optional field per type, as they appear in JSON.

use crate::datatypes::{
    Annotation, Attachment, CodeableConcept, Coding, Decimal, HumanName, Identifier, Meta,
    Narrative, Period, Quantity, Reference, SampledData,
};
use serde::{Deserialize, Serialize};

/// Any resource this crate knows, tagged by `resourceType` in JSON.
///
/// Each resource struct writes its own `resourceType` (so a [`Bundle`] or an
/// [`Observation`] serialised on its own is valid FHIR JSON too); this enum
/// writes the struct it holds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "resourceType")]
pub enum Resource {
    /// A person receiving care (the wearer).
    Patient(Box<Patient>),
    /// A wearable or other data source.
    Device(Box<Device>),
    /// A measurement or derived value.
    Observation(Box<Observation>),
    /// Who produced which resources, when.
    Provenance(Box<Provenance>),
    /// The owner's permission to share.
    Consent(Box<Consent>),
    /// A report grouping observations.
    DiagnosticReport(Box<DiagnosticReport>),
    /// A document (e.g. a PDF report) with metadata.
    DocumentReference(Box<DocumentReference>),
    /// A container of resources.
    Bundle(Box<Bundle>),
    /// Errors and warnings from a server.
    OperationOutcome(Box<OperationOutcome>),
    /// Any other resource type (parsing only: its content is discarded and
    /// it cannot be written back).
    #[serde(other)]
    Unknown,
}

impl Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Resource::Patient(r) => r.serialize(serializer),
            Resource::Device(r) => r.serialize(serializer),
            Resource::Observation(r) => r.serialize(serializer),
            Resource::Provenance(r) => r.serialize(serializer),
            Resource::Consent(r) => r.serialize(serializer),
            Resource::DiagnosticReport(r) => r.serialize(serializer),
            Resource::DocumentReference(r) => r.serialize(serializer),
            Resource::Bundle(r) => r.serialize(serializer),
            Resource::OperationOutcome(r) => r.serialize(serializer),
            Resource::Unknown => Err(serde::ser::Error::custom(
                "a resource of an unknown type cannot be written",
            )),
        }
    }
}

impl Resource {
    /// The FHIR resource type name (`Observation`, ...).
    pub fn resource_type(&self) -> &'static str {
        match self {
            Resource::Patient(_) => "Patient",
            Resource::Device(_) => "Device",
            Resource::Observation(_) => "Observation",
            Resource::Provenance(_) => "Provenance",
            Resource::Consent(_) => "Consent",
            Resource::DiagnosticReport(_) => "DiagnosticReport",
            Resource::DocumentReference(_) => "DocumentReference",
            Resource::Bundle(_) => "Bundle",
            Resource::OperationOutcome(_) => "OperationOutcome",
            Resource::Unknown => "Unknown",
        }
    }

    /// The logical id, if the resource has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Resource::Patient(r) => r.id.as_deref(),
            Resource::Device(r) => r.id.as_deref(),
            Resource::Observation(r) => r.id.as_deref(),
            Resource::Provenance(r) => r.id.as_deref(),
            Resource::Consent(r) => r.id.as_deref(),
            Resource::DiagnosticReport(r) => r.id.as_deref(),
            Resource::DocumentReference(r) => r.id.as_deref(),
            Resource::Bundle(r) => r.id.as_deref(),
            Resource::OperationOutcome(r) => r.id.as_deref(),
            Resource::Unknown => None,
        }
    }

    /// Sets or clears the logical id.
    pub fn set_id(&mut self, id: Option<String>) {
        match self {
            Resource::Patient(r) => r.id = id,
            Resource::Device(r) => r.id = id,
            Resource::Observation(r) => r.id = id,
            Resource::Provenance(r) => r.id = id,
            Resource::Consent(r) => r.id = id,
            Resource::DiagnosticReport(r) => r.id = id,
            Resource::DocumentReference(r) => r.id = id,
            Resource::Bundle(r) => r.id = id,
            Resource::OperationOutcome(r) => r.id = id,
            Resource::Unknown => {}
        }
    }

    /// The resource's `meta`, if the type has one.
    pub fn meta(&self) -> Option<&Meta> {
        match self {
            Resource::Patient(r) => r.meta.as_ref(),
            Resource::Device(r) => r.meta.as_ref(),
            Resource::Observation(r) => r.meta.as_ref(),
            Resource::Provenance(r) => r.meta.as_ref(),
            Resource::Consent(r) => r.meta.as_ref(),
            Resource::DiagnosticReport(r) => r.meta.as_ref(),
            Resource::DocumentReference(r) => r.meta.as_ref(),
            Resource::Bundle(r) => r.meta.as_ref(),
            Resource::OperationOutcome(r) => r.meta.as_ref(),
            Resource::Unknown => None,
        }
    }

    /// Mutable `meta`, created empty when absent (`None` only for
    /// [`Resource::Unknown`]).
    pub fn meta_mut(&mut self) -> Option<&mut Meta> {
        let meta = match self {
            Resource::Patient(r) => &mut r.meta,
            Resource::Device(r) => &mut r.meta,
            Resource::Observation(r) => &mut r.meta,
            Resource::Provenance(r) => &mut r.meta,
            Resource::Consent(r) => &mut r.meta,
            Resource::DiagnosticReport(r) => &mut r.meta,
            Resource::DocumentReference(r) => &mut r.meta,
            Resource::Bundle(r) => &mut r.meta,
            Resource::OperationOutcome(r) => &mut r.meta,
            Resource::Unknown => return None,
        };
        Some(meta.get_or_insert_with(Meta::default))
    }

    /// The `identifier` element (empty for types without one).
    pub fn identifiers(&self) -> &[Identifier] {
        match self {
            Resource::Patient(r) => &r.identifier,
            Resource::Device(r) => &r.identifier,
            Resource::Observation(r) => &r.identifier,
            Resource::Consent(r) => &r.identifier,
            Resource::DiagnosticReport(r) => &r.identifier,
            Resource::DocumentReference(r) => &r.identifier,
            Resource::Bundle(r) => r.identifier.as_slice(),
            Resource::Provenance(_) | Resource::OperationOutcome(_) | Resource::Unknown => &[],
        }
    }

    /// Mutable `identifier` element; `None` for types without one.
    pub fn identifiers_mut(&mut self) -> Option<&mut Vec<Identifier>> {
        match self {
            Resource::Patient(r) => Some(&mut r.identifier),
            Resource::Device(r) => Some(&mut r.identifier),
            Resource::Observation(r) => Some(&mut r.identifier),
            Resource::Consent(r) => Some(&mut r.identifier),
            Resource::DiagnosticReport(r) => Some(&mut r.identifier),
            Resource::DocumentReference(r) => Some(&mut r.identifier),
            Resource::Bundle(_)
            | Resource::Provenance(_)
            | Resource::OperationOutcome(_)
            | Resource::Unknown => None,
        }
    }

    /// Calls `visit` on every `Reference` in the resource (not inside
    /// bundles' entries).
    pub fn for_each_reference_mut(&mut self, visit: &mut dyn FnMut(&mut Reference)) {
        fn each<'a>(
            references: impl IntoIterator<Item = &'a mut Reference>,
            visit: &mut dyn FnMut(&mut Reference),
        ) {
            references.into_iter().for_each(visit);
        }
        match self {
            Resource::Patient(_) | Resource::Bundle(_) => {}
            Resource::OperationOutcome(_) | Resource::Unknown => {}
            Resource::Device(r) => each(r.patient.as_mut(), visit),
            Resource::Observation(r) => {
                each(r.subject.as_mut(), visit);
                each(r.device.as_mut(), visit);
                each(r.performer.iter_mut(), visit);
                each(r.derived_from.iter_mut(), visit);
                each(r.has_member.iter_mut(), visit);
            }
            Resource::Provenance(r) => {
                each(r.target.iter_mut(), visit);
                for agent in &mut r.agent {
                    each(agent.who.as_mut(), visit);
                    each(agent.on_behalf_of.as_mut(), visit);
                }
                for entity in &mut r.entity {
                    each(entity.what.as_mut(), visit);
                }
            }
            Resource::Consent(r) => {
                each(r.patient.as_mut(), visit);
                each(r.performer.iter_mut(), visit);
                each(r.organization.iter_mut(), visit);
                if let Some(provision) = &mut r.provision {
                    for actor in &mut provision.actor {
                        visit(&mut actor.reference);
                    }
                }
            }
            Resource::DiagnosticReport(r) => {
                each(r.subject.as_mut(), visit);
                each(r.performer.iter_mut(), visit);
                each(r.result.iter_mut(), visit);
            }
            Resource::DocumentReference(r) => {
                each(r.subject.as_mut(), visit);
                each(r.author.iter_mut(), visit);
                if let Some(context) = &mut r.context {
                    each(context.related.iter_mut(), visit);
                }
            }
        }
    }

    /// Calls `visit` on every `date`, `dateTime` and `instant` value in the
    /// resource (not inside bundles' entries), including `meta.lastUpdated`.
    pub fn for_each_date_mut(&mut self, visit: &mut dyn FnMut(&mut String)) {
        fn period(period: &mut Option<Period>, visit: &mut dyn FnMut(&mut String)) {
            if let Some(period) = period {
                period.start.iter_mut().for_each(&mut *visit);
                period.end.iter_mut().for_each(&mut *visit);
            }
        }
        fn notes(notes: &mut [Annotation], visit: &mut dyn FnMut(&mut String)) {
            for note in notes {
                note.time.iter_mut().for_each(&mut *visit);
            }
        }
        if let Some(meta) = self.meta_mut() {
            meta.last_updated.iter_mut().for_each(&mut *visit);
        }
        match self {
            Resource::Unknown | Resource::OperationOutcome(_) => {}
            Resource::Patient(r) => r.birth_date.iter_mut().for_each(visit),
            Resource::Device(r) => notes(&mut r.note, visit),
            Resource::Observation(r) => {
                r.effective_date_time.iter_mut().for_each(&mut *visit);
                period(&mut r.effective_period, visit);
                r.issued.iter_mut().for_each(&mut *visit);
                r.value_date_time.iter_mut().for_each(&mut *visit);
                for component in &mut r.component {
                    component.value_date_time.iter_mut().for_each(&mut *visit);
                }
                notes(&mut r.note, visit);
            }
            Resource::Provenance(r) => {
                period(&mut r.occurred_period, visit);
                r.occurred_date_time.iter_mut().for_each(&mut *visit);
                visit(&mut r.recorded);
            }
            Resource::Consent(r) => {
                r.date_time.iter_mut().for_each(&mut *visit);
                if let Some(provision) = &mut r.provision {
                    period(&mut provision.period, visit);
                    period(&mut provision.data_period, visit);
                }
            }
            Resource::DiagnosticReport(r) => {
                r.effective_date_time.iter_mut().for_each(&mut *visit);
                period(&mut r.effective_period, visit);
                r.issued.iter_mut().for_each(&mut *visit);
            }
            Resource::DocumentReference(r) => {
                r.date.iter_mut().for_each(&mut *visit);
                if let Some(context) = &mut r.context {
                    period(&mut context.period, visit);
                }
                for content in &mut r.content {
                    content.attachment.creation.iter_mut().for_each(&mut *visit);
                }
            }
            Resource::Bundle(r) => r.timestamp.iter_mut().for_each(visit),
        }
    }
}

/// `Patient`: the person the lifelog is about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct Patient {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata (profiles, tags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Narrative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Business identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Whether the record is in active use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    /// `male | female | other | unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Date of birth (a FHIR `date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

/// A name of a device (`Device.deviceName`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceName {
    /// The name.
    pub name: String,
    /// `udi-label-name | user-friendly-name | patient-reported-name |
    /// manufacturer-name | model-name | other`.
    #[serde(rename = "type")]
    pub type_: String,
}

/// A version of a device's hardware or software (`Device.version`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceVersion {
    /// What the version is of (e.g. firmware).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// The version text.
    pub value: String,
}

/// `Device`: a wearable or an import standing in for one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct Device {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Narrative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Business identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `active | inactive | entered-in-error | unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Manufacturer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Serial number (identifying: dropped by pseudonymisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Lot number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_number: Option<String>,
    /// Names (the user-given label is free text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_name: Vec<DeviceName>,
    /// Model number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_number: Option<String>,
    /// Kind of device.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Hardware and software versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub version: Vec<DeviceVersion>,
    /// Whom the device is affixed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<Reference>,
    /// Notes (free text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
}

/// A component of an observation (`Observation.component`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationComponent {
    /// What the component is.
    pub code: CodeableConcept,
    /// Value as a quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_quantity: Option<Quantity>,
    /// Value as a concept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<CodeableConcept>,
    /// Value as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    /// Value as a boolean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    /// Value as an integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    /// Value as a time of day (`hh:mm:ss`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_time: Option<String>,
    /// Value as a date-time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date_time: Option<String>,
    /// Value as a sampled series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_sampled_data: Option<SampledData>,
    /// Why the value is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_absent_reason: Option<CodeableConcept>,
}

/// `Observation`: one measured or derived value (with components).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct Observation {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata (profiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Narrative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Business identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `registered | preliminary | final | amended | ...`.
    pub status: String,
    /// Classification (activity, social-history, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// What was observed.
    pub code: CodeableConcept,
    /// Whom it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Clinically relevant time, as a point (or a whole `date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date_time: Option<String>,
    /// Clinically relevant time, as a period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_period: Option<Period>,
    /// When this version was made available (an `instant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// Who is responsible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    /// Value as a quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_quantity: Option<Quantity>,
    /// Value as a concept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<CodeableConcept>,
    /// Value as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    /// Value as a boolean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
    /// Value as an integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    /// Value as a date-time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date_time: Option<String>,
    /// Value as a sampled series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_sampled_data: Option<SampledData>,
    /// Why the value is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_absent_reason: Option<CodeableConcept>,
    /// Comments (free text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    /// How it was obtained (scoring algorithm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<CodeableConcept>,
    /// The measuring device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Reference>,
    /// Related measurements that make up this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub has_member: Vec<Reference>,
    /// Measurements this one was derived from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derived_from: Vec<Reference>,
    /// Component results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub component: Vec<ObservationComponent>,
}

/// An actor in a provenance record (`Provenance.agent`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceAgent {
    /// How the agent participated.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Who participated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<Reference>,
    /// Whom the agent acted for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<Reference>,
}

/// An input to the activity (`Provenance.entity`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenanceEntity {
    /// `derivation | revision | quotation | source | removal`.
    pub role: String,
    /// The input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<Reference>,
}

/// `Provenance`: who made which resources, when and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct Provenance {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata; the stable identity is a `meta.tag` (Provenance has no
    /// `identifier` element).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Narrative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// The resources this record is about.
    pub target: Vec<Reference>,
    /// When the activity occurred, as a period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_period: Option<Period>,
    /// When the activity occurred, as a point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_date_time: Option<String>,
    /// When the record was made (an `instant`).
    pub recorded: String,
    /// What was done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<CodeableConcept>,
    /// Who took part.
    pub agent: Vec<ProvenanceAgent>,
    /// Inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity: Vec<ProvenanceEntity>,
}

/// A policy a consent refers to (`Consent.policy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentPolicy {
    /// Enforcing authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// The policy's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// Who a consent provision applies to (`Consent.provision.actor`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentActor {
    /// How the actor is involved.
    pub role: CodeableConcept,
    /// The actor.
    pub reference: Reference,
}

/// The rule of a consent (`Consent.provision`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentProvision {
    /// `deny | permit`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// When the provision is in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Who it applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actor: Vec<ConsentActor>,
    /// Actions controlled (access, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action: Vec<CodeableConcept>,
    /// Purposes of use allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purpose: Vec<Coding>,
    /// Kinds of data covered (classes of resources).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class: Vec<Coding>,
    /// Time span of the data covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_period: Option<Period>,
}

/// `Consent`: the owner's permission to share data with a recipient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct Consent {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Narrative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Business identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `draft | proposed | active | rejected | inactive | entered-in-error`.
    pub status: String,
    /// Which of the four areas this consent covers.
    pub scope: CodeableConcept,
    /// Classification.
    pub category: Vec<CodeableConcept>,
    /// Whose data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<Reference>,
    /// When it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    /// Who gave it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    /// Custodian.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organization: Vec<Reference>,
    /// Policies referred to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<ConsentPolicy>,
    /// A computable policy code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_rule: Option<CodeableConcept>,
    /// The rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<ConsentProvision>,
}

/// `DiagnosticReport`: a summary grouping observations over a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct DiagnosticReport {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Narrative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Business identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `registered | partial | preliminary | final | ...`.
    pub status: String,
    /// Service category.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// Name of the report.
    pub code: CodeableConcept,
    /// Whom it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// Time covered, as a point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date_time: Option<String>,
    /// Time covered, as a period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_period: Option<Period>,
    /// When made available (an `instant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// Responsible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    /// The observations reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub result: Vec<Reference>,
    /// Clinical conclusion (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
}

/// A document's content (`DocumentReference.content`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentContent {
    /// Where to access the document.
    pub attachment: Attachment,
    /// Format or content rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Coding>,
}

/// Clinical context of a document (`DocumentReference.context`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentContext {
    /// Time of service documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Related resources (e.g. the DiagnosticReport).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Reference>,
}

/// `DocumentReference`: a rendered report (PDF, CSV) and its metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct DocumentReference {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Narrative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// Business identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `current | superseded | entered-in-error`.
    pub status: String,
    /// Kind of document.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    /// Categorisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// Whom it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// When this reference was created (an `instant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Who wrote the document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<Reference>,
    /// Human-readable description (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The document itself.
    pub content: Vec<DocumentContent>,
    /// Clinical context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<DocumentContext>,
}

/// One problem reported by a server (`OperationOutcome.issue`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationOutcomeIssue {
    /// `fatal | error | warning | information`.
    pub severity: String,
    /// Error or warning code (`invalid`, `not-found`, ...).
    pub code: String,
    /// Additional details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    /// Diagnostic text for the developer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    /// Deprecated XPath locations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<String>,
    /// FHIRPath of the offending elements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

impl OperationOutcomeIssue {
    /// `severity code: text (at expression)`, for people.
    pub fn describe(&self) -> String {
        let text =
            self.details
                .as_ref()
                .and_then(|details| {
                    details.text.clone().or_else(|| {
                        details.coding.iter().find_map(|coding| {
                            coding.display.clone().or_else(|| coding.code.clone())
                        })
                    })
                })
                .or_else(|| self.diagnostics.clone())
                .unwrap_or_else(|| "(no details)".to_string());
        let place = if self.expression.is_empty() {
            self.location.join(", ")
        } else {
            self.expression.join(", ")
        };
        if place.is_empty() {
            format!("{} {}: {}", self.severity, self.code, text)
        } else {
            format!("{} {}: {} (at {})", self.severity, self.code, text, place)
        }
    }
}

/// `OperationOutcome`: a server's errors and warnings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType")]
pub struct OperationOutcome {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Narrative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// The problems.
    #[serde(default)]
    pub issue: Vec<OperationOutcomeIssue>,
}

impl OperationOutcome {
    /// True if any issue is `error` or `fatal`.
    pub fn has_errors(&self) -> bool {
        self.issue
            .iter()
            .any(|issue| issue.severity == "error" || issue.severity == "fatal")
    }

    /// One line per issue, for people.
    pub fn describe(&self) -> String {
        self.issue
            .iter()
            .map(OperationOutcomeIssue::describe)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// How a bundle is meant to be used (`Bundle.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BundleType {
    /// A document (first entry a Composition).
    Document,
    /// A message.
    Message,
    /// A transaction to process atomically.
    Transaction,
    /// A server's reply to a transaction.
    TransactionResponse,
    /// A batch of independent requests.
    Batch,
    /// A server's reply to a batch.
    BatchResponse,
    /// History of resources.
    History,
    /// Search results.
    Searchset,
    /// A set of resources with no processing rules.
    Collection,
}

/// A link to related pages of a bundle (`Bundle.link`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleLink {
    /// `self`, `next`, ...
    pub relation: String,
    /// The URL.
    pub url: String,
}

/// Search information of an entry (`Bundle.entry.search`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BundleEntrySearch {
    /// `match | include | outcome`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Search ranking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Decimal>,
}

/// The request of a transaction entry (`Bundle.entry.request`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntryRequest {
    /// `GET | HEAD | POST | PUT | DELETE | PATCH`.
    pub method: String,
    /// URL relative to the base (`Observation`).
    pub url: String,
    /// Conditional create: a search that, if it matches, makes the POST a
    /// no-op (e.g. `identifier=system|value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_none_exist: Option<String>,
    /// Conditional update on version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
}

/// The result of a transaction entry (`Bundle.entry.response`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntryResponse {
    /// HTTP status, e.g. `201 Created` or `201`.
    pub status: String,
    /// Where the resource is (`Observation/123/_history/1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Version tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// When the server last changed the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Issues with this entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Box<Resource>>,
}

/// An entry of a bundle (`Bundle.entry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// Absolute URL or `urn:uuid:` the resource is known by in the bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    /// The resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Search information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<BundleEntrySearch>,
    /// Transaction request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<BundleEntryRequest>,
    /// Transaction response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<BundleEntryResponse>,
}

/// `Bundle`: a container of resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "resourceType")]
pub struct Bundle {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Persistent identifier (one, unlike other resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// What the bundle is for.
    #[serde(rename = "type")]
    pub type_: BundleType,
    /// When assembled (an `instant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Number of matches (search results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Links (paging).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    /// The entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

impl Bundle {
    /// An empty bundle of `type_`.
    pub fn new(type_: BundleType) -> Self {
        Bundle {
            id: None,
            meta: None,
            identifier: None,
            type_,
            timestamp: None,
            total: None,
            link: Vec::new(),
            entry: Vec::new(),
        }
    }

    /// The resources of the entries, in order.
    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.entry
            .iter()
            .filter_map(|entry| entry.resource.as_ref())
    }

    /// The `next` page link of a search result, if any.
    pub fn next_link(&self) -> Option<&str> {
        self.link
            .iter()
            .find(|link| link.relation == "next")
            .map(|link| link.url.as_str())
    }
}
