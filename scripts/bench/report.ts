/**
 * PDF audit report: wall time and peak memory (maxRSS of a fresh process per run) of a report
 * whose footers say "page N of M" (pdfkit holds every page until the end: `bufferPages`) against
 * the streamed report ("page N", the count on the last line) measured in the same run, at a few
 * history sizes (INSPECTOR_BENCH_REPORT_N, default "2000,20000"). It shows where the buffered
 * report stops being cheap, which is what `BUFFER_PAGES_UP_TO` is set from. A third row: the
 * streamed report as PDF/A-2b (Latin text in an embedded TrueType font instead of Helvetica).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { HistoryStore, type InferenceRecord } from '../../src/core/history/index';
import { auditReport } from '../../src/core/reports/index';

const child = process.argv[2];
if (child) {
  // Child: one report over the given database, then its figures as JSON.
  const [db, mode, out] = [process.argv[3]!, child, process.argv[4]!];
  const store = HistoryStore.open(db);
  const t0 = performance.now();
  await auditReport(store, {}, 'bench', { out, bufferPagesUpTo: mode === 'buffered' ? Number.MAX_SAFE_INTEGER : 0, thumbnails: false, pdfa: mode === 'pdfa' });
  const ms = performance.now() - t0;
  store.close();
  process.stdout.write(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, bytes: statSync(out).size }) + '\n');
  process.exit(0);
}

function record(i: number): InferenceRecord {
  const score = ((i * 37) % 100) / 100;
  return {
    case: { key: `SN-${String(100000 + Math.floor(i / 2))}`, kind: 'part', line: 'L1', station: 'ST2' },
    image: { sourcePath: `/line/images/img_${i}.png`, sha256: i.toString(16).padStart(64, '0'), format: 'png', modality: 'xray', width: 384, height: 384, validation: { outcome: 'ok' } },
    pack: { name: 'chest', version: '1.0.0', fileHashes: { 'model.onnx': 'a'.repeat(64) } },
    provider: 'cpu',
    verdict: score >= 0.5 ? 'pneumonia' : 'normal',
    score,
    threshold: 0.5,
    probabilities: { normal: 1 - score, pneumonia: score },
    regions: [],
    explanation: null,
    timings: { inferenceMs: 40 },
    configHash: null,
    createdAt: Date.UTC(2025, 0, 1) + i * 1000,
  };
}

const sizes = (process.env['INSPECTOR_BENCH_REPORT_N'] ?? '2000,20000').split(',').map(Number);
const dir = mkdtempSync(join(os.tmpdir(), 'inspector-bench-report-'));
const self = new URL(import.meta.url).pathname;
const run = (mode: string, db: string) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, mode, db, join(dir, `${mode}.pdf`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ms: number; maxRssMb: number; bytes: number };
};
try {
  console.log('runs      mode       time (s)  peak RSS (MB)  PDF (MB)   time ratio  RSS ratio');
  for (const n of sizes) {
    const db = join(dir, `h${n}.sqlite`);
    const store = HistoryStore.open(db);
    store.createOperator({ id: 'bench', name: 'Bench', role: 'supervisor' });
    for (let i = 0; i < n; i += 1000) store.recordInferences(Array.from({ length: Math.min(1000, n - i) }, (_, k) => record(i + k)));
    store.close();
    const streamed = run('streamed', db);
    const buffered = run('buffered', db);
    const pdfa = run('pdfa', db);
    for (const [mode, m] of [['streamed', streamed], ['buffered', buffered], ['pdfa', pdfa]] as const) {
      console.log(
        `${String(n).padEnd(9)} ${mode.padEnd(10)} ${(m.ms / 1000).toFixed(2).padStart(8)}  ${m.maxRssMb.toFixed(0).padStart(13)}  ${(m.bytes / 2 ** 20).toFixed(1).padStart(8)}   ${(m.ms / streamed.ms).toFixed(2).padStart(10)}  ${(m.maxRssMb / streamed.maxRssMb).toFixed(2).padStart(9)}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
