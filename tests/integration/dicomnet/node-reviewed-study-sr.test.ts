/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the test checks its shape */
/**
 * `send_reviewed` with `sr: per_study`: two slices of the shared GE head CT are pushed to the node,
 * auto-inspected with the real battery-ct-porosity pack, and the study SR goes to a real Orthanc
 * (STUDYPACS, `send_results` `sr: per_study`). A reviewer accepts run 1, another rejects run 2:
 * each review re-issues the study SR to STUDYPACS — a new instance in the SAME series, its
 * Predecessor Documents Sequence naming the version it replaces — and the per_run reviewed
 * destination (RUNPACS) gets that run's VERIFIED SR. The last study SR holds both decisions, each
 * in its own run's group, is VERIFIED (every run reviewed) and dciodvfy-clean. Then the CLI
 * (`inspector dicom send --case … --per-study`, the bundle in out/cli: rebuild with
 * `node scripts/build-cli.js`) sends the two cases as ONE study SR, the next version of the same
 * report; `--per-study` without sr in --objects is a usage error that sends nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DicomNode, NodeEvent } from '../../../src/core/dicomnet/node';
import { listOutbox } from '../../../src/core/dicomnet/outbox';
import { HistoryAccess } from '../../../src/host/history';
import { promisify } from 'node:util';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { naturalize } from './naturalize';
import { dciodvfy, freePort, hasDciodvfy, hasDcmtk, hasOrthanc, Orthanc } from './orthanc';
import { pushAndInspect } from './nodeSupport';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';

const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const SR = '1.2.840.10008.5.1.4.1.1.88.33';
const exec = promisify(execFile);
const cli = (args: string[], dataDir: string) =>
  exec(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), ...args], { env: { ...process.env, INSPECTOR_DATA_DIR: dataDir } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

const conceptOf = (i: Record<string, any>) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] as string | undefined;
const children = (i: Record<string, any>) => (i['ContentSequence'] ?? []) as Record<string, any>[];
const groupsOf = (ds: Record<string, any>) => children(children(ds).find((i) => conceptOf(i) === '126010')!);
const tracking = (g: Record<string, any>) => children(g).find((i) => conceptOf(i) === '112039')!['TextValue'] as string;
/** Run id → the decision code inside that run's image-level group (undefined: none). */
const decisionsOf = (ds: Record<string, any>) =>
  Object.fromEntries(
    groupsOf(ds)
      .filter((g) => / image classification$/.test(tracking(g)))
      .map((g) => [Number(/^run (\d+) /.exec(tracking(g))![1]), children(g).find((i) => conceptOf(i) === 'review')?.['ConceptCodeSequence'][0]['CodeValue'] as string | undefined]),
  );
const predecessorOf = (ds: Record<string, any>) => {
  const p = ds['PredecessorDocumentsSequence']?.[0];
  if (!p) return undefined;
  const s = p['ReferencedSeriesSequence'][0];
  return { study: p['StudyInstanceUID'], series: s['SeriesInstanceUID'], sop: s['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID'], cls: s['ReferencedSOPSequence'][0]['ReferencedSOPClassUID'] };
};

