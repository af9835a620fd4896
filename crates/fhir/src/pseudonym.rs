//! Pseudonymised research export: the same resources with the person
//! replaced by a keyed pseudonym, every date moved by a secret whole number
//! of days, and free text dropped. Pure: the secret is an argument.
//!
//! What stays: values, codes, units, time of day and UTC offset (sleep and
//! activity research needs local clock time), durations and intervals
//! between events (all dates move by the same offset), the scoring method.

use crate::ids::{hex, StableId};
use crate::mapping::stable_id_of;
use crate::resources::Resource;
use crate::{FhirError, Identifier, IDENTIFIER_SYSTEM, PSEUDONYM_SYSTEM};
use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat};
use ring::hmac;
use std::collections::BTreeMap;

/// Minimum secret length in bytes.
const MIN_SECRET_LEN: usize = 16;
/// Largest date shift [`PseudonymKey::derive`] picks, in days.
const MAX_DERIVED_SHIFT_DAYS: u32 = 365;

/// A recipient's pseudonymisation key: an HMAC-SHA256 secret and a whole-day
/// date offset. Keep one per recipient (study) so two recipients cannot
/// link their data; never send it with the export.
#[derive(Clone)]
pub struct PseudonymKey {
    key: hmac::Key,
    day_offset: i64,
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

impl PseudonymKey {
    /// A key with an explicit date offset in days (may be negative).
    pub fn new(secret: &[u8], day_offset: i32) -> Result<Self, FhirError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(FhirError::WeakSecret);
        }
        Ok(PseudonymKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            day_offset: i64::from(day_offset),
        })
    }

    /// A key whose date offset is derived from the secret itself: a non-zero
    /// shift between -365 and +365 days, so one stored secret is enough.
    pub fn derive(secret: &[u8]) -> Result<Self, FhirError> {
        let mut key = PseudonymKey::new(secret, 0)?;
        let tag = hmac::sign(&key.key, b"phr-fhir/date-shift/v1");
        let mut first = [0_u8; 4];
        first.copy_from_slice(&tag.as_ref()[..4]);
        let draw = u32::from_be_bytes(first) % (2 * MAX_DERIVED_SHIFT_DAYS);
        // 0..730 -> -365..-1 and 1..365.
        let shift = i64::from(draw) - i64::from(MAX_DERIVED_SHIFT_DAYS);
        key.day_offset = if shift >= 0 { shift + 1 } else { shift };
        Ok(key)
    }

    /// The date shift in days.
    pub fn day_offset(&self) -> i64 {
        self.day_offset
    }

    /// The research pseudonym of a person: hex HMAC-SHA256(secret, person
    /// key).
    pub fn pseudonym(&self, person_key: &str) -> String {
        hex(hmac::sign(&self.key, person_key.as_bytes()).as_ref())
    }

    /// A keyed replacement for an identifier value or reference (32 hex).
    fn rekey(&self, domain: &str, value: &str) -> StableId {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(domain.as_bytes());
        context.update(&[0]);
        context.update(value.as_bytes());
        let mut out = hex(context.sign().as_ref());
        out.truncate(32);
        StableId::from_value(&out)
    }

    /// Moves a FHIR `date`, `dateTime` or `instant` by the offset, keeping
    /// its precision, time of day and UTC offset.
    pub fn shift_date(&self, value: &str) -> Result<String, FhirError> {
        let bad = || FhirError::BadDate(value.to_string());
        let days = Duration::days(self.day_offset);
        let shift = |date: NaiveDate| date.checked_add_signed(days).ok_or_else(bad);
        match value.len() {
            4 => {
                let year: i32 = value.parse().map_err(|_| bad())?;
                let middle = NaiveDate::from_ymd_opt(year, 7, 1).ok_or_else(bad)?;
                Ok(format!("{:04}", shift(middle)?.year()))
            }
            7 => {
                let first = NaiveDate::parse_from_str(&format!("{value}-15"), "%Y-%m-%d")
                    .map_err(|_| bad())?;
                Ok(shift(first)?.format("%Y-%m").to_string())
            }
            10 => {
                let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| bad())?;
                Ok(shift(date)?.format("%Y-%m-%d").to_string())
            }
            _ => {
                let moment = DateTime::parse_from_rfc3339(value).map_err(|_| bad())?;
                let moved = moment.checked_add_signed(days).ok_or_else(bad)?;
                let format = if moment.timestamp_subsec_nanos() == 0 {
                    SecondsFormat::Secs
                } else {
                    SecondsFormat::AutoSi
                };
                Ok(moved.to_rfc3339_opts(format, value.ends_with('Z')))
            }
        }
    }
}

