import { describe, expect, it } from 'vitest';
import { en } from '../../../src/renderer/src/i18n/en';
import { ko } from '../../../src/renderer/src/i18n/ko';

describe('UI text catalogues', () => {
  it('English and Korean have the same keys and no empty strings', () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of [...Object.entries(en), ...Object.entries(ko)]) expect(v.trim(), k).not.toBe('');
  });
  it('Korean is actually translated (Hangul in every sentence-like entry)', () => {
    const untranslated = Object.entries(ko).filter(([k, v]) => !k.startsWith('lang.') && !/[\uac00-\ud7a3]/.test(v));
    expect(untranslated).toEqual([]);
  });
});
