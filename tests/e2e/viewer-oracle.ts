/**
 * Independent expectations for the viewer E2E tests, written from the specifications rather than
 * imported from the renderer: DICOM PS3.3 C.11.2.1.2.1 LINEAR, OHIF's drag sensitivity, and the
 * OpenCV colour tables the renderer ships (read from the generated file's text).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';

export function voiLinear(x: number, { center: c, width: w }: { center: number; width: number }): number {
  if (x <= c - 0.5 - (w - 1) / 2) return 0;
  if (x > c - 0.5 + (w - 1) / 2) return 255;
  return Math.round(((x - (c - 0.5)) / (w - 1) + 0.5) * 255);
}

/** OHIF WindowLevelTool: 4 × dynamic range / 1024 per screen pixel, rounded above 1. */
export function dragSensitivity(min: number, max: number): number {
  const m = (4 * Math.max(1, max - min)) / 1024;
  return m > 1 ? Math.round(m) : m;
}

const tables = new Map<string, Uint8Array>();
export function colourAt(name: 'turbo' | 'jet' | 'inferno' | 'cividis', n: number): [number, number, number] {
  if (!tables.size) {
    const text = readFileSync(join(repoRoot, 'src', 'renderer', 'src', 'viewer', 'colormaps.generated.ts'), 'utf8');
    for (const m of text.matchAll(/(\w+): '([0-9a-f]{1536})'/g)) tables.set(m[1]!, Uint8Array.from(m[2]!.match(/../g)!.map((h) => parseInt(h, 16))));
  }
  const t = tables.get(name)!;
  const i = Math.max(0, Math.min(255, Math.round(n * 255))) * 3;
  return [t[i]!, t[i + 1]!, t[i + 2]!];
}
