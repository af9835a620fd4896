#!/usr/bin/env node
// Validates FHIR R4 JSON resources with two independent validators:
//   - @medplum/core validateResource: structure, cardinality, unknown
//     properties, primitive formats (dates, ids, ...);
//   - fhir (FHIR.js): required code bindings (e.g. Observation.status),
//     cardinality, unexpected properties.
// Usage: node --experimental-websocket validate.mjs FILE...
//   FILE is a .json resource (a Bundle's entries are validated too) or a
//   .ndjson file (one resource per line). Exits 1 listing every problem,
//   0 when all resources pass both; prints a one-line summary.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { validateResource } from '@medplum/core';
import { loadR4 } from './definitions.mjs';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');

loadR4();
const fhirJs = new Fhir();

function describeMedplum(issue) {
  const where = (issue.expression ?? []).join(', ');
  const text = issue.details?.text ?? issue.diagnostics ?? issue.code;
  return `medplum ${issue.severity}: ${text}${where ? ` (at ${where})` : ''}`;
}

function check(resource, label) {
  const problems = [];
  try {
    for (const issue of validateResource(resource)) {
      if (issue.severity === 'error' || issue.severity === 'fatal') problems.push(describeMedplum(issue));
    }
  } catch (err) {
    const issues = err?.outcome?.issue;
    if (issues?.length) problems.push(...issues.map(describeMedplum));
    else problems.push(`medplum: ${err?.message ?? err}`);
  }
  try {
    const result = fhirJs.validate(resource, { errorOnUnexpected: true });
    for (const message of result.messages ?? []) {
      if (message.severity === 'error') problems.push(`fhir.js error: ${message.message} (at ${message.location})`);
    }
  } catch (err) {
    problems.push(`fhir.js: ${err?.message ?? err}`);
  }
  return problems.map((problem) => `${label}: ${problem}`);
}

function resourcesOf(path) {
  const text = readFileSync(path, 'utf8');
  const name = basename(path);
  if (path.endsWith('.ndjson')) {
    return text
      .split('\n')
      .map((line, index) => [line, index])
      .filter(([line]) => line.trim() !== '')
      .map(([line, index]) => [JSON.parse(line), `${name}:${index + 1}`]);
  }
  return [[JSON.parse(text), name]];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: validate.mjs FILE.json|FILE.ndjson ...');
  process.exit(2);
}
const problems = [];
let count = 0;
for (const file of files) {
  let resources;
  try {
    resources = resourcesOf(file);
  } catch (err) {
    problems.push(`${file}: cannot read: ${err.message}`);
    continue;
  }
  for (const [resource, label] of resources) {
    count += 1;
    problems.push(...check(resource, `${label} ${resource.resourceType ?? '?'}`));
  }
}
if (problems.length > 0) {
  for (const problem of problems) console.log(problem);
  console.log(`${problems.length} problem(s) in ${count} resource(s)`);
  process.exit(1);
}
console.log(`ok: ${count} resource(s) valid`);
