#!/usr/bin/env node
// A tiny in-memory FHIR R4 server for integration tests: Medplum's
// fhir-router over its MemoryRepository, behind node:http on loopback.
//
// Usage: node --experimental-websocket server.mjs [--port N] [--token T]
//          [--client-id ID] [--client-jwks FILE] [--fail-next N]
//          [--fail-status 500|429|503]
//   --port N        port on 127.0.0.1 (also PORT env); 0 = any free port.
//                   The chosen port is printed alone on stdout's first line.
//   --token T       FHIR requests need "Authorization: Bearer T" (else 401);
//                   /auth/token hands out T.
//   --client-id ID  the SMART backend client allowed at /auth/token.
//   --client-jwks F JWKS (JSON) with the client's public keys; when given,
//                   the client_assertion's RS384/ES384 signature is verified.
//   --fail-next N   the next N FHIR requests fail with --fail-status (500 by
//                   default; 429 and 503 carry Retry-After: 1) and an
//                   OperationOutcome. POST /_test/fail?count=N&status=S arms
//                   it at run time; POST /_test/reset empties the store.
// Routes: GET /metadata, GET /.well-known/smart-configuration,
//   POST /auth/token, POST / (batch/transaction Bundle, honouring
//   ifNoneExist), POST /<Type> (If-None-Exist header), GET /<Type>?<search>,
//   GET /<Type>/<id>, PUT /<Type>/<id>, DELETE /<Type>/<id>.
//   POST /_test/expire-tokens forgets every issued access token (with
//   --client-id, FHIR requests need a token from /auth/token).
import { createServer } from 'node:http';
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getStatus } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import { loadR4 } from './definitions.mjs';

function parseArgs(argv) {
  const options = {
    port: Number(process.env.PORT ?? 0),
    token: undefined,
    clientId: undefined,
    clientJwks: undefined,
    failNext: 0,
    failStatus: 500,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--port') options.port = Number(value());
    else if (arg === '--token') options.token = value();
    else if (arg === '--client-id') options.clientId = value();
    else if (arg === '--client-jwks') options.clientJwks = JSON.parse(readFileSync(value(), 'utf8'));
    else if (arg === '--fail-next') options.failNext = Number(value());
    else if (arg === '--fail-status') options.failStatus = Number(value());
    else if (/^\d+$/.test(arg)) options.port = Number(arg);
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`bad port ${options.port}`);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
loadR4();
let repo = new MemoryRepository();
const router = new FhirRouter();
let failures = { count: options.failNext, status: options.failStatus };
let baseUrl = '';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function outcome(severity, code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text } }] };
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': FHIR_JSON, ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function capabilityStatement() {
  const types = ['Patient', 'Device', 'Observation', 'Provenance', 'Consent', 'DiagnosticReport', 'DocumentReference'];
  const security = options.token
    ? {
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
        extension: [
          {
            url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
            extension: [{ url: 'token', valueUri: `${baseUrl}/auth/token` }],
          },
        ],
      }
    : undefined;
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    software: { name: 'phr-fhir test server (Medplum fhir-router, in memory)' },
    implementation: { description: 'test server', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security,
        resource: types.map((type) => ({
          type,
          interaction: ['read', 'create', 'update', 'delete', 'search-type'].map((code) => ({ code })),
          conditionalCreate: true,
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}

function smartConfiguration() {
  return {
    issuer: baseUrl,
    token_endpoint: `${baseUrl}/auth/token`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: ['system/*.rs', 'system/*.cruds', 'system/Observation.cruds', 'system/Patient.cruds'],
    capabilities: ['client-confidential-asymmetric', 'permission-v2'],
  };
}

// --- SMART Backend Services: client_credentials + private_key_jwt ----------

function base64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

function checkAssertion(assertion) {
  const parts = String(assertion ?? '').split('.');
  if (parts.length !== 3) return 'client_assertion is not a JWS';
  let header;
  let claims;
  try {
    header = base64urlJson(parts[0]);
    claims = base64urlJson(parts[1]);
  } catch {
    return 'client_assertion is not base64url JSON';
  }
  if (!['RS384', 'ES384'].includes(header.alg)) return `alg ${header.alg} not supported (RS384 or ES384)`;
  if (claims.iss !== claims.sub) return 'iss and sub differ';
  if (options.clientId && claims.iss !== options.clientId) return `unknown client ${claims.iss}`;
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(`${baseUrl}/auth/token`)) return `aud must be ${baseUrl}/auth/token`;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp < now) return 'expired or missing exp';
  if (claims.exp > now + 300) return 'exp more than 5 minutes ahead';
  if (!claims.jti) return 'missing jti';
  if (options.clientJwks) {
    const keys = (options.clientJwks.keys ?? []).filter((key) => !header.kid || key.kid === header.kid);
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2], 'base64url');
    const ok = keys.some((jwk) => {
      try {
        const key = createPublicKey({ key: jwk, format: 'jwk' });
        return header.alg === 'ES384'
          ? verify('sha384', signed, { key, dsaEncoding: 'ieee-p1363' }, signature)
          : verify('sha384', signed, key, signature);
      } catch {
        return false;
      }
    });
    if (!ok) return 'signature does not verify with the registered keys';
  }
  return undefined;
}

