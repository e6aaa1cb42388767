import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { HistoryStore, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../unit/history/support';

const writer = join(import.meta.dirname, 'fixtures', 'writer.ts');

interface Round {
  lines: string[];
  signal: NodeJS.Signals | null;
}

/** Starts the writer and SIGKILLs it `afterMs` after it said ready (or, if negative, that long after spawn). */
function runAndKill(file: string, seed: number, afterMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, file, String(seed)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    const kill = () => child.kill('SIGKILL');
    if (afterMs < 0) setTimeout(kill, -afterMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!armed && afterMs >= 0 && out.includes('ready\n')) {
        armed = true;
        setTimeout(kill, afterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer ended without being killed: ${signal ?? _code} ${err.slice(0, 2000)}`));
      else resolve({ lines: out.split('\n').filter(Boolean), signal });
    });
  });
}

describe('crash safety: a writer killed mid-write, repeatedly', () => {
  const t = tempDir('inspector-crash-');
  afterAll(() => t.cleanup());

  it('leaves a database that opens, verifies, and holds every committed record whole', async () => {
    let seed = 20250101;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const committedRuns = new Set<number>();
    const committedReviews = new Map<number, number>();
    const committedErrors = new Set<number>();
    const blobs = new Map<number, string>();
    // The first round may die while the schema is still being created.
    const delays = [-300 - Math.floor(rnd() * 400), ...Array.from({ length: 6 }, () => Math.floor(rnd() * 700))];
    for (const [round, delay] of delays.entries()) {
      const { lines } = await runAndKill(t.file, round + 1, delay);
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'run') {
          committedRuns.add(Number(a));
          blobs.set(Number(a), b!);
        } else if (kind === 'batch') for (let id = Number(a); id <= Number(b); id++) committedRuns.add(id);
        else if (kind === 'review') committedReviews.set(Number(a), Number(b));
        else if (kind === 'error') committedErrors.add(Number(a));
      }

      // After every kill: the file is sound, opens, and the chain verifies against its anchor.
      const raw = new Database(t.file);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
      const s = HistoryStore.open(t.file);
      const report = verifyAudit(s.db, readAnchor(t.file));
      expect(report.firstBreak, `round ${round}`).toBeNull();
      const runIds = new Set(s.db.prepare('SELECT id FROM inference_runs').pluck().all() as number[]);
      for (const id of committedRuns) expect(runIds.has(id), `run ${id} after round ${round}`).toBe(true);
      for (const [id, runId] of committedReviews) expect(s.db.prepare('SELECT run_id FROM reviews WHERE id = ?').pluck().get(id)).toBe(runId);
      for (const id of committedErrors) expect(s.db.prepare('SELECT 1 FROM errors WHERE id = ?').pluck().get(id)).toBe(1);
      // A committed run's heatmap file is whole too: it was renamed into place before the commit.
      for (const [runId, hash] of blobs) {
        const ex = JSON.parse(s.db.prepare('SELECT explanation FROM inference_runs WHERE id = ?').pluck().get(runId) as string) as { blob: string };
        expect(ex.blob).toBe(hash);
        expect(s.blobs.get(hash).byteLength).toBe(64 * 64 * 4);
      }
      // Every run is whole: its image and case exist and its aggregates add up.
      expect(s.db.prepare('SELECT count(*) FROM inference_runs r LEFT JOIN images i ON i.id = r.image_id WHERE i.id IS NULL').pluck().get()).toBe(0);
      expect(s.db.prepare('SELECT coalesce(sum(n), 0) FROM stat_daily').pluck().get()).toBe(runIds.size);
      s.close();
    }
    // The kills landed while real work was going on.
    expect(committedRuns.size).toBeGreaterThan(100);
  }, 180_000);
});
