// Typed wrapper over the Tauri commands of the app's backend.
//
// Every function here calls exactly one command with `invoke(name, args)`;
// argument keys are camelCase (Tauri converts them to the Rust names).
// Failures reject with an `ApiError` carrying the backend's `{code, message}`.
// There is no fallback: outside the desktop app every call fails.

import { Channel, invoke } from '@tauri-apps/api/core';

// ---------------------------------------------------------------- errors

export const ERROR_CODES = [
  'invalid_input',
  'wrong_passphrase',
  'integrity',
  'no_vault',
  'locked',
  'remote',
  'bluetooth',
  'cancelled',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** A failed command: `message` is a sentence meant for the user. */
export class ApiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Normalises anything a command rejected with into an `ApiError`. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof message === 'string') {
      return new ApiError(isErrorCode(code) ? code : 'internal', message);
    }
  }
  if (error instanceof Error) return new ApiError('internal', error.message);
  if (typeof error === 'string' && error.length > 0) return new ApiError('internal', error);
  return new ApiError('internal', String(error));
}

type LockedListener = () => void;
let lockedListener: LockedListener | null = null;

/**
 * Called whenever a command fails with code `locked` (the vault locked
 * underneath the UI), so the app can show the unlock screen.
 */
export function onLockedError(listener: LockedListener | null): void {
  lockedListener = listener;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    const error = toApiError(raw);
    if (error.code === 'locked') lockedListener?.();
    throw error;
  }
}

function progressChannel(onProgress: (progress: Progress) => void): Channel<Progress> {
  const channel = new Channel<Progress>();
  channel.onmessage = onProgress;
  return channel;
}

// ---------------------------------------------------------------- types

export type Role = 'owner' | 'cared_for';

export interface Person {
  id: number;
  display_name: string;
  time_zone: string;
  role: Role;
}

export interface VaultStatus {
  exists: boolean;
  unlocked: boolean;
}

export interface Device {
  id: number;
  label: string;
  model: string | null;
  serial: string | null;
  /** UTC epoch seconds. */
  last_sync_utc: number | null;
  battery_percent: number | null;
}

export interface FoundDevice {
  address: string;
  name: string | null;
  rssi: number | null;
  protocol: string | null;
}

export interface Progress {
  done: number;
  total: number | null;
  stage: string;
}

export interface SyncSummary {
  device: number;
  label: string;
  added: number;
  unchanged: number;
  /** First and last local day covered (YYYY-MM-DD), or null when nothing new. */
  days: [string, string] | null;
  device_reset: boolean;
}

/** What an import stored of one kind of sample. */
export interface KindImport {
  kind: 'steps' | 'heart_rate' | 'activity' | 'sleep';
  added: number;
  replaced: number;
  unchanged: number;
}

export interface ImportSummary {
  format: string;
  file: string;
  added: number;
  replaced: number;
  unchanged: number;
  first: string | null;
  last: string | null;
  /** Per kind, in the order steps, heart rate, activity, sleep. */
  kinds: KindImport[];
  /** The sources stored apart (a watch and a phone for Apple Health). */
  sources: { device: number; label: string; samples: number }[];
  /** Records the vault has no place for, by type. */
  skipped: { record: string; count: number }[];
}

/** Local wall-clock strings: `YYYY-MM-DD` for dates, `YYYY-MM-DDTHH:MM:SS` for times. */
export interface Night {
  night_of: string;
  start: string;
  end: string;
  time_in_bed_minutes: number;
  total_sleep_minutes: number;
  sleep_onset_latency_minutes: number | null;
  waso_minutes: number | null;
  /** Total sleep / time in bed, 0 to 1. */
  sleep_efficiency: number | null;
  awakenings: number | null;
}

export interface Metrics {
  IS: number | null;
  IV: number | null;
  L5: number | null;
  M10: number | null;
  RA: number | null;
  /** Clock time (`HH:MM:SS`) the least active 5 hours start. */
  l5_onset: string | null;
  /** Clock time (`HH:MM:SS`) the most active 10 hours start. */
  m10_onset: string | null;
}

