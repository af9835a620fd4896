#!/usr/bin/env node
// Self-test of server.mjs's SMART Backend Services mock: an ES384-signed
// client assertion gets a token; a wrong key or client is refused; FHIR
// requests need the token. Run: npm test (after npm ci).
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'smart-selftest-'));
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES384' }] }));
const server = spawn(
  process.execPath,
  ['--experimental-websocket', new URL('./server.mjs', import.meta.url).pathname, '--token', 'T', '--client-id', 'phr-app', '--client-jwks', join(dir, 'jwks.json')],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let failed = false;
const expect = (what, ok) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
};
try {
  const port = await new Promise((resolve) => server.stdout.once('data', (data) => resolve(String(data).split('\n')[0].trim())));
  const base = `http://127.0.0.1:${port}`;
  const config = await (await fetch(`${base}/.well-known/smart-configuration`)).json();
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const assertion = (key, client = 'phr-app') => {
    const head = b64({ alg: 'ES384', typ: 'JWT', kid: 'k1' });
    const body = b64({ iss: client, sub: client, aud: config.token_endpoint, exp: Math.floor(Date.now() / 1000) + 120, jti: randomUUID() });
    const signature = sign('sha384', Buffer.from(`${head}.${body}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return `${head}.${body}.${signature}`;
  };
  const token = async (jwt) => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'system/*.rs',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    });
    const response = await fetch(config.token_endpoint, { method: 'POST', body: form });
    return [response.status, await response.json()];
  };
  const [status, body] = await token(assertion(privateKey));
  expect('signed assertion gets a token', status === 200 && body.access_token === 'T');
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  expect('wrong key is refused', (await token(assertion(stranger)))[0] === 400);
  expect('unknown client is refused', (await token(assertion(privateKey, 'someone')))[0] === 400);
  expect('no token: 401', (await fetch(`${base}/Patient`)).status === 401);
  expect('token: 200', (await fetch(`${base}/Patient`, { headers: { authorization: 'Bearer T' } })).status === 200);
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
