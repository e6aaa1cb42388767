/**
 * Hostile input: a few hundred mutations (truncation, byte flips, splices of two files) of real
 * shared files. Each must end as a decoded image of sane shape or a coded InspectorError, within a
 * generous per-file bound — never a crash, a hang or an uncoded exception.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImageBytes } from '../../../src/core/imaging';
import { hasShared, sharedData } from '../../support/paths';

/** Deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sources(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (statSync(p).size < 400_000 && /\.(dcm|png|jpg)$|_dfl$|J2KR$/.test(n)) out.push(p);
    }
  };
  walk(join(sharedData, 'dicom'));
  return out;
}

/** Seconds one mutated file may take; generous for a 2-core CI box, still proof of no hang. */
const PER_FILE_SECONDS = 20;

describe.skipIf(!hasShared)('fuzzed inputs end decoded or with a coded error', () => {
  it('300 mutations of shared files', async () => {
    const files = sources();
    expect(files.length).toBeGreaterThan(50);
    const rand = rng(20251121);
    const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]!;
    const tally: Record<string, number> = {};
    const problems: string[] = [];
    let slowest = 0;
    for (let i = 0; i < 300; i++) {
      const name = pick(files);
      const base = readFileSync(name);
      let bytes: Buffer;
      let how: string;
      const kind = i % 3;
      if (kind === 0) {
        const cut = Math.floor(rand() * base.length);
        bytes = base.subarray(0, cut);
        how = `truncate@${cut}`;
      } else if (kind === 1) {
        bytes = Buffer.from(base);
        const flips = 1 + Math.floor(rand() * 16);
        // Half the flips land in the first 2 KiB, where headers and lengths live.
        for (let k = 0; k < flips; k++) {
          const at = Math.floor(rand() * (rand() < 0.5 ? Math.min(2048, bytes.length) : bytes.length));
          bytes[at] = Math.floor(rand() * 256);
        }
        how = `flip×${flips}`;
      } else {
        const other = readFileSync(pick(files));
        const a = Math.floor(rand() * base.length);
        const b = Math.floor(rand() * other.length);
        bytes = Buffer.concat([base.subarray(0, a), other.subarray(b)]);
        how = `splice@${a}+${b}`;
      }
      const t0 = performance.now();
      let result: string;
      try {
        const file = await loadImageBytes(bytes);
        const ok = file.frames.length > 0 && file.frames.every((f) => f.stored.length === f.width * f.height * f.channels);
        result = ok ? 'decoded' : 'BAD_SHAPE';
        if (!ok) problems.push(`${name} ${how}: decoded to an inconsistent shape`);
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        result = typeof code === 'string' && /^(IMAGE|DICOM)_[A-Z_]+$/.test(code) ? code : 'UNCODED';
        if (result === 'UNCODED') problems.push(`${name} ${how}: uncoded ${(e as Error)?.stack ?? String(e)}`);
      }
      const seconds = (performance.now() - t0) / 1000;
      slowest = Math.max(slowest, seconds);
      if (seconds > PER_FILE_SECONDS) problems.push(`${name} ${how}: took ${seconds.toFixed(1)} s`);
      tally[result] = (tally[result] ?? 0) + 1;
    }
    console.log('fuzz outcomes', tally, `slowest ${slowest.toFixed(2)} s`);
    expect(problems).toEqual([]);
  });
});
