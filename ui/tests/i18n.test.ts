import { describe, expect, it } from 'vitest';
import en from '../src/locales/en.json';
import ja from '../src/locales/ja.json';
import { ERROR_CODES, RECORD_TYPES } from '../src/lib/api';
import { currentLang, detectLanguage, LANGUAGE_STORAGE_KEY, setLanguage, t } from '../src/lib/i18n.svelte';
import { STRENGTH_HINTS } from '../src/lib/passphrase';
import { SCREENS } from '../src/lib/session.svelte';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const EN = flatten(en as Tree);
const JA = flatten(ja as Tree);

const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('translation resources', () => {
  it('has exactly the same keys in English and Japanese', () => {
    const onlyEn = [...EN.keys()].filter((k) => !JA.has(k));
    const onlyJa = [...JA.keys()].filter((k) => !EN.has(k));
    expect(onlyEn).toEqual([]);
    expect(onlyJa).toEqual([]);
    expect(EN.size).toBeGreaterThan(100);
  });

  it('has no empty strings', () => {
    const empty = [...EN, ...JA].filter(([, v]) => v.trim() === '').map(([k]) => k);
    expect(empty).toEqual([]);
  });

  it('uses the same placeholders in both languages', () => {
    const differing = [...EN.keys()].filter(
      (k) => JA.has(k) && placeholders(EN.get(k) ?? '').join() !== placeholders(JA.get(k) ?? '').join(),
    );
    expect(differing).toEqual([]);
  });

  it('really translates: Japanese text differs from English for most keys', () => {
    const same = [...EN.keys()].filter((k) => EN.get(k) === JA.get(k));
    expect(same.length).toBeLessThan(EN.size * 0.05);
  });

  it('has every key the code uses literally', () => {
    const sources = import.meta.glob('../src/**/*.{svelte,ts}', {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>;
    const used = new Set<string>();
    for (const text of Object.values(sources)) {
      for (const m of text.matchAll(/\bt\(\s*'([a-z_]+(?:\.[A-Za-z0-9_]+)+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((k) => !EN.has(k));
    expect(missing).toEqual([]);
  });

  it('has every key the code builds from a value', () => {
    const families = [
      ...ERROR_CODES.map((c) => `errors.${c}`),
      ...SCREENS.map((s) => `nav.${s}`),
      ...STRENGTH_HINTS.map((h) => `first_run.hint.${h}`),
      ...['weak', 'fair', 'strong'].map((l) => `first_run.strength.${l}`),
      ...['owner', 'cared_for'].map((r) => `person.role.${r}`),
      ...['info', 'warning', 'urgent'].map((s) => `care.severity.${s}`),
      ...['night_activity', 'inactivity', 'not_worn', 'rhythm_decline'].map((k) => `care.kind.${k}`),
      ...RECORD_TYPES.flatMap((r) => [`share.type.${r}`, `share.type_hint.${r}`]),
      ...['IS', 'IV', 'RA', 'L5', 'M10'].flatMap((m) => [`metrics.${m}.name`, `metrics.${m}.meaning`]),
    ];
    expect(families.filter((k) => !EN.has(k))).toEqual([]);
  });
});

describe('language switching', () => {
  it('translates in the chosen language and sets <html lang>', () => {
    setLanguage('ja');
    expect(currentLang()).toBe('ja');
    expect(document.documentElement.lang).toBe('ja');
    expect(t('nav.settings')).toBe('設定');
    expect(t('today.empty_title', { name: '花子' })).toBe('花子さんのデータはまだありません');
    setLanguage('en');
    expect(document.documentElement.lang).toBe('en');
    expect(t('nav.settings')).toBe('Settings');
  });

  it('stores only the bare language code in localStorage', () => {
    setLanguage('ja');
    expect(localStorage.length).toBe(1);
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('ja');
    expect(detectLanguage()).toBe('ja');
  });

  it('follows the browser language until one is chosen', () => {
    // jsdom reports en-US.
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBeNull();
    expect(detectLanguage()).toBe('en');
    localStorage.setItem(LANGUAGE_STORAGE_KEY, 'fr');
    expect(detectLanguage()).toBe('en');
  });
});
