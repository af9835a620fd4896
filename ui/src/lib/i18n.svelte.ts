// Internationalisation: i18next with English and Japanese resources bundled.
//
// The language follows navigator.language until the user picks one; the
// choice is kept in localStorage as the bare language code ("en" or "ja")
// and nothing else is ever stored there. `t()` reads a rune, so every
// template that calls it re-renders when the language changes.

import i18next from 'i18next';
import en from '../locales/en.json';
import ja from '../locales/ja.json';
import type { Lang } from './api';

export type { Lang };
export const LANGUAGES: readonly Lang[] = ['en', 'ja'];
export const LANGUAGE_STORAGE_KEY = 'phr.language';

function isLang(value: unknown): value is Lang {
  return value === 'en' || value === 'ja';
}

function storedLanguage(): Lang | null {
  try {
    const value = globalThis.localStorage?.getItem(LANGUAGE_STORAGE_KEY);
    return isLang(value) ? value : null;
  } catch {
    return null;
  }
}

/** The language to start in: the stored choice, else the browser's. */
export function detectLanguage(): Lang {
  const stored = storedLanguage();
  if (stored) return stored;
  const nav = globalThis.navigator;
  const preferred = nav?.languages?.[0] ?? nav?.language ?? 'en';
  return preferred.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** True once the user has chosen a language on this machine. */
export function hasStoredLanguage(): boolean {
  return storedLanguage() !== null;
}

const state = $state<{ lang: Lang }>({ lang: detectLanguage() });

void i18next.init({
  resources: { en: { translation: en }, ja: { translation: ja } },
  lng: state.lang,
  fallbackLng: 'en',
  supportedLngs: ['en', 'ja'],
  initAsync: false,
  // Svelte escapes every interpolated text itself; no {@html} is used.
  interpolation: { escapeValue: false },
  returnNull: false,
});

function applyDocumentLang(lang: Lang): void {
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}
applyDocumentLang(state.lang);

/** Translates `key` in the current language. */
export function t(key: string, options?: Record<string, unknown>): string {
  return i18next.t(key, { ...options, lng: state.lang }) as string;
}

/** True if `key` has a translation. */
export function hasKey(key: string): boolean {
  return i18next.exists(key, { lng: state.lang });
}

/** The current language. */
export function currentLang(): Lang {
  return state.lang;
}

/**
 * Switches the language, sets `<html lang>`, and (unless `persist` is
 * false) remembers the bare code in localStorage.
 */
export function setLanguage(lang: Lang, persist = true): void {
  state.lang = lang;
  void i18next.changeLanguage(lang);
  applyDocumentLang(lang);
  if (persist) {
    try {
      globalThis.localStorage?.setItem(LANGUAGE_STORAGE_KEY, lang);
    } catch {
      // Storage unavailable: the choice lasts for this session only.
    }
  }
}
