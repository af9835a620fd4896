//! Bulk Data layout: one NDJSON file per resource type.

use crate::bundle::localise;
use crate::resources::Resource;
use crate::FhirError;
use std::collections::BTreeMap;

/// The resources as Bulk Data export files: `(file name, content)` pairs,
/// one per resource type present (`Device.ndjson`, `Observation.ndjson`,
/// `Patient.ndjson`, ... in name order), one compact JSON resource per line,
/// each line ending in `\n`. Resources are [`localise`]d first (UUID ids,
/// `Type/id` references), as files have no bundle to resolve `urn:uuid:`.
pub fn ndjson_files(resources: &[Resource]) -> Result<Vec<(String, String)>, FhirError> {
    let mut files: BTreeMap<&'static str, String> = BTreeMap::new();
    for resource in localise(resources)? {
        let line = serde_json::to_string(&resource)?;
        let content = files.entry(resource.resource_type()).or_default();
        content.push_str(&line);
        content.push('\n');
    }
    Ok(files
        .into_iter()
        .map(|(type_, content)| (format!("{type_}.ndjson"), content))
        .collect())
}
