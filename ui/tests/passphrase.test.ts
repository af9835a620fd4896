import { describe, expect, it } from 'vitest';
import { MIN_PASSPHRASE_LENGTH, scorePassphrase } from '../src/lib/passphrase';

describe('passphrase strength', () => {
  it('requires the backend minimum of 12 characters', () => {
    expect(MIN_PASSPHRASE_LENGTH).toBe(12);
    const short = scorePassphrase('Zq7!kd9#');
    expect(short.meetsMinimum).toBe(false);
    expect(short.level).toBe('weak');
    expect(short.hints[0]).toBe('too_short');
    expect(scorePassphrase('abcdefghijk').meetsMinimum).toBe(false);
  });

  it('counts characters, not UTF-16 units', () => {
    // 12 kanji and kana: 12 characters.
    const japanese = scorePassphrase('春の海ひねもすのたりかな');
    expect(japanese.length).toBe(12);
    expect(japanese.meetsMinimum).toBe(true);
  });

  it('rates repeated characters and repeating units as weak', () => {
    expect(scorePassphrase('aaaaaaaaaaaaaaaa').level).toBe('weak');
    expect(scorePassphrase('abcabcabcabc').level).toBe('weak');
    expect(scorePassphrase('aaaaaaaaaaaaaaaa').hints).toContain('repeats');
  });

  it('rates sequences and well-known passwords as weak', () => {
    const sequence = scorePassphrase('abcdefghijklmnop');
    expect(sequence.level).toBe('weak');
    expect(sequence.hints).toContain('sequences');
    const common = scorePassphrase('password12345678');
    expect(common.level).toBe('weak');
    expect(common.hints).toContain('common');
    expect(scorePassphrase('qwertyuiop123').hints).toContain('sequences');
  });

  it('rates a long single-class phrase as fair', () => {
    expect(scorePassphrase('correcthorsebattery').level).toBe('fair');
  });

  it('rates long, varied or many-word phrases as strong', () => {
    expect(scorePassphrase('Correct-Horse-Battery-42').level).toBe('strong');
    expect(scorePassphrase('tsuki to hoshi no yoru ni').level).toBe('strong');
  });

  it('gains strength as the same phrase grows', () => {
    const a = scorePassphrase('maple river');
    const b = scorePassphrase('maple river lantern');
    const c = scorePassphrase('maple river lantern 7 Otter!');
    expect(a.points).toBeLessThan(b.points);
    expect(b.points).toBeLessThan(c.points);
    expect(c.level).toBe('strong');
  });
});
