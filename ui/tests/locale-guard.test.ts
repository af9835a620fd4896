import { describe, expect, it } from 'vitest';
import { guardNavigatorLanguage, validLanguageTags } from '../src/lib/locale-guard';

function fakeNavigator(language: string, languages: string[]): Navigator {
  return { language, languages } as unknown as Navigator;
}

describe('locale guard', () => {
  it('keeps only tags Intl accepts', () => {
    expect(validLanguageTags(['C', 'ja-JP', 'c', 'en'])).toEqual(['ja-JP', 'en']);
  });

  it('replaces the C locale WebKitGTK reports with en-US', () => {
    const nav = fakeNavigator('C', ['C']);
    expect(guardNavigatorLanguage(nav)).toBe(true);
    expect(nav.language).toBe('en-US');
    expect(nav.languages).toEqual(['en-US']);
    expect(() => new Intl.NumberFormat(nav.language)).not.toThrow();
  });

  it('drops invalid tags and keeps the valid ones in order', () => {
    const nav = fakeNavigator('C', ['C', 'ja-JP']);
    expect(guardNavigatorLanguage(nav)).toBe(true);
    expect(nav.language).toBe('ja-JP');
    expect(nav.languages).toEqual(['ja-JP']);
  });

  it('leaves valid languages alone', () => {
    const nav = fakeNavigator('ja-JP', ['ja-JP', 'en-US']);
    expect(guardNavigatorLanguage(nav)).toBe(false);
    expect(nav.language).toBe('ja-JP');
    expect(guardNavigatorLanguage(undefined)).toBe(false);
  });
});
