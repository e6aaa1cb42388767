import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createPack, type CreateOptions } from '../../../src/core/packs/create';
import { repoRoot, testOutput } from '../../support/paths';

export const fixtures = join(repoRoot, 'tests', 'fixtures', 'packs');
export const onnxDir = join(fixtures, 'onnx');
export const imageDir = join(fixtures, 'images');
export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export function scratch(name: string): string {
  const dir = join(testOutput, 'engine', `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function readRef<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(join(onnxDir, file), 'utf8')) as T;
}

export async function classifierPack(model: string, extra: Partial<CreateOptions> = {}) {
  return createPack({
    onnx: join(onnxDir, `${model}.onnx`),
    kind: 'classifier',
    labels: ['ok', 'scratch', 'dent'],
    ...IMAGENET,
    out: scratch(model),
    ...extra,
  });
}

export function minMax(v: ArrayLike<number>): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]!);
    hi = Math.max(hi, v[i]!);
  }
  return Array.from(v, (x) => (x - lo) / (1e-7 + hi - lo));
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
