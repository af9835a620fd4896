import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  formatClock,
  formatDate,
  formatDateTime,
  formatDuration,
  formatInstant,
  formatNumber,
  formatPercent,
  formatShortDate,
  formatSpan,
  parseLocal,
  todayIn,
} from '../src/lib/format';

// 2025-11-02 15:30 UTC is 2025-11-03 00:30 in Tokyo (UTC+9): the next day.
const LATE_UTC = Date.UTC(2025, 10, 2, 15, 30, 0) / 1000;

describe('local dates (wall clock from the backend)', () => {
  it('formats a date in English and Japanese', () => {
    expect(formatDate('2025-11-03', 'en')).toBe('Mon 3 Nov');
    expect(formatDate('2025-11-03', 'ja')).toBe('11月3日(月)');
  });

  it('accepts a local date-time and ignores the time for the date', () => {
    expect(formatDate('2025-11-09T23:59:00', 'en')).toBe('Sun 9 Nov');
    expect(formatDate('2025-11-09T23:59:00', 'ja')).toBe('11月9日(日)');
  });

  it('adds the year when asked', () => {
    expect(formatDate('2024-02-29', 'en', { year: true })).toBe('Thu 29 Feb 2024');
    expect(formatDate('2024-02-29', 'ja', { year: true })).toBe('2024年2月29日(木)');
  });

  it('formats short axis dates', () => {
    expect(formatShortDate('2025-01-05', 'en')).toBe('5 Jan');
    expect(formatShortDate('2025-01-05', 'ja')).toBe('1/5');
  });

  it('formats date-times without converting them', () => {
    expect(formatDateTime('2025-11-03T23:15:00', 'en')).toBe('Mon 3 Nov, 23:15');
    expect(formatDateTime('2025-11-03T07:05:00', 'ja')).toBe('11月3日(月) 07:05');
  });

  it('formats spans within a day and across midnight', () => {
    expect(formatSpan('2025-11-03T01:00:00', '2025-11-03T03:30:00', 'en')).toBe('Mon 3 Nov, 01:00 – 03:30');
    expect(formatSpan('2025-11-03T23:00:00', '2025-11-04T06:10:00', 'ja')).toBe(
      '11月3日(月) 23:00 – 11月4日(火) 06:10',
    );
  });

  it('formats clock times of onsets and date-times', () => {
    expect(formatClock('02:30:00')).toBe('02:30');
    expect(formatClock('7:05')).toBe('07:05');
    expect(formatClock('2025-11-03T14:00:00')).toBe('14:00');
  });

  it('returns unparseable input unchanged instead of throwing', () => {
    expect(formatDate('not a date', 'en')).toBe('not a date');
    expect(parseLocal('2025-13-01')).toBeNull();
  });
});

describe('UTC instants shown in a time zone', () => {
  it('shows a late-evening UTC instant on the next day in JST', () => {
    expect(formatInstant(LATE_UTC, 'en')).toBe('Mon 3 Nov 2025, 00:30');
    expect(formatInstant(LATE_UTC, 'ja')).toBe('2025年11月3日(月) 00:30');
    expect(formatInstant(LATE_UTC, 'en', 'Asia/Tokyo')).toBe('Mon 3 Nov 2025, 00:30');
  });

  it('shows the same instant on the previous day in UTC and New York', () => {
    expect(formatInstant(LATE_UTC, 'en', 'UTC')).toBe('Sun 2 Nov 2025, 15:30');
    expect(formatInstant(LATE_UTC, 'ja', 'America/New_York')).toBe('2025年11月2日(日) 10:30');
  });

  it('computes today in a zone', () => {
    const now = new Date(LATE_UTC * 1000);
    expect(todayIn('Asia/Tokyo', now)).toBe('2025-11-03');
    expect(todayIn('UTC', now)).toBe('2025-11-02');
  });

  it('shows a dash for a missing instant', () => {
    expect(formatInstant(null, 'en')).toBe('—');
  });
});

describe('durations', () => {
  it('formats hours and minutes in both languages', () => {
    expect(formatDuration(432, 'en')).toBe('7 h 12 min');
    expect(formatDuration(432, 'ja')).toBe('7時間12分');
  });

  it('rounds to whole minutes and drops empty parts', () => {
    expect(formatDuration(431.6, 'en')).toBe('7 h 12 min');
    expect(formatDuration(45, 'en')).toBe('45 min');
    expect(formatDuration(45, 'ja')).toBe('45分');
    expect(formatDuration(120, 'en')).toBe('2 h');
    expect(formatDuration(120, 'ja')).toBe('2時間');
    expect(formatDuration(0, 'ja')).toBe('0分');
  });

  it('shows a dash for missing values', () => {
    expect(formatDuration(null, 'en')).toBe('—');
    expect(formatDuration(Number.NaN, 'ja')).toBe('—');
  });
});

describe('numbers and percentages', () => {
  it('groups thousands', () => {
    expect(formatNumber(12345, 'en')).toBe('12,345');
    expect(formatNumber(1234567, 'ja')).toBe('1,234,567');
  });

  it('limits fraction digits', () => {
    expect(formatNumber(0.4567, 'en', 2)).toBe('0.46');
    expect(formatNumber(3.5, 'ja', 0)).toBe('4');
  });

  it('formats percentages', () => {
    expect(formatPercent(0.873, 'en')).toBe('87%');
    expect(formatPercent(0.873, 'ja')).toBe('87%');
    expect(formatPercent(1, 'en')).toBe('100%');
    expect(formatPercent(null, 'en')).toBe('—');
  });
});

describe('calendar arithmetic', () => {
  it('adds days across months and leap days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
  });

  it('counts days between dates', () => {
    expect(daysBetween('2025-10-07', '2025-11-03')).toBe(27);
    expect(daysBetween('2025-11-03', '2025-11-03')).toBe(0);
  });
});
