//! Transaction bundles that are safe to resend, split to a bounded size; a
//! collection bundle; and "localised" resources (ids and `Type/id`
//! references) for files.

use crate::ids::StableId;
use crate::mapping::{provenance, stable_id_of, ExportContext};
use crate::resources::{Bundle, BundleEntry, BundleEntryRequest, BundleType, Resource};
use crate::{FhirError, IDENTIFIER_SYSTEM};
use std::collections::{BTreeMap, BTreeSet};

/// How to build transaction bundles.
#[derive(Debug, Clone, Copy)]
pub struct TransactionOptions<'a> {
    /// Most entries in one bundle, shared entries and Provenance included
    /// (servers cap transactions; 100 to 500 is common).
    pub max_entries: usize,
    /// If set, each bundle gets a Provenance (see [`crate::provenance`])
    /// for the resources it carries, made with this context.
    pub provenance: Option<&'a ExportContext>,
}

impl Default for TransactionOptions<'_> {
    fn default() -> Self {
        TransactionOptions {
            max_entries: 100,
            provenance: None,
        }
    }
}

/// The search that finds a resource by its stable identity.
fn conditional_search(resource: &Resource, id: &StableId) -> String {
    match resource {
        Resource::Provenance(_) => format!("_tag={}|{}", IDENTIFIER_SYSTEM, id.value()),
        _ => id.if_none_exist(),
    }
}

fn identity(resource: &Resource) -> Result<StableId, FhirError> {
    stable_id_of(resource).ok_or(FhirError::InvalidInput {
        what: "bundle entry",
        reason: format!(
            "a {} without a stable identifier (make resources with this crate)",
            resource.resource_type()
        ),
    })
}

/// `urn:uuid:` references a resource makes.
fn urn_references(resource: &Resource) -> Vec<String> {
    let mut resource = resource.clone();
    let mut found = Vec::new();
    resource.for_each_reference_mut(&mut |reference| {
        if let Some(target) = &reference.reference {
            if target.starts_with("urn:uuid:") {
                found.push(target.clone());
            }
        }
    });
    found
}

fn post_entry(resource: &Resource) -> Result<BundleEntry, FhirError> {
    let id = identity(resource)?;
    let mut resource = resource.clone();
    resource.set_id(None);
    Ok(BundleEntry {
        full_url: Some(id.urn()),
        request: Some(BundleEntryRequest {
            method: "POST".to_string(),
            url: resource.resource_type().to_string(),
            if_none_exist: Some(conditional_search(&resource, &id)),
            if_match: None,
        }),
        resource: Some(resource),
        search: None,
        response: None,
    })
}

