#!/usr/bin/env node
// End-to-end test of the desktop app in a real window: tauri-driver (which
// drives WebKitWebDriver) opens the built app with a fresh vault, and the
// test goes through first run, the demo wearable, the dashboard in English
// and Japanese, a share to the repo's FHIR test server, the report, a
// Bluetooth scan, pair, sync and live heart rate against the simulated
// BlueZ (`phr-bluez-sim`), lock, unlock and the idle auto-lock. Screenshots go to artifacts/screenshots/, measured
// figures (first paint, memory) to artifacts/e2e-metrics.json.
//
// Run under a display (CI: xvfb-run, see scripts/test.sh):
//   node tests/e2e/run.mjs [--app PATH] [--driver PATH] [--bluez-sim PATH] [--no-auto-lock]
//   (E2E_MEMORY_DETAIL=1: each memory figure also lists every process's
//   largest mappings by PSS)
// Environment: PHR_APP (the app binary), TAURI_DRIVER, WEBKIT_WEBDRIVER,
// PHR_BLUEZ_SIM (default: phr-bluez-sim next to the app binary).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Session, waitFor } from './webdriver.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const appBinary = resolve(option('--app', process.env.PHR_APP ?? join(root, 'target/debug/phr-app')));
const driverBinary = option(
  '--driver',
  process.env.TAURI_DRIVER ?? (existsSync(join(process.env.HOME ?? '', '.cargo/bin/tauri-driver'))
    ? join(process.env.HOME ?? '', '.cargo/bin/tauri-driver')
    : 'tauri-driver'),
);
const nativeDriver = process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver';
const bluezSim = resolve(option('--bluez-sim', process.env.PHR_BLUEZ_SIM ?? join(dirname(appBinary), 'phr-bluez-sim')));
// The simulated BlueZ's watches (crates/bluez-sim/src/main.rs).
const PINETIME = 'C7:5A:10:00:00:01';
const BANGLE = 'E4:3B:00:00:00:02';
const autoLock = !args.includes('--no-auto-lock');
const DRIVER_PORT = 4444;
const driverUrl = `http://127.0.0.1:${DRIVER_PORT}`;

const artifacts = join(root, 'artifacts');
const shots = join(artifacts, 'screenshots');
mkdirSync(shots, { recursive: true });

const locales = {
  en: JSON.parse(readFileSync(join(root, 'ui/src/locales/en.json'), 'utf8')),
  ja: JSON.parse(readFileSync(join(root, 'ui/src/locales/ja.json'), 'utf8')),
};
const PASSPHRASE = 'correct horse battery staple';
const metrics = { app: appBinary };
const children = [];

function log(message) {
  process.stdout.write(`e2e: ${message}\n`);
}

async function step(name, body) {
  const started = Date.now();
  log(`${name} ...`);
  await body();
  log(`${name}: ok (${Date.now() - started} ms)`);
}

/** Starts a child process we own and stop at the end (by its pid). */
function start(command, argv, options = {}) {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(child);
  child.stderr.on('data', (chunk) => {
    if (process.env.E2E_VERBOSE) process.stderr.write(`[${command}] ${chunk}`);
  });
  return child;
}

