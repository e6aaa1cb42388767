/**
 * Issue 12 item 5, the station ledger: the Line room lists `station_cases` (verdict, serial, lot,
 * runs and the result message sent to the line), shows a case's findings through `station_runs`
 * and the unsent count from `station_outbox`; `station_files` decides a file was already consumed.
 * Before the ledger was chained every tampering below passed `audit verify`. Now each write logs
 * the row's hash (history/derived.ts) and verify names the table and row that no longer matches.
 * Real SQLite files, the real ledger code path (nested in the write that records the case's runs,
 * as station.ts does).
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEDGER_CHAIN_MIGRATION } from '../../../src/core/history/derived';
import { HistoryStore, migrate, MIGRATIONS, readAnchor, verifyAudit } from '../../../src/core/history/index';
import { StationLedger } from '../../../src/core/station/ledger';
import { buildResult, type CaseFile, type StationFindings, type StationResult } from '../../../src/core/station/result';
import { sampleRecord, tempDir } from '../history/support';

const file = (serial: string, view: string, sha: string): CaseFile => ({ view, path: `/in/${serial}_${view}.png`, name: `${serial}_${view}.png`, sha256: sha.repeat(64).slice(0, 64), size: 10, lastWriteMs: 0 });

function result(uid: string, serial: string, runIds: number[], files: CaseFile[]): StationResult {
  return buildResult({
    resultId: `r-${serial}`,
    caseUid: uid,
    station: { id: 'ST01', line: 'L1' },
    serial,
    lot: 'LOT-7',
    views: ['ct', 'surface'],
    files,
    trigger: 'folder',
    report: null,
    runIds,
    startedAt: 0,
    inspectStart: 0,
    now: 1_700_000_000_000,
  });
}

function findings(r: StationResult, runIds: number[]): StationFindings {
  return { schema: 'inspector.station.findings/1', resultId: r.resultId, caseUid: r.caseUid, station: r.station, line: r.line, serial: r.serial, partId: r.partId, lot: r.lot, verdict: r.verdict, images: [], runIds, detailMs: 5, createdAt: new Date().toISOString() };
}

describe('audit verify covers the station ledger', () => {
  let t: ReturnType<typeof tempDir>;
  let s: HistoryStore;
  let ledger: StationLedger;
  let uid: string;
  let mqttId: number;
  const verify = () => verifyAudit(s.db, readAnchor(t.file));

  /** One case as the station records it: runs, case, files, links and outbox in one (nested) write. */
  function recordCase(i: number, serial: string): StationResult {
    const files = [file(serial, 'ct', String(i)), file(serial, 'surface', String(i + 5))];
    return s.write(() => {
      const runIds = [s.recordInference(sampleRecord(2 * i)).runId, s.recordInference(sampleRecord(2 * i + 1)).runId];
      const r = result(`case-${serial}`, serial, runIds, files);
      ledger.insertCase(r, files, [
        { channel: 'mqtt', topic: 'inspector/ST01/result', payload: JSON.stringify(r), retain: false },
        { channel: 'findings', topic: '', payload: JSON.stringify({ watchDir: null, files, finish: files }) },
      ]);
      return r;
    });
  }

  beforeEach(() => {
    t = tempDir('inspector-ledger-audit-');
    s = HistoryStore.open(t.file);
    ledger = new StationLedger(s);
    const r = recordCase(1, 'SN-1');
    recordCase(2, 'SN-2');
    uid = r.caseUid;
    // Normal operation after the case: findings recorded and done, the MQTT message acknowledged, a correction queued.
    s.write(() => {
      const extra = s.recordInference(sampleRecord(9)).runId;
      ledger.insertFindings(findings(r, [extra]), [{ channel: 'mqtt', topic: 'inspector/ST01/findings', payload: '{"findings":true}' }]);
      ledger.findingsDone(uid);
    });
    mqttId = ledger.nextUnsent('mqtt')!.id;
    ledger.markSent(mqttId);
    ledger.enqueueCorrection('ST01', 1, uid, [{ channel: 'mqtt', topic: 'inspector/ST01/correction', payload: '{"c":1}' }]);
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('normal operation (cases, findings, sends, corrections) verifies, every station table checked', () => {
    const r = verify();
    expect(r.firstBreak).toBeNull();
    expect(r.derived).toEqual(expect.arrayContaining(['station_cases', 'station_files', 'station_runs', 'station_outbox', 'dicom_outbox']));
    expect(ledger.unsentCount('mqtt')).toBe(3); // SN-2's result, SN-1's findings message and its correction
    expect(ledger.recent('ST01', 10).map((x) => x.serial)).toEqual(['SN-2', 'SN-1']);
    // The ledger's entries keep out of `station.*`, the operator's halt/reset/stop/start actions.
    expect(s.db.prepare(`SELECT count(*) FROM audit_log WHERE action LIKE 'station.%'`).pluck().get()).toBe(0);
  });

  it("a case's result message edited (the Line room and REST show another verdict)", () => {
    const forged = JSON.stringify({ ...ledger.result(uid)!, verdict: 'PASS', evaluation: 'OK' });
    s.db.prepare('UPDATE station_cases SET message = ? WHERE uid = ?').run(forged, uid);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_cases', entityId: uid, message: expect.stringMatching(/changed outside the app/) });
  });

  it("a case's verdict column edited", () => {
    s.db.prepare(`UPDATE station_cases SET verdict = 'PASS', serial = 'SN-X' WHERE uid = ?`).run(uid);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_cases', entityId: uid });
  });

  it('a case deleted from the Line room', () => {
    s.db.pragma('foreign_keys = OFF');
    s.db.prepare('DELETE FROM station_cases WHERE uid = ?').run(uid);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_cases', entityId: uid, message: expect.stringMatching(/is gone/) });
  });

  it('a case added outside the app', () => {
    s.db.exec(`INSERT INTO station_cases SELECT 'forged', 'r-forged', station, line, 'SN-9', lot, 'PASS', 'OK', trigger, files, run_ids, message, created_at FROM station_cases LIMIT 1`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_cases', entityId: 'forged', message: expect.stringMatching(/never logged/) });
  });

  it('a file marked consumed that no case consumed (the station would silently skip that part)', () => {
    s.db.prepare('INSERT INTO station_files(name, sha256, case_uid) VALUES (?,?,?)').run('SN-3_ct.png', 'e'.repeat(64), uid);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_files', entityId: `${'e'.repeat(64)}:SN-3_ct.png` });
  });

  it("a run moved to another case's findings", () => {
    s.db.prepare(`UPDATE station_runs SET case_uid = 'case-SN-2' WHERE case_uid = ?`).run(uid);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_runs' });
  });

  it('a message to the line marked sent that was never acknowledged (the unsent count drops)', () => {
    s.db.exec(`UPDATE station_outbox SET sent_at = 1 WHERE sent_at IS NULL AND channel = 'mqtt'`);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_outbox' });
  });

  it('an unsent message to the line rewritten (the PLC would receive PASS)', () => {
    const row = ledger.nextUnsent('mqtt')!;
    s.db.prepare('UPDATE station_outbox SET payload = ? WHERE id = ?').run(row.payload.replace(/"verdict":"[A-Z_]+"/, '"verdict":"PASS"'), row.id);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_outbox', entityId: String(row.id) });
  });

  it('an acknowledged message deleted', () => {
    s.db.prepare('DELETE FROM station_outbox WHERE id = ?').run(mqttId);
    expect(verify().firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_outbox', entityId: String(mqttId), message: expect.stringMatching(/is gone/) });
  });
});

describe('station ledgers written before the ledger was chained', () => {
  it('verify before the migration, and the migration chains them without changing a hash', () => {
    const t = tempDir('inspector-ledger-old-');
    const chaining = MIGRATIONS.find((m) => m.name === LEDGER_CHAIN_MIGRATION)!;
    expect(chaining).toBeDefined();
    const db = new Database(t.file);
    migrate(db, chaining.version - 1);
    // As the app wrote them then: plain rows, no chain entries.
    const message = JSON.stringify({ verdict: 'INTERNAL_DEFECT', serial: 'OLD-1' });
    db.prepare(`INSERT INTO station_cases VALUES ('old-uid', 'r-old', 'ST01', 'L1', 'OLD-1', NULL, 'INTERNAL_DEFECT', 'NotOK', 'folder', '[]', '[]', ?, 1)`).run(message);
    db.prepare(`INSERT INTO station_files VALUES ('OLD-1_ct.png', ?, 'old-uid')`).run('a'.repeat(64));
    db.prepare(`INSERT INTO station_outbox(case_uid, channel, topic, payload, retain, created_at) VALUES ('old-uid', 'mqtt', 't', ?, 0, 1)`).run(message);
    db.prepare(`INSERT INTO dicom_outbox(created_at, destination, kind, sop_class_uid, sop_instance_uid, study_instance_uid, run_id, path, status, next_attempt_at, attempts, last_error_code)
      VALUES (1, '{"url":"http://127.0.0.1:9/dicomweb"}', 'sr', '1.2', '1.2.3', '1.2.9', NULL, '/out/sr.dcm', 'failed', 5, 12, 'DICOM_PEER_UNREACHABLE')`).run();
    expect(verifyAudit(db).firstBreak).toBeNull();
    const before = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq').all();
    db.close();

    const s = HistoryStore.open(t.file); // migrates to the latest version
    try {
      const r = verifyAudit(s.db, readAnchor(t.file));
      expect(r.firstBreak).toBeNull();
      expect(r.derived).toEqual(expect.arrayContaining(['station_cases', 'station_files', 'station_outbox', 'dicom_outbox']));
      expect(s.db.prepare('SELECT seq, hash FROM audit_log WHERE seq <= ? ORDER BY seq').all(before.length)).toEqual(before);
      const logged = s.db.prepare(`SELECT action, entity_id FROM audit_log WHERE actor = 'migration' AND action IN ('ledger.case', 'ledger.file', 'ledger.outbox', 'dicom.outbox') ORDER BY seq`).all();
      expect(logged).toEqual([
        { action: 'ledger.case', entity_id: 'old-uid' },
        { action: 'ledger.file', entity_id: `${'a'.repeat(64)}:OLD-1_ct.png` },
        { action: 'ledger.outbox', entity_id: '1' },
        { action: 'dicom.outbox', entity_id: '1' },
      ]);
      // The app keeps working on the old rows: acknowledging the old message still verifies …
      new StationLedger(s).markSent(1);
      expect(verifyAudit(s.db, readAnchor(t.file)).firstBreak).toBeNull();
      // … and an edit of a migrated row is caught.
      s.db.exec(`UPDATE dicom_outbox SET status = 'sent', last_error_code = NULL`);
      expect(verifyAudit(s.db, readAnchor(t.file)).firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'dicom_outbox', entityId: '1' });
    } finally {
      s.close();
      t.cleanup();
    }
  });
});
