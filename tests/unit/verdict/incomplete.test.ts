/**
 * No verdict without evidence, as pure rules: a case with any failed image is INCOMPLETE (or, by
 * configuration, a defect) whatever the inspected images say; settings that would let it pass are
 * refused by code. And case identity: folders are named by their full path, so two same-named
 * folders are two cases, however the inputs were given.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupCases, pathKey } from '../../../src/core/verdict/cases';
import { parseConfig } from '../../../src/core/verdict/config';
import { integrate, withFailures, type FailedImage, type SideResult } from '../../../src/core/verdict/verdict';

const pass = (s: number): SideResult => ({ defectScore: s, decision: 'pass', drivingLabel: 'normal' });
const defect = (s: number): SideResult => ({ defectScore: s, decision: 'defect', drivingLabel: 'porosity' });
const failed: FailedImage[] = [
  { source: '/p/empty.png', code: 'IMAGE_EMPTY_FILE', message: 'The file is empty.', side: 'internal' },
  { source: '/p/cut.png', code: 'IMAGE_DECODE_FAILED', message: 'cut short', side: 'internal' },
];

function refusal(text: string): { code?: string; message?: string } {
  try {
    parseConfig(text, 'inspector.yaml');
  } catch (e) {
    return e as { code?: string; message?: string };
  }
  return {};
}

describe('INCOMPLETE: no verdict without evidence', () => {
  const dflt = parseConfig('');

  it('a case whose inspected images all pass, with one failed image, is INCOMPLETE and lists the failures', () => {
    const v = withFailures(integrate({ internal: pass(0.01) }, dflt.config, dflt.sha256), failed, dflt.config);
    expect(v.verdict).toBe('INCOMPLETE');
    expect(v.inspectedVerdict).toBe('PASS');
    expect(v.failedImages!.map((f) => [f.source, f.code])).toEqual([
      ['/p/empty.png', 'IMAGE_EMPTY_FILE'],
      ['/p/cut.png', 'IMAGE_DECODE_FAILED'],
    ]);
    expect(v.drivingSide).toBeUndefined();
  });

  it('every method: never PASS with a failure, even when nothing at all was inspected', () => {
    for (const text of ['', 'verdict: { method: voting }', 'verdict:\n  method: rule_based\n  rules:\n    - { when: { internal: any }, verdict: PASS }\n']) {
      const c = parseConfig(text);
      expect(integrate({ internal: pass(0.0) }, c.config, c.sha256).verdict).toBe('PASS');
      expect(withFailures(integrate({ internal: pass(0.0) }, c.config, c.sha256), failed, c.config).verdict, text).toBe('INCOMPLETE');
      expect(withFailures(integrate({}, c.config, c.sha256), failed, c.config).verdict, text).toBe('INCOMPLETE');
    }
  });

  it('with no failures the verdict is untouched', () => {
    const v = integrate({ internal: defect(0.9) }, dflt.config, dflt.sha256);
    expect(withFailures(v, [], dflt.config)).toBe(v);
  });

  it('verdict.incomplete: DEFECT rejects the part: the inspected defect if found, else the failed side', () => {
    const strict = parseConfig('verdict:\n  incomplete: DEFECT\n');
    const onPass = withFailures(integrate({ internal: pass(0.01), external: pass(0.02) }, strict.config, strict.sha256), failed, strict.config);
    expect(onPass).toMatchObject({ verdict: 'INTERNAL_DEFECT', drivingSide: 'internal', inspectedVerdict: 'PASS' });
    expect(onPass.failedImages).toHaveLength(2);
    const both = withFailures(integrate({}, strict.config, strict.sha256), [...failed, { source: '/p/rgb.jpg', code: 'IMAGE_DECODE_FAILED', message: 'x', side: 'external' }], strict.config);
    expect(both.verdict).toBe('COMBINED_DEFECT');
    const found = withFailures(integrate({ external: defect(0.95) }, strict.config, strict.sha256), failed, strict.config);
    expect(found).toMatchObject({ verdict: 'EXTERNAL_DEFECT', drivingClass: 'porosity', inspectedVerdict: 'EXTERNAL_DEFECT' });
  });

  it('a config that would make an incomplete case PASS (or merely UNCERTAIN) is refused with a coded error', () => {
    for (const lenient of ['PASS', 'UNCERTAIN', 'pass', 'OK', 'true']) {
      const e = refusal(`verdict:\n  incomplete: ${lenient}\n`);
      expect(e.code, lenient).toBe('CONFIG_INCOMPLETE_NOT_STRICTER');
      expect(e.message).toContain('verdict.incomplete');
    }
    expect(parseConfig('verdict:\n  incomplete: INCOMPLETE\n').config.verdict.incomplete).toBe('INCOMPLETE');
    expect(parseConfig('').config.verdict.incomplete).toBe('INCOMPLETE');
    expect(parseConfig('verdict:\n  incomplete: NG\n').config.verdict.incomplete).toBe('DEFECT'); // the line's word for it
    // A rule cannot produce INCOMPLETE (or dodge it): INCOMPLETE only comes from failed images.
    expect(refusal('verdict:\n  method: rule_based\n  rules:\n    - { when: { internal: any }, verdict: INCOMPLETE }\n').code).toBe('CONFIG_INVALID');
  });
});

describe('case identity', () => {
  const cfg = parseConfig('').config;

  it('same-named folders under different parents are different cases, whatever base the inputs had', () => {
    const a = '/data/lineA/images/part.png';
    const b = '/data/lineB/images/part.png';
    // Two runs, each given its own folder (the case): the keys differ.
    const runA = groupCases([a], cfg, '/data/lineA/images');
    const runB = groupCases([b], cfg, '/data/lineB/images');
    expect(runA.map((c) => c.id)).toEqual(['/data/lineA/images']);
    expect(runB.map((c) => c.id)).toEqual(['/data/lineB/images']);
    // One run over both: two cases, the same keys as the separate runs (stable).
    expect(groupCases([a, b], cfg, '/data').map((c) => c.id)).toEqual(['/data/lineA/images', '/data/lineB/images']);
    expect(groupCases([a], cfg, '/').map((c) => c.id)).toEqual(runA.map((c) => c.id));
  });

  it('a key never depends on the working directory or on how a path was spelled', () => {
    const cwd = process.cwd();
    try {
      process.chdir('/tmp');
      const k1 = groupCases([join('/data', 'x', '..', 'lineA', 'images', 'p.png')], cfg).map((c) => c.id);
      process.chdir('/');
      const k2 = groupCases(['/data/lineA/images/p.png'], cfg).map((c) => c.id);
      expect(k1).toEqual(['/data/lineA/images']);
      expect(k2).toEqual(k1);
    } finally {
      process.chdir(cwd);
    }
    expect(pathKey('/a/b/../c')).toBe('/a/c');
  });

  it('a serial names the part itself; files that match no serial keep their full path', () => {
    const pat = parseConfig('cases:\n  groupBy: pattern\n  pattern: "{serial}_{view}.{ext}"\n').config;
    const ids = groupCases(['/lineA/S1_ct.png', '/lineB/S1_rgb.png', '/lineA/stray.png', '/lineB/stray.png'], pat).map((c) => c.id);
    expect(ids).toEqual(['S1', 'unmatched:/lineA/stray.png', 'unmatched:/lineB/stray.png']);
  });
});
