// Where the demo grounding pack loses PCB mAP (docs/GROUNDING.md "PCB mAP against the issue's
// 0.63"): on the DeepPCB test split, with the card's prompt and thresholds, each ground-truth box's
// best-overlapping prediction (IoU ≥ 0.5, any phrase, score ≥ the pack's shipped box threshold
// 0.3): found at all (localised), and under which phrase (named). A defect found but under another
// type's phrase costs per-class AP while class-agnostic AP keeps it.
//   node --import tsx scripts/bench/grounding/confusion.ts
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine } from '../../../src/core/engine/engine';
import { loadPack } from '../../../src/core/packs/load';

const root = resolve(import.meta.dirname, '..', '..', '..');
const deeppcb = resolve(root, '..', 'shared', 'data', 'deeppcb');
const packDir = join(root, 'models', 'defects-grounding');
const card = JSON.parse(readFileSync(join(packDir, 'evaluation.json'), 'utf8')) as { prompt: string; phrases: Record<string, string>; box_threshold: number; text_threshold: number };
const shipped = loadPack(packDir);
const minScore = shipped.manifest.grounding!.boxThreshold;
const lines = readFileSync(join(deeppcb, 'test.txt'), 'utf8').split('\n').filter((l) => l.trim());
type Box = { label: string; x: number; y: number; width: number; height: number; score?: number };
const truth = new Map<string, Box[]>();
for (const line of lines) {
  const [img, ann] = line.split(/\s+/) as [string, string];
  const boxes = readFileSync(join(deeppcb, ann), 'utf8').split('\n').map((r) => r.replace(/,/g, ' ').trim().split(/\s+/).map(Number)).filter((v) => v.length === 5);
  truth.set(join(deeppcb, img.replace(/\.jpg$/, '_test.jpg')), boxes.map(([x1, y1, x2, y2, t]) => ({ label: card.phrases[String(t)]!, x: x1!, y: y1!, width: x2! - x1!, height: y2! - y1! })));
}
const iou = (a: Box, b: Box) => {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const i = w * h;
  return i / (a.width * a.height + b.width * b.height - i);
};
const engine = new Engine();
const results = await engine.inspectFiles(shipped, [...truth.keys()], { grounding: { prompt: card.prompt, boxThreshold: card.box_threshold, textThreshold: card.text_threshold } });
await engine.close();
const phrases = Object.values(card.phrases).filter((p) => p !== 'porosity' && p !== 'pitting');
const table: Record<string, Record<string, number>> = {};
for (const r of results) {
  const preds = (r.detections ?? []).filter((d) => d.score >= minScore);
  for (const g of truth.get(r.source) ?? []) {
    let best: Box | undefined;
    let bi = 0.5;
    for (const p of preds) {
      const v = iou(g, p);
      if (v >= bi) [best, bi] = [p, v];
    }
    const row = (table[g.label] ??= {});
    const k = best ? best.label : 'missed';
    row[k] = (row[k] ?? 0) + 1;
  }
}
process.stdout.write(`DeepPCB test, ${results.length} images; per ground-truth box: best prediction at IoU >= 0.5 with score >= ${minScore}, by phrase\n`);
process.stdout.write(`${'truth'.padEnd(16)} ${'n'.padStart(4)} ${'found'.padStart(6)} ${'named'.padStart(6)}  ${[...phrases, 'missed'].map((p) => p.slice(0, 10).padStart(10)).join(' ')}\n`);
for (const label of phrases) {
  const row = table[label] ?? {};
  const n = Object.values(row).reduce((a, b) => a + b, 0);
  const found = n - (row['missed'] ?? 0);
  process.stdout.write(`${label.padEnd(16)} ${String(n).padStart(4)} ${(found / n).toFixed(3).padStart(6)} ${((row[label] ?? 0) / n).toFixed(3).padStart(6)}  ${[...phrases, 'missed'].map((p) => String(row[p] ?? 0).padStart(10)).join(' ')}\n`);
}