/// Pseudonymises `resources` (made by this crate for the person known by
/// `person_key`) for the recipient holding `key`:
///
/// * the Patient's identifiers become one: `PSEUDONYM_SYSTEM` |
///   HMAC-SHA256(secret, person key); its name, telecom-like free text and
///   narrative go; its birth date moves like every other date;
/// * every other identifier value, `urn:uuid:`, logical id and reference is
///   replaced by a keyed hash of the original, so the export cannot be
///   joined with a clinic export of the same data;
/// * every date, dateTime and instant moves by the key's whole-day offset;
/// * free text goes: narratives, notes, reference displays, device names,
///   serial and lot numbers, report conclusions; DocumentReferences (whose
///   attachments are rendered reports with names in them) are left out.
pub fn pseudonymise(
    resources: &[Resource],
    person_key: &str,
    key: &PseudonymKey,
) -> Result<Vec<Resource>, FhirError> {
    if person_key.is_empty() {
        return Err(FhirError::EmptyPersonKey);
    }
    // Old urn / uuid -> new, for every identity we know.
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let patient = StableId::derive(person_key, "patient", &[]);
    let mut known = vec![patient];
    known.extend(resources.iter().filter_map(stable_id_of));
    for old in &known {
        let new = key.rekey("resource-id", old.value());
        renamed.insert(old.urn(), new.urn());
        renamed.insert(old.uuid(), new.uuid());
    }
    let rename = |value: &str| -> String {
        if let Some(new) = renamed.get(value) {
            return new.clone();
        }
        // `Type/uuid` references.
        if let Some((type_, id)) = value.split_once('/') {
            if let Some(new) = renamed.get(id) {
                return format!("{type_}/{new}");
            }
        }
        key.rekey("reference", value).urn()
    };

    let mut out = Vec::with_capacity(resources.len());
    for resource in resources {
        if matches!(resource, Resource::DocumentReference(_)) {
            continue;
        }
        let mut resource = resource.clone();
        let new_id = stable_id_of(&resource).map(|old| key.rekey("resource-id", old.value()));
        strip_free_text(&mut resource);
        if let Some(id) = resource.id().map(str::to_string) {
            resource.set_id(Some(rename(&id)));
        }
        if let Some(meta) = resource.meta_mut() {
            meta.version_id = None;
            meta.tag
                .retain(|tag| tag.system.as_deref() != Some(IDENTIFIER_SYSTEM));
            if let (Resource::Provenance(_), Some(id)) = (&resource, &new_id) {
                // Provenance keeps its identity in a tag.
                if let Some(meta) = resource.meta_mut() {
                    meta.tag.push(crate::Coding {
                        system: Some(IDENTIFIER_SYSTEM.to_string()),
                        version: None,
                        code: Some(id.value().to_string()),
                        display: None,
                    });
                }
            }
        }
        let is_patient = matches!(resource, Resource::Patient(_));
        if let Some(identifiers) = resource.identifiers_mut() {
            identifiers.clear();
            if is_patient {
                identifiers.push(Identifier::new(
                    PSEUDONYM_SYSTEM,
                    &key.pseudonym(person_key),
                ));
            }
            if let Some(id) = &new_id {
                identifiers.push(id.identifier());
            }
        }
        resource.for_each_reference_mut(&mut |reference| {
            reference.display = None;
            if let Some(target) = &reference.reference {
                reference.reference = Some(rename(target));
            }
            if let Some(identifier) = &reference.identifier {
                // Logical references to our own resources are rekeyed; a
                // recipient's own identifier (Consent actor) is kept.
                if identifier.system.as_deref() == Some(IDENTIFIER_SYSTEM) {
                    let old = identifier.value.as_deref().unwrap_or("");
                    reference.identifier = Some(key.rekey("resource-id", old).identifier());
                }
            }
        });
        let mut failure = None;
        resource.for_each_date_mut(&mut |value| match key.shift_date(value) {
            Ok(shifted) => *value = shifted,
            Err(error) => failure = Some(error),
        });
        if let Some(error) = failure {
            return Err(error);
        }
        out.push(resource);
    }
    Ok(out)
}

/// Drops free text and identifying device data.
fn strip_free_text(resource: &mut Resource) {
    match resource {
        Resource::Patient(patient) => {
            patient.text = None;
            patient.name.clear();
        }
        Resource::Device(device) => {
            device.text = None;
            device.serial_number = None;
            device.lot_number = None;
            device.device_name.clear();
            device.note.clear();
        }
        Resource::Observation(observation) => {
            observation.text = None;
            observation.note.clear();
        }
        Resource::Provenance(provenance) => provenance.text = None,
        Resource::Consent(consent) => consent.text = None,
        Resource::DiagnosticReport(report) => {
            report.text = None;
            report.conclusion = None;
        }
        Resource::DocumentReference(document) => {
            document.text = None;
            document.description = None;
            for content in &mut document.content {
                content.attachment.title = None;
                content.attachment.data = None;
                content.attachment.url = None;
                content.attachment.hash = None;
            }
        }
        Resource::Bundle(_) | Resource::OperationOutcome(_) | Resource::Unknown => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"recipient-secret-0123456789";

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(
            PseudonymKey::new(b"short", 3),
            Err(FhirError::WeakSecret)
        ));
    }

    #[test]
    fn derived_offset_is_nonzero_and_bounded() {
        for n in 0..50_u8 {
            let mut secret = SECRET.to_vec();
            secret.push(n);
            let key = PseudonymKey::derive(&secret).expect("key");
            let days = key.day_offset();
            assert!(days != 0 && days.abs() <= 365, "{days}");
        }
    }

    #[test]
    fn shifting_keeps_precision_time_and_offset() {
        let key = PseudonymKey::new(SECRET, -10).expect("key");
        let check = |input: &str, expected: &str| {
            assert_eq!(key.shift_date(input).expect(input), expected, "{input}");
        };
        check("2026-03-01", "2026-02-19");
        check("2026-03-01T07:30:00+09:00", "2026-02-19T07:30:00+09:00");
        check("2026-03-01T07:30:00Z", "2026-02-19T07:30:00Z");
        check(
            "2026-03-01T07:30:00.250+09:00",
            "2026-02-19T07:30:00.250+09:00",
        );
        check("2026-03", "2026-03");
        check("1950", "1950");
        assert!(key.shift_date("yesterday").is_err());
    }

    #[test]
    fn pseudonym_is_keyed() {
        let a = PseudonymKey::new(SECRET, 1).expect("key");
        let b = PseudonymKey::new(b"another-recipient-secret", 1).expect("key");
        assert_eq!(a.pseudonym("p1"), a.pseudonym("p1"));
        assert_ne!(a.pseudonym("p1"), b.pseudonym("p1"));
        assert_eq!(a.pseudonym("p1").len(), 64);
    }
}