describe.skipIf(!hasOrthanc || !hasDciodvfy || !hasDcmtk || !hasShared)('send_reviewed sr: per_study: each review re-issues the study SR', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-reviewed-study-'));
  const slices = hasShared ? readdirSync(SERIES).filter((f) => f.endsWith('.dcm')).sort().slice(0, 2).map((f) => join(SERIES, f)) : [];
  let studyPacs: Orthanc;
  let runPacs: Orthanc;
  let history: HistoryAccess;
  let node: DicomNode | undefined;
  let events: NodeEvent[] = [];
  let ctStudy = '';
  let runIds: number[] = [];

  async function srsOf(pacs: Orthanc): Promise<{ ds: Record<string, any>; bytes: Buffer }[]> {
    const out = [];
    for (const id of await pacs.instancesOfStudy(ctStudy)) {
      const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
      out.push({ ds: naturalize(bytes), bytes });
    }
    return out.filter((x) => x.ds['SOPClassUID'] === SR).sort((a, b) => a.ds['InstanceNumber'] - b.ds['InstanceNumber']);
  }

  beforeAll(async () => {
    ctStudy = naturalize(readFileSync(slices[0]!))['StudyInstanceUID'];
    const nodePort = await freePort();
    const inspector = { inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: nodePort } };
    studyPacs = await Orthanc.start(inspector, 'STUDYPACS');
    runPacs = await Orthanc.start(inspector, 'RUNPACS');
    history = new HistoryAccess(join(tmp, 'history.sqlite'));
    const study = `{ aet: STUDYPACS, host: 127.0.0.1, port: ${studyPacs.dicom}, objects: [sr], sr: per_study }`;
    const configText = [
      'ae_title: INSPECTOR',
      `port: ${nodePort}`,
      'allow: [{ aet: STORESCU, host: 127.0.0.1 }]',
      'auto_inspect: [{ when: { modality: CT }, pack: battery-ct-porosity }]',
      `send_results: [${study}]`,
      'send_reviewed:',
      '  on: [accept, reject]',
      `  to: [${study}, { aet: RUNPACS, host: 127.0.0.1, port: ${runPacs.dicom} }]`,
      'stable_seconds: 1',
      'timeout_seconds: 20',
      'uid_root: 1.2.826.0.1.3680043.10.1234',
    ].join('\n');
    events = [];
    node = await pushAndInspect({ config: parseDicomConfig(configText), history, tmp, port: nodePort, events, pushes: [slices], studies: 1 });
    runIds = history.get().db.prepare('SELECT id FROM inference_runs ORDER BY id').pluck().all() as number[];
  }, 300_000);

  afterAll(async () => {
    await node?.close();
    history?.close();
    await studyPacs?.stop();
    await runPacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('two reviews on two runs: the study SR is re-issued twice in its series, chained by predecessor, the last VERIFIED with both decisions in their runs’ groups; RUNPACS gets the per-run SRs', async () => {
    expect(events.filter((e) => e.event === 'inspect-failed' || e.event === 'study-sr-refused')).toEqual([]);
    expect(runIds).toHaveLength(2);
    const first = await srsOf(studyPacs);
    expect(first).toHaveLength(1);
    expect(first[0]!.ds).toMatchObject({ InstanceNumber: 1, VerificationFlag: 'UNVERIFIED' });
    expect(first[0]!.ds['PredecessorDocumentsSequence']).toBeUndefined();

    const store = history.get();
    store.createOperator({ id: 'kim.rt', name: 'Kim Minji', role: 'reviewer' });
    store.createOperator({ id: 'lee.rt', name: 'Lee Jun', role: 'reviewer' });
    const a = store.recordReview({ runId: runIds[0]!, operatorId: 'kim.rt', decision: 'accept', note: 'fine' });
    expect(await node!.scanReviews()).toBe(2); // the study SR re-issued + run 1's own SR
    const b = store.recordReview({ runId: runIds[1]!, operatorId: 'lee.rt', decision: 'reject', note: 'porosity missed' });
    expect(await node!.scanReviews()).toBe(2);
    await node!.idle();
    await node!.flush();
    expect(events.filter((e) => e.event === 'review-queued').map((e: any) => [e.reviewId, e.objects])).toEqual([
      [a, 2],
      [b, 2],
    ]);
    expect(listOutbox(store.db).filter((e) => e.status !== 'sent')).toEqual([]);

    const versions = await srsOf(studyPacs);
    expect(versions.map((v) => v.ds['InstanceNumber'])).toEqual([1, 2, 3]);
    expect(new Set(versions.map((v) => v.ds['SeriesInstanceUID'])).size).toBe(1);
    expect(new Set(versions.map((v) => v.ds['SOPInstanceUID'])).size).toBe(3);
    for (let i = 1; i < versions.length; i++) {
      const prev = versions[i - 1]!.ds;
      expect(predecessorOf(versions[i]!.ds)).toEqual({ study: ctStudy, series: prev['SeriesInstanceUID'], sop: prev['SOPInstanceUID'], cls: SR });
    }
    expect(versions.map((v) => v.ds['VerificationFlag'])).toEqual(['UNVERIFIED', 'UNVERIFIED', 'VERIFIED']);
    expect(versions.map((v) => decisionsOf(v.ds))).toEqual([
      { [runIds[0]!]: undefined, [runIds[1]!]: undefined },
      { [runIds[0]!]: 'accepted', [runIds[1]!]: undefined },
      { [runIds[0]!]: 'accepted', [runIds[1]!]: 'rejected' },
    ]);
    const last = versions[2]!;
    expect(last.ds['VerifyingObserverSequence'].map((o: any) => o['VerifyingObserverName'])).toEqual([[{ Alphabetic: 'Kim Minji' }], [{ Alphabetic: 'Lee Jun' }]]);
    const file = join(tmp, 'reissued.dcm');
    writeFileSync(file, last.bytes);
    const v = dciodvfy(file);
    expect(v.errors, v.output).toEqual([]);

    // The per_run reviewed destination: each reviewed run's own VERIFIED SR, no study report.
    const perRun = await srsOf(runPacs);
    expect(perRun).toHaveLength(2);
    expect(perRun.map((x) => x.ds['VerificationFlag'])).toEqual(['VERIFIED', 'VERIFIED']);
    expect(perRun.map((x) => x.ds['PredecessorDocumentsSequence'])).toEqual([undefined, undefined]);
    // A run's own SR states its decision at the root (one run: no group to say which).
    const runAndDecision = (ds: Record<string, any>) => [Object.keys(decisionsOf(ds)).map(Number), children(ds).find((i) => conceptOf(i) === 'review')?.['ConceptCodeSequence'][0]['CodeValue']];
    expect(perRun.map((x) => runAndDecision(x.ds)).sort()).toEqual([
      [[runIds[0]], 'accepted'],
      [[runIds[1]], 'rejected'],
    ]);
  }, 120_000);

  it('dicom send --case … --per-study: the cases\' runs go as ONE study SR (the report\'s next version); without sr in --objects it refuses', async () => {
    await node!.close();
    node = undefined;
    const db = join(tmp, 'history.sqlite');
    const cases = history.get().db.prepare('SELECT DISTINCT case_id FROM inference_runs ORDER BY case_id').pluck().all() as number[];
    expect(cases.length).toBeGreaterThan(0);
    const caseArgs = cases.flatMap((c) => ['--case', String(c)]);
    const to = `STUDYPACS@127.0.0.1:${studyPacs.dicom}`;

    const bad = await cli(['dicom', 'send', ...caseArgs, '--to', to, '--objects', 'sc', '--per-study', '--db', db], join(tmp, 'data'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--per-study builds one study SR');

    const r = await cli(['dicom', 'send', ...caseArgs, '--to', to, '--objects', 'sr', '--per-study', '--db', db, '--json'], join(tmp, 'data'));
    expect(r.code, r.stderr).toBe(0);
    const sent = JSON.parse(r.stdout) as { kind: string; status: string; runId: number; sopInstanceUid: string }[];
    expect(sent.map((e) => [e.kind, e.status, e.runId])).toEqual([['sr', 'sent', runIds[0]]]);

    const versions = await srsOf(studyPacs);
    expect(versions.map((v) => v.ds['InstanceNumber'])).toEqual([1, 2, 3, 4]);
    const cliSr = versions[3]!.ds;
    expect(cliSr['SOPInstanceUID']).toBe(sent[0]!.sopInstanceUid);
    expect(cliSr['SeriesInstanceUID']).toBe(versions[2]!.ds['SeriesInstanceUID']);
    expect(predecessorOf(cliSr)?.sop).toBe(versions[2]!.ds['SOPInstanceUID']);
    expect(decisionsOf(cliSr)).toEqual({ [runIds[0]!]: 'accepted', [runIds[1]!]: 'rejected' });
    expect(cliSr['VerificationFlag']).toBe('VERIFIED');
  }, 60_000);
});