function stopChildren() {
  for (const child of children.reverse()) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

async function startFhirServer() {
  const server = start(process.execPath, ['--experimental-websocket', join(root, 'tests/fhir-server/server.mjs'), '--port', '0']);
  const lines = createInterface({ input: server.stdout });
  const port = await new Promise((resolvePort, reject) => {
    server.once('exit', (code) => reject(new Error(`the FHIR test server exited (${code})`)));
    lines.once('line', (line) => resolvePort(Number(line.trim())));
  });
  assert.ok(port > 0, 'the FHIR test server printed its port');
  return `http://127.0.0.1:${port}`;
}

/** Starts the simulated BlueZ on a private bus; returns the bus address. */
async function startBluezSim() {
  const sim = start(bluezSim, []);
  const lines = createInterface({ input: sim.stdout });
  const address = await new Promise((resolveAddress, reject) => {
    sim.once('exit', (code) => reject(new Error(`the simulated BlueZ exited (${code})`)));
    lines.on('line', (line) => {
      if (line.startsWith('DBUS_SYSTEM_BUS_ADDRESS=')) resolveAddress(line.slice('DBUS_SYSTEM_BUS_ADDRESS='.length));
    });
  });
  assert.ok(address, 'the simulated BlueZ printed its bus address');
  return address;
}

async function startDriver(env) {
  const driver = start(driverBinary, ['--port', String(DRIVER_PORT), '--native-driver', nativeDriver], { env });
  driver.once('exit', (code) => log(`tauri-driver exited (${code})`));
  await waitFor('tauri-driver on port 4444', async () => (await fetch(`${driverUrl}/status`)).ok, { timeoutMs: 15000 });
}

// ---------------------------------------------------------------- processes

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** Milliseconds since boot (10 ms resolution, like process start times). */
function uptimeMs() {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}

function procStat(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), startTicks: Number(fields[19]) };
}

function pids() {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
}

/** The app's process: the one running our binary, newest first. */
function findApp() {
  const target = realpathSync(appBinary);
  const found = [];
  for (const pid of pids()) {
    try {
      if (realpathSync(`/proc/${pid}/exe`) === target) found.push({ pid, ...procStat(pid) });
    } catch {
      // gone, or not ours to read
    }
  }
  found.sort((a, b) => b.startTicks - a.startTicks);
  return found[0] ?? null;
}

/** `pid` and every process below it. */
function tree(pid) {
  const parents = new Map();
  for (const other of pids()) {
    try {
      parents.set(other, procStat(other).ppid);
    } catch {
      // gone
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [child, parent] of parents) if (parent === out[i]) out.push(child);
  }
  return out;
}

function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  let rollup = '';
  try {
    rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    // older kernels: RSS only
  }
  const name = /^Name:\s+(.+)$/m.exec(status)?.[1] ?? String(pid);
  // RSS counts shared libraries (WebKit, GTK, Mesa) in full in every
  // process; PSS shares them out; USS is what this process alone holds.
  return {
    pid,
    name,
    rss_kb: kb(status, 'VmRSS'),
    pss_kb: kb(rollup, 'Pss'),
    uss_kb: kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty'),
  };
}

/**
 * PSS in kB by mapping (a file's base name, [heap], [anon], …), the largest
 * first: where a process's memory is, for `E2E_MEMORY_DETAIL=1`.
 */
function pssByMapping(pid, top = 12) {
  const by = new Map();
  let name = '[anon]';
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return [];
  }
  for (const line of text.split('\n')) {
    const fields = line.split(/\s+/);
    if (!fields[0]) continue;
    if (!fields[0].endsWith(':')) {
      const path = fields[5] ?? '';
      name = path.startsWith('/') ? path.split('/').pop() : path || '[anon]';
    } else if (fields[0] === 'Pss:') {
      by.set(name, (by.get(name) ?? 0) + Number(fields[1]));
    }
  }
  return [...by].sort((a, b) => b[1] - a[1]).slice(0, top);
}

// ---------------------------------------------------------------- helpers

/** Memory of the app and its WebKit processes once the screen has settled. */
async function settledMemory() {
  await new Promise((r) => setTimeout(r, 3000));
  const processes = tree(metrics.pid).map((pid) =>
    process.env.E2E_MEMORY_DETAIL ? { ...memoryOf(pid), top_kb: pssByMapping(pid) } : memoryOf(pid),
  );
  const total = (key) => Math.round(processes.reduce((sum, p) => sum + p[key], 0) / 1024);
  return { processes, rss_mb: total('rss_kb'), pss_mb: total('pss_kb'), uss_mb: total('uss_kb') };
}

