/**
 * A pack label's standard code (pack.yaml `labels[].code`, `category`): the concept the SR finding
 * and the SEG segment carry instead of our private 99INSPECTOR code. A good code loads and is what
 * `labelCodings` hands the DICOM writers; a bad one (empty value or meaning, a designator DICOM
 * cannot carry, a value too long for SH, an unquoted number, a backslash) refuses the pack with
 * PACK_LABEL_CODE_INVALID naming the field, at load and at `pack check`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labelCodings } from '../../../src/core/dicomnet/objects/common';
import { checkPack } from '../../../src/core/packs/check';
import { loadPack } from '../../../src/core/packs/load';
import { repoRoot } from '../../support/paths';
import { classifierPack } from '../engine/support';

type Doc = Record<string, unknown> & { labels: Record<string, unknown>[] };

function withLabels(dir: string, original: string, edit: (doc: Doc) => void): void {
  const doc = parse(original) as Doc;
  edit(doc);
  writeFileSync(join(dir, 'pack.yaml'), stringify(doc));
}

const pneumonia = { scheme: 'SCT', value: '233604007', meaning: 'Pneumonia' };

describe('pack label codes', () => {
  let dir: string;
  let original: string;
  beforeAll(async () => {
    dir = (await classifierPack('resnet-mini')).dir;
    original = readFileSync(join(dir, 'pack.yaml'), 'utf8');
  });

  it('a label with a standard code and category loads; labelCodings gives the DICOM codes, uncoded labels absent', () => {
    withLabels(dir, original, (m) => {
      m.labels[1]!['code'] = pneumonia;
      m.labels[1]!['category'] = { scheme: 'SCT', value: '49755003', meaning: 'Morphologically Abnormal Structure' };
      m.labels[2]!['code'] = { scheme: '99ACME', value: 'dent', meaning: 'Dent' };
    });
    const { manifest } = loadPack(dir);
    expect(manifest.labels.map((l) => l.code?.value ?? null)).toEqual([null, '233604007', 'dent']);
    expect(labelCodings(manifest.labels)).toEqual({
      scratch: {
        code: { CodeValue: '233604007', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Pneumonia' },
        category: { CodeValue: '49755003', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Morphologically Abnormal Structure' },
      },
      dent: { code: { CodeValue: 'dent', CodingSchemeDesignator: '99ACME', CodeMeaning: 'Dent' } },
    });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['empty value', { ...pneumonia, value: '' }, /labels\.1\.code\.value: a code value must not be empty/],
    ['blank meaning', { ...pneumonia, meaning: '   ' }, /labels\.1\.code\.meaning: a code meaning must not be empty/],
    ['no meaning', { scheme: 'SCT', value: '233604007' }, /labels\.1\.code\.meaning/],
    ['lower-case designator', { ...pneumonia, scheme: 'sct' }, /labels\.1\.code\.scheme: a coding scheme designator/],
    ['designator with a space', { ...pneumonia, scheme: 'SNOMED CT' }, /labels\.1\.code\.scheme/],
    ['designator over 16 characters', { ...pneumonia, scheme: '99ABCDEFGHIJKLMNO' }, /labels\.1\.code\.scheme/],
    ['value over 16 characters (SH)', { ...pneumonia, value: '12345678901234567' }, /labels\.1\.code\.value: a code value holds at most 16 characters/],
    ['unquoted number', { ...pneumonia, value: 233604007 }, /labels\.1\.code\.value: a code value is a quoted string/],
    ['backslash in the meaning', { ...pneumonia, meaning: 'Pneumonia\\Lung' }, /labels\.1\.code\.meaning: a code meaning must not hold a backslash/],
    ['value padded with spaces', { ...pneumonia, value: ' 233604007' }, /labels\.1\.code\.value: a code value must not start or end with spaces/],
    ['an unknown key', { ...pneumonia, version: '2024' }, /labels\.1\.code/],
  ];

  it.each(bad)('%s: PACK_LABEL_CODE_INVALID naming the field', (_what, code, message) => {
    withLabels(dir, original, (m) => (m.labels[1]!['code'] = code));
    let err: unknown;
    try {
      loadPack(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'PACK_LABEL_CODE_INVALID' });
    expect((err as Error).message).toMatch(message);
  });

  it('a bad category has the same code; pack check reports it; an unrelated error as well is PACK_MANIFEST_INVALID', async () => {
    withLabels(dir, original, (m) => (m.labels[2]!['category'] = { scheme: 'SCT', value: '49755003', meaning: '' }));
    expect(() => loadPack(dir)).toThrow(expect.objectContaining({ code: 'PACK_LABEL_CODE_INVALID', message: expect.stringMatching(/labels\.2\.category\.meaning/) }));
    const checked = await checkPack(dir);
    expect(checked.ok).toBe(false);
    expect(checked.error?.code).toBe('PACK_LABEL_CODE_INVALID');

    withLabels(dir, original, (m) => {
      m.labels[1]!['code'] = { ...pneumonia, value: '' };
      m['version'] = '';
    });
    expect(() => loadPack(dir)).toThrow(expect.objectContaining({ code: 'PACK_MANIFEST_INVALID', message: expect.stringMatching(/labels\.1\.code\.value.*version|version.*labels\.1\.code\.value/) }));
  });

  it('the shipped chest pack codes its labels in SNOMED CT', () => {
    const { manifest } = loadPack(join(repoRoot, 'models', 'chest-xray-pneumonia'));
    expect(manifest.labels.map((l) => [l.id, l.code])).toEqual([
      ['normal', { scheme: 'SCT', value: '17621005', meaning: 'Normal' }],
      ['pneumonia', pneumonia],
    ]);
    // Industrial packs have no standard concept for their defects: their labels stay private.
    for (const pack of ['battery-ct-porosity', 'surface-pitting-ae', 'surface-pitting-seg', 'defects-grounding']) {
      const text = readFileSync(join(repoRoot, 'models', pack, 'pack.yaml'), 'utf8');
      const labels = ((parse(text) as Doc).labels ?? []) as { code?: unknown }[];
      expect(labels.every((l) => l.code === undefined), pack).toBe(true);
    }
  });
});
