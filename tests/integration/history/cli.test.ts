import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { sampleRecord, tempDir } from '../../unit/history/support';

const t = tempDir('inspector-cli-history-');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), ...args], { encoding: 'utf8', env: { ...process.env, INSPECTOR_DATA_DIR: t.dir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('inspector history / audit / db', () => {
  beforeAll(() => {
    const s = HistoryStore.open(t.file, { synchronous: 'NORMAL' });
    s.createOperator({ id: 'kim', name: 'Kim', role: 'reviewer' });
    s.recordInferences(Array.from({ length: 12 }, (_, i) => sampleRecord(i)));
    s.recordReview({ runId: 4, operatorId: 'kim', decision: 'override', label: 'pneumonia', note: 'subtle' });
    s.close();
  });
  afterAll(() => t.cleanup());

  it('lists, filters, shows and summarises as JSON', () => {
    const list = cli('history', 'list', '--db', t.file, '--json', '--status', 'override', '--total');
    expect(list.code, list.err).toBe(0);
    const page = JSON.parse(list.out) as { rows: { runId: number; review: { label: string } }[]; total: number };
    expect(page.total).toBe(1);
    expect(page.rows.map((r) => [r.runId, r.review.label])).toEqual([[4, 'pneumonia']]);

    const show = cli('history', 'show', '4', '--db', t.file);
    expect(show.code).toBe(0);
    expect(show.out).toContain('override → pneumonia');
    expect(show.out).toContain('"subtle"');

    const stats = JSON.parse(cli('history', 'stats', '--db', t.file, '--json').out) as { daily: { runs: number }[]; agreement: { reviewed: number } };
    expect(stats.daily.reduce((a, d) => a + d.runs, 0)).toBe(12);
    expect(stats.agreement.reviewed).toBe(1);
  });

  it('uses the user data folder database by default and names a missing one', () => {
    // INSPECTOR_DATA_DIR points at the temp folder, whose inspector.sqlite is our test database.
    expect(JSON.parse(cli('history', 'list', '--json').out).rows).toHaveLength(12);
    const missing = cli('history', 'list', '--db', join(t.dir, 'nope.sqlite'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('HISTORY_NOT_FOUND');
    expect(cli('history', 'list', '--status', 'maybe', '--db', t.file).code).toBe(2);
  });

  it('backs up, verifies, detects tampering, and restores', () => {
    const backup = join(t.dir, 'backup.sqlite');
    expect(cli('db', 'backup', backup, '--db', t.file).code).toBe(0);
    expect(existsSync(backup)).toBe(true);
    const ok = cli('audit', 'verify', '--db', t.file);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^OK: 14 entries verified/);

    const db = new Database(t.file);
    db.exec("DROP TRIGGER reviews_no_update; UPDATE reviews SET label = 'normal' WHERE id = 1");
    db.close();
    const broken = cli('audit', 'verify', '--db', t.file, '--json');
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.out).firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', seq: 14, entity: 'review' });

    const restore = cli('db', 'restore', backup, '--db', t.file, '--operator', 'kim');
    expect(restore.code, restore.err).toBe(0);
    expect(cli('audit', 'verify', '--db', t.file).code).toBe(0);
    const show = cli('history', 'show', '4', '--db', t.file, '--json');
    expect(JSON.parse(show.out).reviews[0].label).toBe('pneumonia');
  });
});