// WebKitGTK answers a screenshot after the web view's next paint. Without
// accelerated compositing (the app's choice on a machine without a GPU, as
// under Xvfb) a page that is not changing never paints again, and the
// request would hang. So for a moment the page repaints one pixel whose
// colour changes between two fully transparent values: nothing visible.
const REPAINT = `
  let dot = document.getElementById('e2e-repaint');
  if (!dot) {
    dot = document.createElement('div');
    dot.id = 'e2e-repaint';
    dot.setAttribute('aria-hidden', 'true');
    dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none';
    document.body.appendChild(dot);
  }
  const until = performance.now() + arguments[0];
  const frame = () => {
    const clear = 'rgba(0, 0, 0, 0)';
    dot.style.backgroundColor = dot.style.backgroundColor === clear ? 'rgba(255, 255, 255, 0)' : clear;
    if (performance.now() < until) requestAnimationFrame(frame);
    else dot.remove();
  };
  requestAnimationFrame(frame);
`;

async function screenshot(session, name) {
  await session.script(REPAINT, [2000]);
  writeFileSync(join(shots, `${name}.png`), await session.screenshot());
}

/** The whole page, however long: the window grows to fit it for the shot. */
async function screenshotFull(session, name) {
  const rect = await session.call('GET', '/window/rect');
  const height = await session.script('return document.documentElement.scrollHeight');
  await session.call('POST', '/window/rect', { width: rect.width, height: Math.min(6000, height + 100) });
  await waitFor('the window to grow', async () => (await session.script('return window.innerHeight')) > rect.height, { timeoutMs: 5000 }).catch(() => {});
  await screenshot(session, name);
  await session.call('POST', '/window/rect', { width: rect.width, height: rect.height });
}

async function chooseLanguage(session, lang) {
  const select = await session.testid('language-select');
  const option = (await session.findAll(`[data-testid="language-select"] option[value="${lang}"]`))[0];
  assert.ok(option, `the language list offers ${lang}`);
  await select.click();
  await option.click();
  const expected = locales[lang].nav.today;
  await waitFor(`the navigation in ${lang} ("${expected}")`, async () => (await (await session.testid('nav-today')).text()).includes(expected));
}

async function navigate(session, screen) {
  // In a phone-sized window the list is folded behind the menu button.
  const [item] = await session.findAll(`[data-testid="nav-${screen}"]`);
  if (!item || !(await item.displayed())) await (await session.testid('nav-menu')).click();
  await (await session.testid(`nav-${screen}`)).click();
  const title = await session.visible('#screen-title');
  return title;
}

/** Sets the window's size and waits until the page has that width. */
async function resize(session, width, height) {
  await session.call('POST', '/window/rect', { width, height });
  await waitFor(`a ${width} px wide page`, async () => (await session.script('return window.innerWidth')) === width, { timeoutMs: 10000 });
}

/**
 * What a phone-sized screen must not have: a page wider than the window
 * (horizontal scrolling), or a visible control smaller than a 44 px touch
 * target. Returns the page's widths and the first offenders, by test id,
 * tag and text.
 */
async function phoneProblems(session) {
  return session.script(`
    const view = document.documentElement.clientWidth;
    const name = (e) => (e.dataset.testid || e.id || e.tagName.toLowerCase()) + ' "' + (e.textContent || e.value || '').trim().slice(0, 30) + '"';
    // Inside a box that fits and scrolls on its own (a wide table, the
    // actogram): that box scrolls, the page does not.
    const scrolled = (e) => {
      for (let p = e; p; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if ((o === 'auto' || o === 'scroll' || o === 'hidden') && p.getBoundingClientRect().right <= view + 1) return true;
      }
      return false;
    };
    const wide = [...document.querySelectorAll('body *')].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > view + 1 && !scrolled(e.parentElement);
    }).slice(-5).map((e) => name(e) + ' ' + Math.round(e.getBoundingClientRect().right) + ' px');
    // Text that runs out of its box (a long word, a path) widens the page
    // without widening any element.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node && wide.length < 5; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const r = range.getBoundingClientRect();
      if (r.width > 0 && r.right > view + 1 && !scrolled(node.parentElement)) wide.push('text "' + node.textContent.trim().slice(0, 40) + '" ' + Math.round(r.right) + ' px');
    }
    const small = [...document.querySelectorAll('button, select, input:not([type=hidden]), textarea, [role=button], summary')].filter((e) => {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') return false;
      const box = e.type === 'checkbox' || e.type === 'radio' ? e.closest('label')?.getBoundingClientRect() ?? r : r;
      return box.height < 43.5 || box.width < 43.5;
    }).slice(0, 5).map(name);
    return { scrollWidth: document.documentElement.scrollWidth, clientWidth: view, wide, small };`);
}

