//! Integration tests of `phr-fhir`: snapshots of every mapped resource,
//! bundles, pseudonymisation, NDJSON, and (with Node) the validators and the
//! in-memory test server under `tests/fhir-server/`.

mod bundles;
mod docs;
mod fixtures;
mod node;
mod pseudonymised;
mod server;
mod snapshots;
mod validate;