/// Transaction bundles that create `resources` unless they exist: one POST
/// per resource with `fullUrl` = its `urn:uuid:` and
/// `ifNoneExist: identifier=<system>|<value>` (`_tag=` for Provenance), so
/// sending a bundle twice creates nothing the second time.
///
/// Bundles hold at most `options.max_entries` entries. `shared` resources
/// (the Patient and Devices) are repeated, as conditional creates, in every
/// bundle so that each bundle's references resolve on its own. A resource
/// that references another non-shared resource (a DiagnosticReport and its
/// results) is kept in the same bundle as it. Every `urn:uuid:` reference
/// must resolve within the selection, otherwise this is an error (a
/// forgotten Device, say). Output is deterministic.
pub fn transaction_bundles(
    shared: &[Resource],
    resources: &[Resource],
    options: &TransactionOptions<'_>,
) -> Result<Vec<Bundle>, FhirError> {
    let n_shared = shared.len() + usize::from(options.provenance.is_some());
    let capacity = options.max_entries.saturating_sub(n_shared);
    if capacity == 0 {
        return Err(FhirError::BundleTooSmall {
            max_entries: options.max_entries,
            shared: n_shared,
        });
    }
    let shared_urns: BTreeSet<String> = shared
        .iter()
        .map(|resource| identity(resource).map(|id| id.urn()))
        .collect::<Result<_, _>>()?;
    let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
    for (index, resource) in resources.iter().enumerate() {
        let urn = identity(resource)?.urn();
        if shared_urns.contains(&urn) {
            return Err(FhirError::InvalidInput {
                what: "bundle selection",
                reason: format!("{urn} is both shared and selected"),
            });
        }
        index_of.insert(urn, index);
    }

    // Group resources that reference each other (union-find by index).
    let mut parent: Vec<usize> = (0..resources.len()).collect();
    fn root(parent: &mut [usize], mut index: usize) -> usize {
        while parent[index] != index {
            parent[index] = parent[parent[index]];
            index = parent[index];
        }
        index
    }
    for resource in shared {
        for target in urn_references(resource) {
            if !shared_urns.contains(&target) {
                return Err(unresolved(resource, &target));
            }
        }
    }
    for (index, resource) in resources.iter().enumerate() {
        for target in urn_references(resource) {
            if shared_urns.contains(&target) {
                continue;
            }
            let Some(&other) = index_of.get(&target) else {
                return Err(unresolved(resource, &target));
            };
            let (a, b) = (root(&mut parent, index), root(&mut parent, other));
            parent[a.max(b)] = a.min(b);
        }
    }
    // Groups in order of their first member.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for index in 0..resources.len() {
        let group = root(&mut parent, index);
        groups.entry(group).or_default().push(index);
    }

    // Pack groups into bundles in order, starting a new bundle when full.
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for members in groups.into_values() {
        if members.len() > capacity {
            return Err(FhirError::InvalidInput {
                what: "bundle selection",
                reason: format!(
                    "a {} and the resources it references need {} entries, more than the {} a bundle has room for",
                    resources[members[0]].resource_type(),
                    members.len(),
                    capacity
                ),
            });
        }
        if current.len() + members.len() > capacity {
            chunks.push(std::mem::take(&mut current));
        }
        current.extend(members);
    }
    if !current.is_empty() {
        chunks.push(current);
    }

    let mut bundles = Vec::with_capacity(chunks.len());
    for mut chunk in chunks {
        chunk.sort_unstable();
        let members: Vec<Resource> = chunk
            .iter()
            .map(|&index| resources[index].clone())
            .collect();
        let mut bundle = Bundle::new(BundleType::Transaction);
        for resource in shared.iter().chain(&members) {
            bundle.entry.push(post_entry(resource)?);
        }
        if let Some(context) = options.provenance {
            let record = Resource::from(provenance(context, &members)?);
            bundle.entry.push(post_entry(&record)?);
        }
        bundles.push(bundle);
    }
    Ok(bundles)
}

fn unresolved(resource: &Resource, target: &str) -> FhirError {
    FhirError::InvalidInput {
        what: "bundle reference",
        reason: format!(
            "a {} refers to {target}, which is not in the selection",
            resource.resource_type()
        ),
    }
}

/// A `collection` bundle of `resources` (e.g. to hand over as one file):
/// `fullUrl` = each resource's `urn:uuid:`, references unchanged (they
/// resolve within the bundle), `timestamp` as given and an identifier
/// hashed from the members.
pub fn collection_bundle(resources: &[Resource], timestamp: &str) -> Result<Bundle, FhirError> {
    let mut bundle = Bundle::new(BundleType::Collection);
    let mut member_ids = Vec::with_capacity(resources.len());
    for resource in resources {
        let id = identity(resource)?;
        let mut resource = resource.clone();
        resource.set_id(Some(id.uuid()));
        bundle.entry.push(BundleEntry {
            full_url: Some(id.urn()),
            resource: Some(resource),
            ..BundleEntry::default()
        });
        member_ids.push(id.value().to_string());
    }
    member_ids.sort();
    let parts: Vec<&str> = member_ids.iter().map(String::as_str).collect();
    bundle.identifier = Some(StableId::derive("", "collection", &parts).identifier());
    bundle.timestamp = Some(timestamp.to_string());
    Ok(bundle)
}

/// Resources as they are stored as files (Bulk Data NDJSON): each gets its
/// UUID as logical `id`, and `urn:uuid:` references to resources in the set
/// become `Type/id`. References to resources outside the set are left as
/// they are.
pub fn localise(resources: &[Resource]) -> Result<Vec<Resource>, FhirError> {
    let mut local: BTreeMap<String, (String, String)> = BTreeMap::new();
    for resource in resources {
        let id = identity(resource)?;
        local.insert(id.urn(), (resource.resource_type().to_string(), id.uuid()));
    }
    let mut out = Vec::with_capacity(resources.len());
    for resource in resources {
        let id = identity(resource)?;
        let mut resource = resource.clone();
        resource.set_id(Some(id.uuid()));
        resource.for_each_reference_mut(&mut |reference| {
            let target = reference.reference.as_ref().and_then(|urn| local.get(urn));
            if let Some((type_, uuid)) = target {
                reference.reference = Some(format!("{type_}/{uuid}"));
            }
        });
        out.push(resource);
    }
    Ok(out)
}
