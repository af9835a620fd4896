// Helpers shared by the uPlot charts.

import { addDays, daysBetween } from './format';

/** CSS rem in pixels (charts draw on canvas in px but follow text size). */
export function remPx(rem: number): number {
  if (typeof document === 'undefined' || typeof getComputedStyle === 'undefined') return rem * 16;
  const size = parseFloat(getComputedStyle(document.documentElement).fontSize);
  return rem * (Number.isFinite(size) && size > 0 ? size : 16);
}

/** Canvas font string in the app's font stack. */
export function chartFont(rem = 0.85): string {
  return `${Math.round(remPx(rem))}px system-ui, -apple-system, "Segoe UI", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", sans-serif`;
}

/** Every date from `from` to `to`, both included (at most `limit`). */
export function dateRange(from: string, to: string, limit = 400): string[] {
  const n = daysBetween(from, to);
  if (!Number.isFinite(n) || n < 0) return [];
  return Array.from({ length: Math.min(limit, n + 1) }, (_, i) => addDays(from, i));
}

export const COLORS = {
  axis: '#4a5563',
  grid: '#e3e8ee',
  steps: '#1d4ed8',
  stepsFill: '#3b6fd8',
  bed: '#3056a8',
  bedFill: '#c9d7f3',
  sleep: '#1f3a6b',
  sleepFill: '#1f3a6b',
  trend: '#1d4ed8',
};
