// A small passphrase strength scorer for the first-run form.
//
// It is guidance, not a gate: the only hard rule is the backend's minimum
// length (12 characters). Points come from length, variety of character
// classes and several words; repeated characters, repeating units,
// sequences (abcd, 4321, qwerty) and well-known passwords take points away.

export const MIN_PASSPHRASE_LENGTH = 12;

export type StrengthLevel = 'weak' | 'fair' | 'strong';

export const STRENGTH_HINTS = ['too_short', 'longer', 'variety', 'repeats', 'sequences', 'common'] as const;

export type StrengthHint = (typeof STRENGTH_HINTS)[number];

export interface Strength {
  level: StrengthLevel;
  /** Raw points; weak ≤ 1 < fair ≤ 3 < strong. */
  points: number;
  /** Characters (Unicode code points). */
  length: number;
  meetsMinimum: boolean;
  hints: StrengthHint[];
}

const COMMON = [
  'password',
  'passphrase',
  'passw0rd',
  'qwerty',
  'letmein',
  'iloveyou',
  'welcome',
  'admin',
  'monkey',
  'dragon',
  'abc123',
  '123456',
  'pasuwado',
  'パスワード',
];

const KEYBOARD_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1234567890'];

function classesOf(chars: string[]): number {
  let lower = false;
  let upper = false;
  let digit = false;
  let symbol = false;
  let other = false;
  for (const c of chars) {
    if (/[a-z]/.test(c)) lower = true;
    else if (/[A-Z]/.test(c)) upper = true;
    else if (/[0-9]/.test(c)) digit = true;
    else if (/[\x20-\x7e]/.test(c)) symbol = true;
    else other = true; // kana, kanji, accented letters…
  }
  return [lower, upper, digit, symbol, other].filter(Boolean).length;
}

/** Runs of at least 4 characters that step by +1 or −1 (abcd, 9876). */
function sequentialRuns(chars: string[]): number {
  let runs = 0;
  let length = 1;
  let step = 0;
  for (let i = 1; i < chars.length; i++) {
    const d = (chars[i].toLowerCase().codePointAt(0) ?? 0) - (chars[i - 1].toLowerCase().codePointAt(0) ?? 0);
    if ((d === 1 || d === -1) && (length === 1 || d === step)) {
      length += 1;
      step = d;
    } else {
      if (length >= 4) runs += 1;
      length = 1;
      step = 0;
      if (d === 1 || d === -1) {
        length = 2;
        step = d;
      }
    }
  }
  if (length >= 4) runs += 1;
  return runs;
}

function keyboardRuns(lower: string): number {
  let runs = 0;
  for (const row of KEYBOARD_ROWS) {
    const reversed = [...row].reverse().join('');
    for (const line of [row, reversed]) {
      for (let i = 0; i + 4 <= line.length; i++) {
        if (lower.includes(line.slice(i, i + 4))) {
          runs += 1;
          break;
        }
      }
    }
  }
  return runs;
}

/** True if the text is one short unit repeated (abcabcabc, 121212). */
function isRepeatedUnit(chars: string[]): boolean {
  const n = chars.length;
  for (let unit = 1; unit <= n / 2; unit++) {
    if (n % unit !== 0) continue;
    let same = true;
    for (let i = unit; i < n && same; i++) same = chars[i] === chars[i - unit];
    if (same) return true;
  }
  return false;
}

export function scorePassphrase(passphrase: string): Strength {
  const chars = [...passphrase];
  const length = chars.length;
  const lower = passphrase.toLowerCase();
  const hints: StrengthHint[] = [];
  let points = 0;

  if (length >= MIN_PASSPHRASE_LENGTH) points += 1;
  if (length >= 16) points += 1;
  if (length >= 20) points += 1;
  if (length >= 28) points += 1;

  const classes = classesOf(chars);
  if (classes >= 2) points += 1;
  if (classes >= 3) points += 1;

  const words = passphrase
    .trim()
    .split(/[\s\-_.,/+]+/)
    .filter((w) => [...w].length >= 2);
  if (words.length >= 4) points += 1;

  const unique = new Set(chars).size;
  const repeats = /(.)\1\1/u.test(passphrase);
  if (length > 0 && (isRepeatedUnit(chars) || unique / length < 0.3)) {
    points -= 2;
    hints.push('repeats');
  } else if (repeats) {
    points -= 1;
    hints.push('repeats');
  }

  const sequences = Math.min(2, sequentialRuns(chars) + keyboardRuns(lower));
  if (sequences > 0) {
    points -= sequences;
    hints.push('sequences');
  }

  if (COMMON.some((word) => lower.includes(word))) {
    points -= 2;
    hints.push('common');
  }

  const meetsMinimum = length >= MIN_PASSPHRASE_LENGTH;
  if (!meetsMinimum) hints.unshift('too_short');
  else if (length < 20) hints.push('longer');
  if (classes < 2 && words.length < 4) hints.push('variety');

  let level: StrengthLevel;
  if (!meetsMinimum || points <= 1) level = 'weak';
  else if (points <= 3) level = 'fair';
  else level = 'strong';

  return { level, points, length, meetsMinimum, hints };
}
