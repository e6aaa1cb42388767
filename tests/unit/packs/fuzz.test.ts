/**
 * Hostile packs: a real pack's manifest and model mutated 150 ways (fields dropped, retyped or
 * swapped, labels duplicated or cut, files pointing elsewhere or at links, model bytes flipped or
 * truncated). Each load must end as a loaded pack or a coded error (PACK_* / ONNX_*), within a
 * generous bound — never a crash, a hang or an uncoded exception.
 */
import { copyFileSync, cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadPack } from '../../../src/core/packs/load';
import { classifierPack, scratch } from '../engine/support';

function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PER_PACK_MS = 10_000;

describe('fuzzed packs end loaded or with a coded error', () => {
  it('150 mutations of a real pack', async () => {
    const base = await classifierPack('resnet-mini');
    const manifest = parse(readFileSync(join(base.dir, 'pack.yaml'), 'utf8')) as Record<string, unknown>;
    const model = readFileSync(join(base.dir, base.manifest.model));
    const rand = rng(20261201);
    const pick = <T>(a: readonly T[]) => a[Math.floor(rand() * a.length)]!;
    const outside = join(scratch('pack-fuzz-outside'), 'elsewhere.onnx');
    copyFileSync(join(base.dir, base.manifest.model), outside);
    const tally: Record<string, number> = {};
    const problems: string[] = [];
    const work = scratch('pack-fuzz');
    for (let i = 0; i < 150; i++) {
      const dir = join(work, `p${i}`);
      cpSync(base.dir, dir, { recursive: true });
      const m = structuredClone(manifest);
      const labels = m['labels'] as Record<string, unknown>[];
      const how = pick(['drop', 'retype', 'dupLabel', 'cutLabels', 'addLabel', 'outputName', 'filesOut', 'filesLink', 'modelFlip', 'modelCut', 'modelLinkDir', 'activation'] as const);
      switch (how) {
        case 'drop':
          delete m[pick(Object.keys(m))];
          break;
        case 'retype':
          m[pick(Object.keys(m))] = pick([0, 'x', [], {}, null, true, -1e308]);
          break;
        case 'dupLabel':
          labels.push({ ...labels[0]! });
          break;
        case 'cutLabels':
          m['labels'] = labels.slice(0, Math.floor(rand() * labels.length));
          break;
        case 'addLabel':
          labels.push({ id: `extra${i}`, display: { en: 'x' }, severity: 'high' });
          break;
        case 'outputName':
          (m['outputs'] as Record<string, unknown>[])[0]!['name'] = pick(['', 'nope', '../x', 'logits\0']);
          break;
        case 'filesOut':
          m['model'] = pick(['../elsewhere.onnx', '/etc/passwd', 'sub/../../x.onnx']);
          break;
        case 'filesLink':
          rmSync(join(dir, base.manifest.model));
          symlinkSync(outside, join(dir, base.manifest.model));
          break;
        case 'modelFlip': {
          const bytes = Buffer.from(model);
          for (let f = 0; f < 1 + Math.floor(rand() * 32); f++) {
            const at = Math.floor(rand() * bytes.length);
            bytes[at] = bytes[at]! ^ (1 << Math.floor(rand() * 8));
          }
          writeFileSync(join(dir, base.manifest.model), bytes);
          // Re-hash so the graph parser, not the hash check, meets the damage.
          const { createHash } = await import('node:crypto');
          (m['files'] as Record<string, string>)[base.manifest.model] = createHash('sha256').update(bytes).digest('hex');
          break;
        }
        case 'modelCut':
          writeFileSync(join(dir, base.manifest.model), model.subarray(0, Math.floor(rand() * model.length)));
          break;
        case 'modelLinkDir':
          rmSync(join(dir, base.manifest.model));
          symlinkSync(dir, join(dir, base.manifest.model));
          break;
        case 'activation':
          m['decision'] = { ...(m['decision'] as object), activation: pick(['sigmoid', 'none', 'relu']) };
          break;
      }
      writeFileSync(join(dir, 'pack.yaml'), stringify(m));
      const t0 = performance.now();
      let outcome: string;
      try {
        loadPack(dir);
        outcome = 'loaded';
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        outcome = typeof code === 'string' ? code : 'UNCODED';
        if (!/^(PACK_|ONNX_)/.test(outcome)) problems.push(`${i} ${how}: ${outcome} ${(e as Error).message}`);
      }
      const ms = performance.now() - t0;
      if (ms > PER_PACK_MS) problems.push(`${i} ${how}: ${ms.toFixed(0)} ms`);
      tally[`${how}:${outcome}`] = (tally[`${how}:${outcome}`] ?? 0) + 1;
    }
    expect(problems).toEqual([]);
    // The hostile cases that must never load.
    for (const k of Object.keys(tally)) {
      if (/^(dupLabel|cutLabels|addLabel|filesOut|filesLink|modelCut|modelLinkDir):/.test(k)) expect(k).not.toMatch(/:loaded$/);
    }
    expect(Object.keys(tally).some((k) => k.startsWith('filesLink:PACK_FILE_OUTSIDE'))).toBe(true);
  }, 180_000);
});
