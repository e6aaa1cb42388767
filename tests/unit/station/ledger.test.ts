/**
 * The ledger and the history agree after a crash: a case's runs, its station row and its outbox
 * message are one transaction (all or nothing), and the audit anchor is written only after that
 * transaction commits, so a kill -9 inside it can never look like a truncated chain.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryStore, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { LATEST_VERSION, MIGRATIONS } from '../../../src/core/history/migrations';
import { caseUid, StationLedger } from '../../../src/core/station/ledger';
import { buildResult, evaluationOf } from '../../../src/core/station/result';

function result(uid: string, serial: string) {
  return buildResult({
    resultId: `r-${serial}`,
    caseUid: uid,
    station: { id: 'ST01', line: 'L1' },
    serial,
    lot: null,
    views: ['ct', 'surface'],
    files: [],
    trigger: 'folder',
    report: null,
    runIds: [],
    startedAt: 0,
    inspectStart: 0,
    now: 1,
  });
}

describe('station ledger', () => {
  it('has its migration, applied by the latest schema', () => {
    // Found by name: other migrations may be appended after it (merge order decides numbers).
    const m = MIGRATIONS.find((x) => x.name === 'station cases and outbox');
    expect(m).toBeDefined();
    expect(m!.version).toBeLessThanOrEqual(LATEST_VERSION);
  });

  it('identifies a case by content, not names or order', () => {
    const a = caseUid('ST01', 'S1', [{ view: 'ct', sha256: 'aa' }, { view: 'surface', sha256: 'bb' }]);
    expect(caseUid('ST01', 'S1', [{ view: 'surface', sha256: 'bb' }, { view: 'ct', sha256: 'aa' }])).toBe(a);
    expect(caseUid('ST01', 'S1', [{ view: 'ct', sha256: 'ab' }, { view: 'surface', sha256: 'bb' }])).not.toBe(a);
    expect(caseUid('ST02', 'S1', [{ view: 'ct', sha256: 'aa' }, { view: 'surface', sha256: 'bb' }])).not.toBe(a);
  });

  it('maps verdicts to OPC 40001-101 evaluations; a case with no images is INCOMPLETE, never PASS', () => {
    expect(['PASS', 'INTERNAL_DEFECT', 'COMBINED_DEFECT', 'UNCERTAIN', 'INCOMPLETE'].map(evaluationOf)).toEqual(['OK', 'NotOK', 'NotOK', 'NotDecidable', 'NotDecidable']);
    const r = result('u0', 'S0');
    expect(r).toMatchObject({ verdict: 'INCOMPLETE', evaluation: 'NotDecidable', views: { missing: ['ct', 'surface'] } });
  });

  it('records runs, case and outbox together or not at all; anchors after the commit', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'station-ledger-'));
    const file = join(dir, 'h.sqlite');
    const store = HistoryStore.open(file);
    const ledger = new StationLedger(store);
    // A failure after the run was recorded rolls everything back.
    expect(() =>
      store.write(() => {
        store.recordError({ stage: 'validation', code: 'IMAGE_TRUNCATED', message: 'x', caseKey: 'S1' });
        ledger.insertCase(result('u1', 'S1'), [], [{ channel: 'mqtt', topic: 't', payload: '{}' }]);
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(store.db.prepare('SELECT count(*) AS n FROM errors').pluck().get()).toBe(0);
    expect(ledger.hasCase('u1')).toBe(false);
    expect(ledger.unsentCount('mqtt')).toBe(0);

    let anchorInside: number | undefined;
    store.write(() => {
      store.recordError({ stage: 'validation', code: 'IMAGE_TRUNCATED', message: 'x', caseKey: 'S2' });
      anchorInside = readAnchor(file)?.seq ?? 0;
      ledger.insertCase(result('u2', 'S2'), [{ view: 'ct', path: '/x/S2_ct.png', name: 'S2_ct.png', sha256: 'cc', size: 1, lastWriteMs: 0 }], [{ channel: 'mqtt', topic: 't', payload: '{}' }]);
    });
    const head = store.db.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number;
    expect(anchorInside).toBeLessThan(head); // the nested write did not move the anchor ahead of the commit
    expect(readAnchor(file)!.seq).toBe(head);
    expect(verifyAudit(store.db, readAnchor(file)).ok).toBe(true);
    expect(ledger.fileCase('S2_ct.png', 'cc')).toBe('u2');
    const row = ledger.nextUnsent('mqtt')!;
    expect(row.caseUid).toBe('u2');
    ledger.markSent(row.id);
    expect(ledger.nextUnsent('mqtt')).toBeNull();
    expect(ledger.result('r-S2')!.serial).toBe('S2');
    store.close();
  });
});
