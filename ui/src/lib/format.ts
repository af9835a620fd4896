// Formatting of dates, times, durations and numbers for display.
//
// The backend gives local wall-clock strings (`YYYY-MM-DD` or
// `YYYY-MM-DDTHH:MM:SS`) already in the person's time zone: they are shown
// as they are, never converted. UTC instants (epoch seconds: audit, shares,
// syncs) are converted to a time zone with Intl (default Asia/Tokyo).
//
// Names are spelled out here rather than taken from the runtime's locale
// data so the output is the same in every webview.

import type { Lang } from './api';

export const DEFAULT_TIME_ZONE = 'Asia/Tokyo';

const EN_WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const JA_WEEKDAYS = ['日', '月', '火', '水', '木', '金', '土'];
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;

/** Parses a local `YYYY-MM-DD[THH:MM[:SS]]` string; null if it is not one. */
export function parseLocal(value: string): WallClock | null {
  const m = LOCAL_RE.exec(value.trim());
  if (!m) return null;
  const wall: WallClock = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: m[4] ? Number(m[4]) : 0,
    minute: m[5] ? Number(m[5]) : 0,
    second: m[6] ? Number(m[6]) : 0,
  };
  if (wall.month < 1 || wall.month > 12 || wall.day < 1 || wall.day > 31) return null;
  return wall;
}

function weekday(wall: WallClock): number {
  return new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay();
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function dateText(wall: WallClock, lang: Lang, withYear: boolean): string {
  const wd = weekday(wall);
  if (lang === 'ja') {
    const year = withYear ? `${wall.year}年` : '';
    return `${year}${wall.month}月${wall.day}日(${JA_WEEKDAYS[wd]})`;
  }
  const year = withYear ? ` ${wall.year}` : '';
  return `${EN_WEEKDAYS[wd]} ${wall.day} ${EN_MONTHS[wall.month - 1]}${year}`;
}

/** A local date: en "Mon 3 Nov", ja "11月3日(月)"; with the year if asked. */
export function formatDate(local: string, lang: Lang, options: { year?: boolean } = {}): string {
  const wall = parseLocal(local);
  return wall ? dateText(wall, lang, options.year ?? false) : local;
}

/** A short date for chart axes: en "3 Nov", ja "11/3". */
export function formatShortDate(local: string, lang: Lang): string {
  const wall = parseLocal(local);
  if (!wall) return local;
  return lang === 'ja' ? `${wall.month}/${wall.day}` : `${wall.day} ${EN_MONTHS[wall.month - 1]}`;
}

/** The clock time of a local date-time, or of a `HH:MM[:SS]` onset: "07:05". */
export function formatClock(value: string): string {
  const wall = parseLocal(value);
  if (wall) return `${pad2(wall.hour)}:${pad2(wall.minute)}`;
  const m = /^(\d{1,2}):(\d{2})(?::\d{2})?$/.exec(value.trim());
  return m ? `${pad2(Number(m[1]))}:${m[2]}` : value;
}

/** A local date-time: en "Mon 3 Nov, 23:15", ja "11月3日(月) 23:15". */
export function formatDateTime(local: string, lang: Lang): string {
  const wall = parseLocal(local);
  if (!wall) return local;
  const time = `${pad2(wall.hour)}:${pad2(wall.minute)}`;
  return lang === 'ja' ? `${dateText(wall, lang, false)} ${time}` : `${dateText(wall, lang, false)}, ${time}`;
}

/** A span between two local date-times, e.g. "Mon 3 Nov, 23:15 – 06:40". */
export function formatSpan(start: string, end: string, lang: Lang): string {
  const a = parseLocal(start);
  const b = parseLocal(end);
  if (!a || !b) return `${start} – ${end}`;
  const sameDay = a.year === b.year && a.month === b.month && a.day === b.day;
  const endText = sameDay ? `${pad2(b.hour)}:${pad2(b.minute)}` : formatDateTime(end, lang);
  return `${formatDateTime(start, lang)} – ${endText}`;
}

/** A duration in minutes: en "7 h 12 min", ja "7時間12分". */
export function formatDuration(minutes: number | null | undefined, lang: Lang): string {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return '—';
  const total = Math.round(Math.abs(minutes));
  const sign = minutes < 0 && total > 0 ? '−' : '';
  const h = Math.floor(total / 60);
  const m = total % 60;
  if (lang === 'ja') {
    if (h === 0) return `${sign}${m}分`;
    return m === 0 ? `${sign}${h}時間` : `${sign}${h}時間${m}分`;
  }
  if (h === 0) return `${sign}${m} min`;
  return m === 0 ? `${sign}${h} h` : `${sign}${h} h ${m} min`;
}

const LOCALES: Record<Lang, string> = { en: 'en-US', ja: 'ja-JP' };

/** A number with the language's grouping: "12,345", "0.42". */
export function formatNumber(
  value: number | null | undefined,
  lang: Lang,
  maximumFractionDigits = 0,
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return new Intl.NumberFormat(LOCALES[lang], {
    maximumFractionDigits,
    minimumFractionDigits: 0,
    useGrouping: true,
  }).format(value);
}

/** A fraction (0 to 1) as a percentage: 0.873 → "87%". */
export function formatPercent(
  fraction: number | null | undefined,
  lang: Lang,
  maximumFractionDigits = 0,
): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return new Intl.NumberFormat(LOCALES[lang], {
    style: 'percent',
    maximumFractionDigits,
  }).format(fraction);
}

/** The wall clock in `timeZone` at a UTC instant (epoch seconds). */
export function wallClockAt(epochSeconds: number, timeZone: string): WallClock {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(epochSeconds * 1000));
  const get = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour') % 24,
    minute: get('minute'),
    second: get('second'),
  };
}

/**
 * A UTC instant (epoch seconds) in a time zone: en "Mon 3 Nov 2025, 00:30",
 * ja "2025年11月3日(月) 00:30".
 */
export function formatInstant(
  epochSeconds: number | null | undefined,
  lang: Lang,
  timeZone: string = DEFAULT_TIME_ZONE,
): string {
  if (epochSeconds === null || epochSeconds === undefined || !Number.isFinite(epochSeconds)) return '—';
  let wall: WallClock;
  try {
    wall = wallClockAt(epochSeconds, timeZone);
  } catch {
    wall = wallClockAt(epochSeconds, DEFAULT_TIME_ZONE);
  }
  const time = `${pad2(wall.hour)}:${pad2(wall.minute)}`;
  const date = dateText(wall, lang, true);
  return lang === 'ja' ? `${date} ${time}` : `${date}, ${time}`;
}

/** Today's date (`YYYY-MM-DD`) in a time zone. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  let wall: WallClock;
  try {
    wall = wallClockAt(now.getTime() / 1000, timeZone);
  } catch {
    wall = wallClockAt(now.getTime() / 1000, DEFAULT_TIME_ZONE);
  }
  return `${wall.year}-${pad2(wall.month)}-${pad2(wall.day)}`;
}

/** `YYYY-MM-DD` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const wall = parseLocal(date);
  if (!wall) return date;
  const d = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** Whole calendar days from `from` to `to` (negative if `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const a = parseLocal(from);
  const b = parseLocal(to);
  if (!a || !b) return NaN;
  return Math.round(
    (Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000,
  );
}