export type MetricKey = 'IS' | 'IV' | 'RA' | 'L5' | 'M10';

export interface Week {
  from: string;
  IS: number | null;
  IV: number | null;
  L5: number | null;
  M10: number | null;
  RA: number | null;
}

export interface Actogram {
  /** Local `YYYY-MM-DDTHH:MM:SS` at local midnight of the first day. */
  start: string;
  epoch_minutes: number;
  /** One value per epoch from `start`; null where nothing was recorded. */
  counts: (number | null)[];
}

export interface Dashboard {
  person: Person;
  from: string;
  to: string;
  steps: { date: string; steps: number }[];
  nights: Night[];
  actogram: Actogram;
  metrics: Metrics | null;
  weekly: Week[];
  completeness: { date: string; fraction: number }[];
}

export type AlertKind = 'night_activity' | 'inactivity' | 'not_worn' | 'rhythm_decline';
export type Severity = 'info' | 'warning' | 'urgent';
export type Lang = 'en' | 'ja';

export interface Alert {
  id: string;
  person: number;
  kind: AlertKind;
  /** Local wall-clock start and end. */
  start: string;
  end: string;
  severity: Severity;
  explanation: string;
  acknowledged: { at_utc: number; note: string } | null;
}

export const RECORD_TYPES = ['steps', 'sleep', 'activity', 'circadian'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export type Recipient = { kind: 'fhir'; url: string } | { kind: 'file'; path: string };

export interface Preview {
  person: unknown;
  from: string;
  to: string;
  counts: Record<string, number>;
  days: number;
  resources: number;
  example: object | null;
}

export interface ShareRecord {
  id: number | string;
  at_utc: number;
  recipient: string | Recipient;
  person: unknown;
  types: string[];
  from: string;
  to: string;
  resources: number;
  outcome: string;
}

export interface AuditEntry {
  seq: number;
  at_utc: number;
  action: string;
  detail: string;
}

export interface Settings {
  language: Lang | null;
  auto_lock_minutes: number;
  time_zone: string;
}

/** Numeric thresholds of the caregiver alert rules, keyed by name. */
export type AlertSettings = Record<string, number>;

// ---------------------------------------------------------------- commands

/** `person` arguments are the person's id as text. */
const pid = (person: number): string => String(person);

export function vaultStatus(): Promise<VaultStatus> {
  return call('vault_status');
}

export function createVault(args: {
  passphrase: string;
  ownerName: string;
  timeZone: string;
}): Promise<Person> {
  return call('create_vault', args);
}

export function unlock(passphrase: string): Promise<null> {
  return call('unlock', { passphrase });
}

export function lock(): Promise<null> {
  return call('lock');
}

/**
 * Tells the backend the person used the window `agoMs` ago, so the idle
 * auto-lock restarts from then (see `lib/activity.ts`, which throttles it).
 */
export function activity(agoMs: number): Promise<null> {
  return call('activity', { agoMs: Math.max(0, Math.round(agoMs)) });
}

export function people(): Promise<Person[]> {
  return call('people');
}

export function addPerson(name: string, timeZone: string): Promise<Person> {
  return call('add_person', { name, timeZone });
}

export function devices(person: number): Promise<Device[]> {
  return call('devices', { person: pid(person) });
}

export function scan(seconds: number): Promise<FoundDevice[]> {
  return call('scan', { seconds });
}

export function pair(address: string, person: number): Promise<null> {
  return call('pair', { address, person: pid(person) });
}

export function syncDemo(
  person: number,
  days: number,
  onProgress: (progress: Progress) => void,
): Promise<SyncSummary> {
  return call('sync_demo', { person: pid(person), days, onProgress: progressChannel(onProgress) });
}

export function syncDevice(
  person: number,
  address: string,
  onProgress: (progress: Progress) => void,
): Promise<SyncSummary> {
  return call('sync_device', {
    person: pid(person),
    address,
    onProgress: progressChannel(onProgress),
  });
}

/** One live heart-rate reading (`HeartRateReading` in the façade). */
export interface HeartRateReading {
  /** RFC 3339, in the person's time zone. */
  at: string;
  bpm: number;
  /** Skin contact, where the sensor detects it. */
  contact: boolean | null;
  rr_ms: number[];
}

/** What a live heart-rate session read and stored. */
export interface LiveHeartRate {
  device: string;
  address: string;
  readings: HeartRateReading[];
  added: number;
}

/** Live heart rate for `seconds` (5 to 120); readings arrive as they come. */
export function heartRate(
  person: number,
  address: string,
  seconds: number,
  onReading: (reading: HeartRateReading) => void,
): Promise<LiveHeartRate> {
  const channel = new Channel<HeartRateReading>();
  channel.onmessage = onReading;
  return call('heart_rate', {
    person: pid(person),
    address,
    seconds: Math.round(seconds),
    onReading: channel,
  });
}

export function importFile(
  path: string,
  person: number,
  onProgress: (progress: Progress) => void,
): Promise<ImportSummary> {
  return call('import_file', { path, person: pid(person), onProgress: progressChannel(onProgress) });
}

/** What `make_report` wrote. */
export interface ReportResult {
  path: string;
  person: number;
  from: string;
  to: string;
  lang: Lang;
  format: 'pdf' | 'html';
  nights: number;
  alerts: number;
  bytes: number;
}

/** Makes the clinician's summary of a person's period and writes it to `path`. */
export function makeReport(args: {
  person: number;
  from: string;
  to: string;
  lang: Lang;
  format: 'pdf' | 'html';
  path: string;
}): Promise<ReportResult> {
  return call('make_report', { ...args, person: pid(args.person) });
}

/** Cancels the running sync, import or share; that call rejects with `cancelled`. */
export function cancel(): Promise<null> {
  return call('cancel');
}

export function dashboard(person: number, from: string, to: string): Promise<Dashboard> {
  return call('dashboard', { person: pid(person), from, to });
}

export function alerts(person: number, since: string | null, lang: Lang): Promise<Alert[]> {
  return call('alerts', { person: pid(person), since, lang });
}

/** One person in the caregiver's overview (`CaredPerson` in the façade). */
export interface CaredPerson {
  id: number;
  name: string;
  role: string;
  time_zone: string;
  last_day: string | null;
  open_alerts: number;
  open_urgent: number;
  open_warning: number;
  days_since_data: number | null;
  last_sync_utc: number | null;
  /** The night the alerts watch on the last day with data. */
  night_window: NightWindow | null;
}

/** A night window: the person's own (learned) or the default. */
export interface NightWindow {
  start: string;
  end: string;
  learned: boolean;
}

/** Everyone with open alerts by severity, last sync and days since data. */
export function careOverview(): Promise<CaredPerson[]> {
  return call('care_overview', {});
}

export function ackAlert(id: string, note: string, lang: Lang): Promise<Alert> {
  return call('ack_alert', { id, note, lang });
}

export function sharePreview(
  person: number,
  types: RecordType[],
  from: string,
  to: string,
): Promise<Preview> {
  return call('share_preview', { person: pid(person), types, from, to });
}

export function share(
  person: number,
  types: RecordType[],
  from: string,
  to: string,
  recipient: Recipient,
  onProgress: (progress: Progress) => void,
): Promise<ShareRecord> {
  return call('share', {
    person: pid(person),
    types,
    from,
    to,
    recipient,
    onProgress: progressChannel(onProgress),
  });
}

export function recipients(): Promise<string[]> {
  return call('recipients');
}

export function shares(): Promise<ShareRecord[]> {
  return call('shares');
}

export function audit(): Promise<AuditEntry[]> {
  return call('audit');
}

export function settings(): Promise<Settings> {
  return call('settings');
}

export function saveSettings(value: Settings): Promise<Settings> {
  return call('save_settings', { settings: value });
}

export function alertSettings(person: number): Promise<AlertSettings> {
  return call('alert_settings', { person: pid(person) });
}

export function saveAlertSettings(person: number, value: AlertSettings): Promise<AlertSettings> {
  return call('save_alert_settings', { person: pid(person), settings: value });
}
