 
/**
 * The reviewed SR goes back by itself (`send_reviewed` in dicom.yaml): Orthanc pushes a CR to the
 * headless `inspector dicom listen`, the chest pack inspects it, a reviewer's decision is recorded
 * in the same history (as the desktop app records it), and the listener sends the VERIFIED SR to
 * Orthanc (read back: decision, reviewer, reference to the source) and to a second PACS that is
 * down at first — that entry stays pending with DICOM_PEER_UNREACHABLE (shown in the worklist's
 * outbox summary) and is sent by the retry timer once dcmtk's storescp listens there. A decision
 * not named in `on` sends nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { worklist } from '../../../src/core/dicomnet/worklist';
import { HistoryStore } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { dciodvfy, freePort, hasDciodvfy, hasDcmtk, hasOrthanc, Orthanc } from './orthanc';
import { naturalize, items } from './naturalize';

const SOURCE = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const SOURCE_SOP = '1.3.6.1.4.1.5962.1.1.9.1.3.20040826185059.5457';
const STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';

const until = async <T,>(f: () => T | undefined | false, ms: number, what: string): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe.skipIf(!hasOrthanc || !hasDciodvfy || !hasDcmtk)('reviewed SR sent on review (send_reviewed) ⇄ Orthanc, with a retry to a late PACS', () => {
  let pacs: Orthanc;
  let listener: ChildProcess;
  let late: ChildProcess | undefined;
  let latePort: number;
  const events: Record<string, unknown>[] = [];
  let stdout = '';
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-reviewed-'));
  const db = join(tmp, 'history.sqlite');
  const waitEvent = (pred: (e: Record<string, unknown>) => boolean, ms = 90_000) => until(() => events.find(pred), ms, `an event; so far ${JSON.stringify(events).slice(-1500)} ${stdout.slice(-500)}`);

  beforeAll(async () => {
    const ourPort = await freePort();
    latePort = await freePort();
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: ourPort } });
    const config = join(tmp, 'dicom.yaml');
    writeFileSync(
      config,
      [
        'ae_title: INSPECTOR',
        `port: ${ourPort}`,
        'allow: [{ aet: TESTPACS, host: 127.0.0.1 }]',
        'auto_inspect: [{ when: { modality: CR }, pack: chest-xray-pneumonia }]',
        'send_reviewed:',
        '  on: [accept, reject, override]',
        '  to:',
        `    - { aet: TESTPACS, host: 127.0.0.1, port: ${pacs.dicom} }`,
        `    - { aet: LATEPACS, host: 127.0.0.1, port: ${latePort} }`,
        'stable_seconds: 1',
        'retry_seconds: 1',
        'timeout_seconds: 5',
      ].join('\n'),
    );
    listener = spawn(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'dicom', 'listen', '--config', config, '--db', db, '--inbox', join(tmp, 'inbox'), '--json'], {
      cwd: repoRoot,
      env: { ...process.env, INSPECTOR_DATA_DIR: join(tmp, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    listener.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) events.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
    listener.stderr!.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitEvent((e) => e['event'] === 'listening', 30_000);
  }, 60_000);

  afterAll(async () => {
    for (const p of [listener, late]) {
      if (p && p.exitCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await exited;
      }
    }
    await pacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('an accepted review sends the VERIFIED SR to Orthanc at once and to the late PACS once it is up; an uncertain one sends nothing', async () => {
    const up = await pacs.upload(SOURCE);
    await pacs.post('/modalities/inspector/store', { Resources: [up.ParentStudy], Synchronous: true });
    await waitEvent((e) => e['event'] === 'inspected');
    // No result objects are configured for the inspection itself: the study holds only the source.
    expect(await pacs.instancesOfStudy(STUDY)).toHaveLength(1);

    const h = HistoryStore.open(db);
    const runId = h.db.prepare('SELECT max(id) FROM inference_runs').pluck().get() as number;
    h.createOperator({ id: 'kim.rt', name: 'Kim Minji', role: 'reviewer' });
    const reviewId = h.recordReview({ runId, operatorId: 'kim.rt', decision: 'accept', note: 'agree' });
    h.close();

    const queued = await waitEvent((e) => e['event'] === 'review-queued');
    expect(queued).toMatchObject({ runId, reviewId, decision: 'accept', objects: 2 });
    const ids = await (async () => {
      const end = Date.now() + 30_000;
      for (;;) {
        const found = await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: STUDY, Modality: 'SR' } });
        if (found.length) return found;
        if (Date.now() > end) throw new Error(`no SR in Orthanc; events ${JSON.stringify(events).slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    expect(ids).toHaveLength(1);
    const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${ids[0]}/file`)).arrayBuffer());
    const file = join(tmp, 'reviewed.dcm');
    writeFileSync(file, bytes);
    const v = dciodvfy(file);
    expect(v.errors, v.output).toEqual([]);
    const sr = naturalize(bytes);
    expect(sr['VerificationFlag']).toBe('VERIFIED');
    expect(sr['VerifyingObserverSequence'][0]['VerifyingObserverName']).toEqual([{ Alphabetic: 'Kim Minji' }]);
    expect(sr['CurrentRequestedProcedureEvidenceSequence'][0]['ReferencedSeriesSequence'][0]['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID']).toBe(SOURCE_SOP);
    const decision = [...items(sr)].find((i) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] === 'review')!;
    expect(decision['ConceptCodeSequence'][0]).toMatchObject({ CodeValue: 'accepted', CodingSchemeDesignator: '99INSPECTOR' });

    // The late PACS is down: its copy waits in the outbox with the code, and the worklist says so.
    const ro = new Database(db, { readonly: true });
    const lateRow = () => ro.prepare(`SELECT status, last_error_code, attempts FROM dicom_outbox WHERE destination LIKE '%LATEPACS%'`).get() as { status: string; last_error_code: string | null; attempts: number } | undefined;
    await until(() => (lateRow()?.attempts ?? 0) >= 1, 20_000, 'a first attempt at the late PACS');
    expect(lateRow()).toMatchObject({ status: 'pending', last_error_code: 'DICOM_PEER_UNREACHABLE' });
    const [study] = worklist(ro);
    expect(study!.outbox).toMatchObject({ sent: 1, pending: 1, failed: 0, lastErrorCode: 'DICOM_PEER_UNREACHABLE' });
    expect(study!.outbox.nextAttemptAt).toBeGreaterThan(0);

    // It comes up: the retry timer delivers the same SR.
    const lateDir = join(tmp, 'late');
    mkdirSync(lateDir);
    late = spawn('storescp', ['-aet', 'LATEPACS', '-od', lateDir, '--fork', String(latePort)], { stdio: 'ignore' });
    await until(() => lateRow()?.status === 'sent', 60_000, 'the retried send to the late PACS');
    const received = readdirSync(lateDir).filter((f) => !f.startsWith('.'));
    expect(received).toHaveLength(1);
    const lateSr = naturalize(readFileSync(join(lateDir, received[0]!)));
    expect(lateSr['SOPInstanceUID']).toBe(sr['SOPInstanceUID']);
    expect(worklist(ro)[0]!.outbox).toMatchObject({ sent: 2, pending: 0, failed: 0, lastErrorCode: null, nextAttemptAt: null });

    // An uncertain review is not in `on`: the scan passes it (its mark moves) and queues nothing.
    const h2 = HistoryStore.open(db);
    const second = h2.recordReview({ runId, operatorId: 'kim.rt', decision: 'uncertain', note: 'second look', supersedes: reviewId });
    h2.close();
    await until(() => Number(ro.prepare(`SELECT value FROM settings WHERE key = 'dicom.reviews_sent_upto'`).pluck().get()) === second, 30_000, 'the review scan to pass the uncertain review');
    expect(ro.prepare('SELECT count(*) FROM dicom_outbox').pluck().get()).toBe(2);
    expect(events.filter((e) => e['event'] === 'review-queued')).toHaveLength(1);
    ro.close();
  }, 240_000);
});
