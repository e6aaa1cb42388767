/**
 * C-CANCEL as SCP: a peer cancels a C-FIND or C-MOVE it asked Inspector for, and Inspector stops
 * the pending responses / sub-operations and answers Cancel (0xFE00) with the counts. Real peers:
 * dcmtk `findscu --cancel 1` (200 one-instance studies held, so the answer is still running when
 * the cancel comes) and `movescu --cancel 1` (the 28-slice CT study, moved to a dcmtk storescp
 * that gets only the sub-operations done before the cancel). dcmtk's getscu has no cancel
 * option, so the C-GET cancel is asked by Inspector's own C-GET SCU, whose cancel is checked
 * against Orthanc in cancel-scu.test.ts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudy } from '../../../src/core/dicomnet/cget';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';
import { DicomNode, type NodeEvent } from '../../../src/core/dicomnet/node';
import { HistoryStore } from '../../../src/core/history/index';
import { hasShared, sharedData } from '../../support/paths';
import { freePort, hasDcmtk } from './orthanc';
import { tinyStudies } from './tiny';

const exec = promisify(execFile);
const dcmtk = (tool: string, args: string[]) =>
  exec(tool, args, { maxBuffer: 64 << 20 }).then(
    (r) => `${r.stdout}${r.stderr}`,
    (e: { stdout: string; stderr: string }) => `${e.stdout}${e.stderr}`,
  );
const CT = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const TINY = 200;
const last = (log: string, re: RegExp) => [...log.matchAll(re)].pop()?.[1];
const statusOf = (log: string) => last(log, /DIMSE Status\s*:\s*(0x[0-9a-f]{4})/gi);
const dir = (p: string) => readdirSync(p).filter((f) => !f.startsWith('.'));

describe.skipIf(!hasDcmtk || !hasShared)('C-CANCEL of what peers asked the node (C-FIND / C-MOVE / C-GET SCP)', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-cancel-scp-'));
  const destDir = join(tmp, 'dest');
  const events: NodeEvent[] = [];
  const ctFiles = hasShared ? readdirSync(CT).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(CT, f)) : [];
  let storescp: ChildProcess;
  let node: DicomNode;
  let store: HistoryStore;
  let port = 0;
  let ctStudy = '';

  beforeAll(async () => {
    const destPort = await freePort();
    mkdirSync(destDir, { recursive: true });
    storescp = spawn('storescp', ['-aet', 'DESTSCP', '-od', destDir, String(destPort)], { stdio: 'ignore' });
    store = HistoryStore.open(join(tmp, 'h.sqlite'));
    const config = parseDicomConfig(
      [
        'ae_title: INSPECTOR',
        `allow: [{ aet: RETRIEVER, host: 127.0.0.1 }, { aet: DESTSCP, host: 127.0.0.1, port: ${destPort} }]`,
        'answer_find: true',
        'answer_retrieve: true',
        'timeout_seconds: 10',
      ].join('\n'),
    );
    config.port = 0;
    node = new DicomNode({
      config,
      store,
      inbox: join(tmp, 'inbox'),
      outboxDir: join(tmp, 'outbox'),
      softwareVersion: 'test',
      log: (e) => events.push(e),
      inspect: () => Promise.reject(new Error('no rules: nothing is inspected')),
    });
    port = await node.start();
    const tiny = tinyStudies(mkdtempSync(join(tmp, 'tiny-')), TINY);
    await dcmtk('storescu', ['-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '127.0.0.1', String(port), ...tiny, ...ctFiles]);
    expect(events.filter((e) => e.event === 'stored')).toHaveLength(TINY + ctFiles.length);
    ctStudy = (store.db.prepare("SELECT study_instance_uid AS s FROM dicom_instances WHERE modality = 'CT' LIMIT 1").get() as { s: string }).s;
  }, 120_000);

  afterAll(async () => {
    storescp?.kill('SIGTERM');
    await node?.close();
    store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('findscu --cancel 1: the node stops sending matches and ends with Cancel (0xFE00)', async () => {
    const args = ['-S', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientID=CANCEL-*', '-k', 'StudyInstanceUID', '127.0.0.1', String(port)];
    const full = await dcmtk('findscu', ['-v', ...args]);
    expect([...full.matchAll(/Find Response: \d+ \(Pending\)/g)]).toHaveLength(TINY);
    const log = await dcmtk('findscu', ['-d', '--cancel', '1', ...args]);
    expect(log).toMatch(/Sending Cancel Request/i);
    expect(statusOf(log), log.slice(-3000)).toBe('0xfe00');
    const pending = [...log.matchAll(/Received Find Response \d+/g)].length; // -d numbers the pending ones; the final is "Final"
    expect(pending).toBeGreaterThanOrEqual(1);
    expect(pending).toBeLessThan(TINY);
    expect(events).toContainEqual(expect.objectContaining({ event: 'find-answered', callingAet: 'RETRIEVER', matches: TINY, sent: pending, cancelled: true }));
  }, 60_000);

  it('movescu --cancel 1: no further sub-operation starts; Cancel with completed + remaining = the study, only the completed ones at the destination', async () => {
    const log = await dcmtk('movescu', ['-d', '-S', '--cancel', '1', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-aem', 'DESTSCP', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${ctStudy}`, '127.0.0.1', String(port)]);
    expect(statusOf(log), log.slice(-3000)).toBe('0xfe00');
    const completed = Number(last(log, /Completed Suboperations\s*:\s*(\d+)/gi));
    const remaining = Number(last(log, /Remaining Suboperations\s*:\s*(\d+)/gi));
    expect(Number(last(log, /Failed Suboperations\s*:\s*(\d+)/gi))).toBe(0);
    expect(completed + remaining).toBe(ctFiles.length);
    expect(completed).toBeLessThan(ctFiles.length);
    await new Promise((r) => setTimeout(r, 500)); // storescp writes after answering
    expect(dir(destDir)).toHaveLength(completed);
    expect(events).toContainEqual(expect.objectContaining({ event: 'retrieve-answered', kind: 'move', completed, remaining, cancelled: true }));
  }, 60_000);

  it('C-GET cancelled by the requester after the first instance: Cancel with the counts, no further instance sent', async () => {
    const ctl = new AbortController();
    const inbox = join(tmp, 'got');
    let got = 0;
    const err = await getStudy({ aet: 'INSPECTOR', host: '127.0.0.1', port }, ctStudy, { inbox, onInstance: () => (got++, ctl.abort()) }, { callingAet: 'RETRIEVER', timeoutSeconds: 10, signal: ctl.signal }).then(
      () => null,
      (e: unknown) => e as { code: string; details: Record<string, number> },
    );
    expect(err).toMatchObject({ code: 'DICOM_CANCELLED', details: { status: 0xfe00, failed: 0 } });
    expect(got).toBeGreaterThanOrEqual(1);
    expect(got).toBeLessThan(ctFiles.length);
    expect(err!.details['completed']).toBe(got);
    const answered = events.find((e) => e.event === 'retrieve-answered' && e['kind'] === 'get');
    expect(answered).toMatchObject({ cancelled: true, completed: got, remaining: ctFiles.length - got });
  }, 60_000);
});