async function fhirCount(base, type) {
  const response = await fetch(`${base}/${type}?_count=1000`, { headers: { accept: 'application/fhir+json' } });
  assert.equal(response.status, 200, `GET ${type} on the FHIR server`);
  const bundle = await response.json();
  return bundle.entry?.length ?? 0;
}

// ---------------------------------------------------------------- the test

async function main() {
  assert.ok(existsSync(appBinary), `the app binary ${appBinary} exists (cargo build -p phr-app)`);
  assert.ok(existsSync(join(root, 'ui/dist/index.html')), 'ui/dist is built (npm run build in ui/)');
  assert.ok(existsSync(bluezSim), `the simulated BlueZ ${bluezSim} exists (cargo build -p phr-bluez-sim)`);
  const vaultDir = mkdtempSync(join(tmpdir(), 'phr-e2e-'));
  const vault = join(vaultDir, 'vault.phr');
  let session;
  try {
    const fhir = await startFhirServer();
    log(`FHIR test server at ${fhir}`);
    const bus = await startBluezSim();
    log(`simulated BlueZ at ${bus}`);
    // The app, started by the driver, finds "the system bus" there.
    await startDriver({ ...process.env, PHR_VAULT: vault, DBUS_SYSTEM_BUS_ADDRESS: bus });

    await step('first run: the window opens on the create-vault form', async () => {
      const requested = Date.now();
      session = await Session.start(driverUrl, {
        browserName: 'wry',
        'tauri:options': { application: appBinary },
      });
      const form = await session.testid('owner-name', { timeoutMs: 30000, intervalMs: 20 });
      const seen = Date.now();
      const seenUptime = uptimeMs();
      assert.ok(await form.enabled());
      const app = findApp();
      assert.ok(app, 'the app process is running');
      metrics.pid = app.pid;
      metrics.session_request_to_first_form_ms = seen - requested;
      metrics.process_start_to_first_form_ms = Math.round(seenUptime - (app.startTicks * 1000) / CLOCK_TICKS);
      metrics.page = await session.script(`
        const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, Math.round(e.startTime)]));
        const nav = performance.getEntriesByType('navigation')[0];
        return { now_ms: Math.round(performance.now()), dom_content_loaded_ms: nav ? Math.round(nav.domContentLoadedEventEnd) : null, paint };
      `);
      const title = await (await session.visible('h1')).text();
      assert.equal(title, locales.en.first_run.title);
      await screenshot(session, '01-first-run');
      metrics.memory_first_run = await settledMemory();
    });

    await step('create the vault', async () => {
      await (await session.testid('owner-name')).type('Hanako Test');
      await (await session.testid('passphrase')).type(PASSPHRASE);
      await (await session.testid('passphrase-confirm')).type(PASSPHRASE);
      const create = await session.testid('create-vault');
      await waitFor('the create button to be enabled', () => create.enabled());
      await create.click();
      await session.testid('nav-today', { timeoutMs: 60000 });
      assert.ok(existsSync(vault), 'the vault file exists at PHR_VAULT');
      await screenshot(session, '02-today-empty');
    });

    await step('sync the demo wearable', async () => {
      await navigate(session, 'devices');
      await (await session.testid('demo-sync')).click();
      const [shown, result] = await session.oneOf(['sync-result', 'sync-error'], { timeoutMs: 120000 });
      const text = await result.text();
      assert.equal(shown, 'sync-result', `the sync failed: ${text}`);
      assert.match(text, /Demo wearable/);
      assert.match(text, /\d/);
      await session.visible('[data-testid^="device-"]');
      await screenshot(session, '03-devices-synced');
    });

    await step('dashboard in English shows steps, actogram and metrics', async () => {
      const opened = Date.now();
      const title = await navigate(session, 'today');
      assert.equal(await title.text(), locales.en.today.title);
      await session.testid('steps-chart', { timeoutMs: 60000, intervalMs: 20 });
      await session.testid('actogram', { intervalMs: 20 });
      await session.visible('[data-testid="steps-chart"] canvas', { intervalMs: 20 });
      // From the click to the charts and the four-week actogram on screen,
      // as WebDriver sees it (polled every 20 ms).
      metrics.dashboard_drawn_ms = Date.now() - opened;
      const is = await session.testid('metric-IS');
      assert.match(await is.text(), /\d\.\d/, 'the IS card shows a value');
      assert.equal((await session.findAll('[data-testid="today-empty"]')).length, 0);
      assert.ok((await session.findAll('[data-testid="steps-chart"] canvas')).length > 0, 'the steps chart drew');
      const rows = await session.findAll('[data-testid="actogram"] .acto-row');
      assert.ok(rows.length >= 27, `the actogram has a row per day (${rows.length})`);
      // Once as drawn, and again after the full-page screenshot has grown
      // the window to the page's height and back (the figure kept since the
      // first measurements).
      metrics.memory_dashboard_drawn = await settledMemory();
      await screenshot(session, '04-dashboard-en');
      await screenshotFull(session, '04-dashboard-en-full');
      metrics.memory = await settledMemory();
    });

    await step('Japanese: settings switch the whole app', async () => {
      await navigate(session, 'settings');
      await chooseLanguage(session, 'ja');
      const title = await navigate(session, 'today');
      await session.testid('steps-chart', { timeoutMs: 60000 });
      await waitFor('the Japanese title', async () => (await title.text()) === locales.ja.today.title);
      const lang = await session.script('return document.documentElement.lang');
      assert.equal(lang, 'ja');
      await screenshot(session, '05-dashboard-ja');
      await screenshotFull(session, '05-dashboard-ja-full');
      await navigate(session, 'settings');
      await chooseLanguage(session, 'en');
    });

    await step('share to the FHIR test server', async () => {
      const title = await navigate(session, 'share');
      assert.equal(await title.text(), locales.en.share.title);
      const url = await session.testid('share-url');
      await url.type(fhir);
      await (await session.testid('share-preview')).click();
      const preview = await session.testid('share-preview-result', { timeoutMs: 60000 });
      assert.match(await preview.text(), /\d/);
      const send = await session.testid('share-send');
      await waitFor('the send button to be enabled', () => send.enabled());
      await send.click();
      const [shown, receipt] = await session.oneOf(['share-receipt', 'share-error'], { timeoutMs: 120000 });
      const text = await receipt.text();
      assert.equal(shown, 'share-receipt', `the share failed: ${text}`);
      assert.match(text, /complete/);
      assert.ok(text.includes(fhir), 'the receipt names the server');
      assert.ok((await fhirCount(fhir, 'Observation')) > 0, 'the server holds Observations');
      assert.equal(await fhirCount(fhir, 'Consent'), 1, 'the server holds the Consent');
      await screenshot(session, '06-share-receipt');
    });

    await step("the clinician's report is written as a PDF", async () => {
      const title = await navigate(session, 'report');
      assert.equal(await title.text(), locales.en.report.title);
      const out = join(vaultDir, 'summary.pdf');
      await (await session.testid('report-path')).type(out);
      const make = await session.testid('report-make');
      await waitFor('the report button to be enabled', () => make.enabled());
      await make.click();
      const [shown, result] = await session.oneOf(['report-result', 'report-error'], { timeoutMs: 120000 });
      const text = await result.text();
      assert.equal(shown, 'report-result', `the report failed: ${text}`);
      assert.ok(text.includes(out), 'the result names the file');
      const pdf = readFileSync(out);
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF was written');
      assert.ok(pdf.length > 20000, `the PDF has content (${pdf.length} bytes)`);
      await screenshot(session, '06b-report');
    });

    await step('Bluetooth: scan, pair and sync a Bangle.js; live heart rate from a PineTime', async () => {
      const title = await navigate(session, 'devices');
      assert.equal(await title.text(), locales.en.devices.title);
      const batteriesBefore = (await session.findAll('[data-testid^="device-"] .battery')).length;
      await (await session.testid('scan')).click();
      const results = await session.testid('scan-results', { timeoutMs: 60000 });
      const found = await results.text();
      assert.ok(found.includes(PINETIME) && found.includes(BANGLE), `the scan lists both watches: ${found}`);

      await (await session.testid(`pair-${BANGLE}`)).click();
      const [paired, pairText] = await session.oneOf([`paired-${BANGLE}`, 'pair-error'], { timeoutMs: 60000 });
      assert.equal(paired, `paired-${BANGLE}`, `pairing failed: ${await pairText.text()}`);
      const sync = await session.testid(`sync-${BANGLE}`);
      await waitFor('the sync button to be enabled', () => sync.enabled());
      await sync.click();
      const [shown, result] = await session.oneOf(['sync-result', 'sync-error'], { timeoutMs: 120000 });
      const text = await result.text();
      assert.equal(shown, 'sync-result', `the Bluetooth sync failed: ${text}`);
      assert.match(text, /\d/);
      await waitFor('the synced watch listed with its battery', async () =>
        (await session.findAll('[data-testid^="device-"] .battery')).length > batteriesBefore, { timeoutMs: 30000 });

      await (await session.testid(`heart-rate-${PINETIME}`)).click();
      await session.testid('heart-rate-live', { timeoutMs: 30000 });
      const [heard, heart] = await session.oneOf(['heart-rate-result', 'heart-rate-error'], { timeoutMs: 120000 });
      const heartText = await heart.text();
      assert.equal(heard, 'heart-rate-result', `live heart rate failed: ${heartText}`);
      assert.match(heartText, /\d+ bpm/, 'the latest reading is shown');
      await screenshot(session, '06c-devices-bluetooth');
    });

    await step("Import: an Apple Health export, cancelled, then imported once and again", async () => {
      // Shaped like a real iPhone + Apple Watch export: a month (28 MB of
      // XML) takes the debug build seconds to read, long enough to cancel;
      // an optimised build reads that in a fraction of a second, so it gets
      // eight months (about 220 MB).
      const exportXml = join(vaultDir, 'export.xml');
      const days = /[/\\](release|dist)[/\\]/.test(appBinary) ? '240' : '30';
      const generated = spawnSync('python3', [join(root, 'scripts/generate_apple_health_export.py'), '--days', days, '--out', exportXml]);
      assert.equal(generated.status, 0, `the export generator ran: ${generated.stderr}`);
      const title = await navigate(session, 'import');
      assert.equal(await title.text(), locales.en.import.title);
      const path = await session.testid('import-path');
      await path.type(exportXml);
      const start = await session.testid('import-start');
      await waitFor('the import button to be enabled', () => start.enabled());

      await start.click();
      await session.testid('import-progress', { timeoutMs: 30000, intervalMs: 20 });
      await (await session.visible('[data-testid="import-progress"] button', { intervalMs: 20 })).click();
      const [stopped, stoppedBox] = await session.oneOf(['import-error', 'import-result'], { timeoutMs: 120000 });
      assert.equal(stopped, 'import-error', 'the import was cancelled before it finished');
      assert.ok((await stoppedBox.text()).includes(locales.en.errors.cancelled), await stoppedBox.text());

      // Counts of the kinds table: { kind: [new, corrected, already stored] }.
      const kinds = () => session.script(`
        const rows = document.querySelectorAll('[data-testid="import-kinds"] tbody tr');
        return Object.fromEntries([...rows].map((r) => [r.querySelector('th').textContent.trim(),
          [...r.querySelectorAll('td')].map((c) => Number(c.textContent.replace(/[^0-9]/g, '')))]));`);
      const steps = locales.en.import.kind_steps;
      const imported = async () => {
        await start.click();
        const [shown, box] = await session.oneOf(['import-result', 'import-error'], { timeoutMs: 180000 });
        assert.equal(shown, 'import-result', `the import failed: ${await box.text()}`);
        assert.equal(await (await session.testid('import-format')).text(), locales.en.import.format_apple_health);
        return kinds();
      };
      const first = await imported();
      assert.ok(first[steps][0] > 0, `steps were stored: ${JSON.stringify(first)}`);
      assert.deepEqual(first[steps].slice(1), [0, 0], `the cancelled import stored nothing: ${JSON.stringify(first)}`);
      const sources = await (await session.testid('import-sources')).text();
      assert.ok(sources.includes('iPhone') && sources.includes('Apple Watch'), sources);
      await screenshot(session, '06d-import-apple-health');
      const again = await imported();
      for (const [kind, [added, replaced, unchanged]] of Object.entries(again)) {
        assert.deepEqual([added, replaced], [0, 0], `${kind} stored twice: ${JSON.stringify(again)}`);
        assert.equal(unchanged, first[kind][0], `${kind}: all already stored`);
      }
    });

    for (const [width, height] of [[360, 640], [390, 844]]) {
      await step(`phone size ${width}x${height}: every screen in one column, no horizontal scrolling, 44 px targets`, async () => {
        await resize(session, width, height);
        const menu = await session.testid('nav-menu');
        assert.equal(await menu.attribute('aria-expanded'), 'false', 'the navigation is folded');
        for (const screen of ['today', 'devices', 'import', 'care', 'report', 'share', 'audit', 'settings']) {
          const title = await navigate(session, screen);
          assert.equal(await title.text(), locales.en[screen].title);
          assert.equal(await (await session.testid('nav-menu')).attribute('aria-expanded'), 'false', 'choosing a screen folds the menu');
          const problems = await phoneProblems(session);
          assert.ok(problems.scrollWidth <= problems.clientWidth, `${screen} at ${width} px scrolls sideways: ${JSON.stringify(problems)}`);
          assert.deepEqual(problems.wide, [], `${screen} at ${width} px: wider than the window`);
          assert.deepEqual(problems.small, [], `${screen} at ${width} px: touch targets under 44 px`);
          // The dashboard whole (charts and actogram), the rest as a phone shows them.
          await (screen === 'today' ? screenshotFull : screenshot)(session, `phone-${width}-${screen}`);
        }
        // The main flows at this size: a sync and a share preview.
        await navigate(session, 'devices');
        await (await session.testid('demo-sync')).click();
        const [shown, result] = await session.oneOf(['sync-result', 'sync-error'], { timeoutMs: 120000 });
        assert.equal(shown, 'sync-result', `the sync failed: ${await result.text()}`);
        await navigate(session, 'share');
        // The server saved by the share above is chosen already; without
        // one, its address is typed.
        await session.oneOf(['share-url', 'share-preview']);
        const [url] = await session.findAll('[data-testid="share-url"]');
        if (url && (await url.displayed()) && !(await url.property('value'))) await url.type(fhir);
        await (await session.testid('share-preview')).click();
        await session.testid('share-preview-result', { timeoutMs: 60000 });
        const problems = await phoneProblems(session);
        assert.ok(problems.scrollWidth <= problems.clientWidth, `the share preview scrolls sideways: ${JSON.stringify(problems)}`);
        await screenshot(session, `phone-${width}-share-preview`);
        // Lock from the folded menu; unlock at this size.
        await (await session.testid('nav-menu')).click();
        await (await session.testid('lock-button')).click();
        const field = await session.testid('unlock-passphrase', { timeoutMs: 60000 });
        const locked = await phoneProblems(session);
        assert.ok(locked.scrollWidth <= locked.clientWidth && locked.small.length === 0, `the unlock screen at ${width} px: ${JSON.stringify(locked)}`);
        await screenshot(session, `phone-${width}-unlock`);
        await field.type(PASSPHRASE);
        await (await session.testid('unlock-button')).click();
        await session.testid('nav-menu', { timeoutMs: 60000 });
      });
    }
    await resize(session, 1280, 800);

    await step('lock shows the unlock screen; a wrong passphrase is refused', async () => {
      await (await session.testid('lock-button')).click();
      await session.testid('unlock-passphrase');
      assert.equal((await session.findAll('[data-testid="nav-today"]')).length, 0, 'no screen of the app is left');
      await screenshot(session, '07-unlock');
      await (await session.testid('unlock-passphrase')).type('not the passphrase');
      await (await session.testid('unlock-button')).click();
      const error = await session.testid('unlock-error', { timeoutMs: 60000 });
      assert.equal(await error.attribute('data-code'), 'wrong_passphrase');
      const field = await session.testid('unlock-passphrase');
      await field.clear();
      await field.type(PASSPHRASE);
      await (await session.testid('unlock-button')).click();
      await session.testid('nav-today', { timeoutMs: 60000 });
    });

    if (autoLock) {
      await step('auto-lock after one idle minute emits "locked"', async () => {
        await navigate(session, 'settings');
        // The screen reloads the settings when it opens; an edit that lands
        // before that answer is overwritten, so edit and save until the
        // saved form still reads 1.
        const minutes = await session.testid('auto-lock');
        await waitFor('the auto-lock time saved as 1 minute', async () => {
          await minutes.clear();
          await minutes.type('1');
          if ((await minutes.property('value')) !== '1') return false;
          await (await session.testid('settings-save')).click();
          await session.visible('p.ok[role="status"]', { timeoutMs: 10000 });
          return (await minutes.property('value')) === '1';
        });
        const saved = Date.now();
        await session.testid('unlock-passphrase', { timeoutMs: 100000, intervalMs: 500 });
        metrics.auto_lock_after_ms = Date.now() - saved;
        assert.ok(metrics.auto_lock_after_ms >= 55000, `locked only after the idle minute (${metrics.auto_lock_after_ms} ms)`);
        await screenshot(session, '08-auto-locked');
      });
    }
  } catch (error) {
    // What the window showed when it failed, for the CI log and artifacts.
    if (session) {
      await screenshot(session, 'failure').catch(() => {});
      const text = await session.script('return document.body.innerText').catch(() => '');
      process.stderr.write(`e2e: the window said:\n${text}\n`);
    }
    throw error;
  } finally {
    if (session) await session.end().catch(() => {});
    stopChildren();
    rmSync(vaultDir, { recursive: true, force: true });
    writeFileSync(join(artifacts, 'e2e-metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  }
  log(`figures: ${JSON.stringify({
    process_start_to_first_form_ms: metrics.process_start_to_first_form_ms,
    session_request_to_first_form_ms: metrics.session_request_to_first_form_ms,
    dashboard_drawn_ms: metrics.dashboard_drawn_ms,
    page: metrics.page,
    first_run: { ...metrics.memory_first_run, processes: undefined },
    dashboard_drawn: { ...metrics.memory_dashboard_drawn, processes: undefined },
    dashboard: { ...metrics.memory, processes: undefined },
  })}`);
  log('all steps passed');
}

main().then(
  // Done: exit even if a socket or stream of a stopped child still holds
  // the event loop (seen once: the run hung after "all steps passed").
  () => process.exit(0),
  (error) => {
    stopChildren();
    process.stderr.write(`e2e: FAILED: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