function tokenResponse(res, form) {
  const error = (code, description) =>
    res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: code, error_description: description }));
  if (form.get('grant_type') !== 'client_credentials') return error('unsupported_grant_type', 'only client_credentials');
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    return error('invalid_client', 'client_assertion_type must be jwt-bearer');
  }
  const problem = checkAssertion(form.get('client_assertion'));
  if (problem) return error('invalid_client', problem);
  const scope = form.get('scope') ?? 'system/*.rs';
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  const accessToken = options.token ?? randomUUID();
  issuedTokens.add(accessToken);
  res.end(JSON.stringify({ access_token: accessToken, token_type: 'bearer', expires_in: 300, scope }));
}

// Tokens handed out by /auth/token; with --client-id (and no fixed --token),
// FHIR requests must carry one. POST /_test/expire-tokens forgets them all,
// as a server does when tokens expire early.
const issuedTokens = new Set();

// --- FHIR --------------------------------------------------------------------

async function handle(req, res) {
  const url = new URL(req.url ?? '/', baseUrl);
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const text = ['POST', 'PUT', 'PATCH'].includes(method) ? await readBody(req) : '';

  if (method === 'GET' && path === '/metadata') return send(res, 200, capabilityStatement());
  if (method === 'GET' && path === '/.well-known/smart-configuration') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(smartConfiguration()));
  }
  if (method === 'POST' && path === '/auth/token') return tokenResponse(res, new URLSearchParams(text));
  if (method === 'POST' && path === '/_test/fail') {
    failures = { count: Number(url.searchParams.get('count') ?? 1), status: Number(url.searchParams.get('status') ?? 500) };
    return send(res, 200, outcome('information', 'informational', `next ${failures.count} request(s) fail with ${failures.status}`));
  }
  if (method === 'POST' && path === '/_test/expire-tokens') {
    issuedTokens.clear();
    return send(res, 200, outcome('information', 'informational', 'all access tokens expired'));
  }
  if (method === 'POST' && path === '/_test/reset') {
    repo = new MemoryRepository();
    return send(res, 200, outcome('information', 'informational', 'store emptied'));
  }

  if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
    return send(res, 401, outcome('error', 'login', 'missing or wrong bearer token'), {
      'www-authenticate': 'Bearer realm="fhir"',
    });
  }
  if (!options.token && options.clientId) {
    const presented = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!issuedTokens.has(presented)) {
      return send(res, 401, outcome('error', 'expired', 'access token missing, unknown or expired'), {
        'www-authenticate': 'Bearer realm="fhir", error="invalid_token"',
      });
    }
  }
  if (failures.count > 0) {
    failures.count -= 1;
    const retry = failures.status === 429 || failures.status === 503 ? { 'retry-after': '1' } : {};
    const code = failures.status === 429 ? 'throttled' : 'transient';
    return send(res, failures.status, outcome('error', code, `injected failure ${failures.status}`), retry);
  }

  let body;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      return send(res, 400, outcome('error', 'structure', 'body is not JSON'));
    }
  }
  const query = Object.fromEntries([...url.searchParams.keys()].map((key) => {
    const values = url.searchParams.getAll(key);
    return [key, values.length === 1 ? values[0] : values];
  }));
  const request = {
    method,
    url: path + url.search,
    pathname: '',
    body,
    params: {},
    query,
    headers: req.headers,
    config: { transactions: true },
  };
  const [result, resource] = await router.handleRequest(request, repo);
  const status = getStatus(result);
  if (resource) {
    const headers = {};
    if (status === 201 && resource.id) headers.location = `${baseUrl}/${resource.resourceType}/${resource.id}`;
    return send(res, status, resource, headers);
  }
  return send(res, status, result);
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    send(res, 500, outcome('fatal', 'exception', String(err?.message ?? err)));
  });
});

server.listen(options.port, '127.0.0.1', () => {
  const { port } = server.address();
  baseUrl = `http://127.0.0.1:${port}`;
  process.stdout.write(`${port}\n`);
  process.stderr.write(`FHIR test server on ${baseUrl}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
