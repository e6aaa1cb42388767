/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the test checks its shape */
/**
 * `sr: per_study`: storescu pushes the shared 28-slice GE head CT to the node, its auto_inspect
 * rule inspects every slice with the real battery-ct-porosity pack (runBatch, the worker), and the
 * node sends to two real Orthancs. PACS A (`sr: per_study`, objects sr/seg/pmap) gets exactly ONE
 * SR for the study — an image-level measurement group per run (28), each naming its own slice, a
 * planar ROI group per region the history recorded, every slice in the evidence, dciodvfy clean —
 * and, as before, one multi-frame map and one SEG for the series. PACS B gets 28 SRs from its
 * `per_run` destination and, from a de-identified `per_study` destination pointed at it, one more
 * SR in a study of its own whose 28 groups reference 28 remapped slice UIDs. (The pack finds no
 * region on this head CT: the group count is 28 + the regions the history recorded, i.e. 28; SCOORDs
 * on each run's slice are checked in tests/unit/dicomnet/study-sr.test.ts.) Mutation-checked: with
 * the node ignoring `sr: per_study`, all three tests fail.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../../src/core/dicomnet/node';
import { listOutbox } from '../../../src/core/dicomnet/outbox';
import { getRun } from '../../../src/core/history/index';
import { HistoryAccess } from '../../../src/host/history';
import { hasShared, sharedData } from '../../support/paths';
import { items, naturalize } from './naturalize';
import { autoInspectCtConfig, held, inspectPushedStudies, uidsOfFiles } from './nodeSupport';
import { dciodvfy, freePort, hasDciodvfy, hasDcmtk, hasOrthanc, Orthanc } from './orthanc';

const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const PMAP = '1.2.840.10008.5.1.4.1.1.30';
const SEG = '1.2.840.10008.5.1.4.1.1.66.4';
const SR = '1.2.840.10008.5.1.4.1.1.88.33';

const conceptOf = (i: Record<string, any>) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] as string | undefined;
const children = (i: Record<string, any>) => (i['ContentSequence'] ?? []) as Record<string, any>[];
const tracking = (g: Record<string, any>) => children(g).find((i) => conceptOf(i) === '112039')!['TextValue'] as string;
const sopsOf = (i: Record<string, any>) => [...items(i)].filter((c) => c['ValueType'] === 'IMAGE').map((c) => c['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID'] as string);
const groupsOf = (ds: Record<string, any>) => children(children(ds).find((i) => conceptOf(i) === '126010')!);
const evidenceOf = (ds: Record<string, any>) => ds['CurrentRequestedProcedureEvidenceSequence'][0]['ReferencedSeriesSequence'].flatMap((s: any) => s['ReferencedSOPSequence'].map((r: any) => r['ReferencedSOPInstanceUID']));

describe.skipIf(!hasOrthanc || !hasDciodvfy || !hasDcmtk || !hasShared)('DICOM node auto-inspect: one SR per study (sr: per_study)', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-study-sr-'));
  const slices = hasShared ? readdirSync(SERIES).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(SERIES, f)) : [];
  const events: NodeEvent[] = [];
  let studyPacs: Orthanc;
  let runPacs: Orthanc;
  let history: HistoryAccess;
  let ctStudy = '';
  let ctSops = new Set<string>();
  let runIds: number[] = [];
  /** Each run's slice (SOP Instance UID of the file it inspected) and its region count, from the history. */
  const sliceOf = new Map<number, string>();
  let regions = 0;

  beforeAll(async () => {
    ({ study: ctStudy, sops: ctSops } = uidsOfFiles(slices));
    const nodePort = await freePort();
    const inspector = { inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: nodePort } };
    studyPacs = await Orthanc.start(inspector, 'STUDYPACS');
    runPacs = await Orthanc.start(inspector, 'RUNPACS');
    history = new HistoryAccess(join(tmp, 'history.sqlite'));
    const store = history.get();
    const config = autoInspectCtConfig(nodePort, [
      `{ aet: STUDYPACS, host: 127.0.0.1, port: ${studyPacs.dicom}, objects: [sr, seg, pmap], sr: per_study }`,
      `{ aet: RUNPACS, host: 127.0.0.1, port: ${runPacs.dicom}, objects: [sr] }`,
      `{ aet: RUNPACS, host: 127.0.0.1, port: ${runPacs.dicom}, objects: [sr], sr: per_study, deidentify: true }`,
    ]);
    await inspectPushedStudies({ config, history, tmp, port: nodePort, events, pushes: [slices], studies: 1 });
    runIds = store.db.prepare('SELECT id FROM inference_runs ORDER BY id').pluck().all() as number[];
    for (const id of runIds) {
      const d = getRun(store.db, id);
      sliceOf.set(id, naturalize(readFileSync(d.image.sourcePath))['SOPInstanceUID']);
      regions += d.run.regions.length;
    }
  }, 300_000);

  afterAll(async () => {
    history?.close();
    await studyPacs?.stop();
    await runPacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the study is inspected slice by slice and every object sent: one study SR per per_study destination, 28 for the per_run one', () => {
    expect(events.filter((e) => e.event === 'inspect-failed' || e.event === 'study-sr-refused')).toEqual([]);
    expect(runIds).toHaveLength(28);
    expect(new Set(sliceOf.values())).toEqual(ctSops);
    const queued = events.filter((e): e is Extract<NodeEvent, { event: 'study-sr-queued' }> => e.event === 'study-sr-queued');
    expect(queued.map((e) => [e.studyInstanceUid, e.runs, e.objects])).toEqual([[ctStudy, runIds, 2]]);
    const outbox = listOutbox(history.get().db);
    expect(outbox.filter((e) => e.status !== 'sent')).toEqual([]);
    // A: the study SR, the series' SEG and map; B: 28 SRs; B's de-identified destination: one study SR.
    expect(outbox.length).toBe(3 + 28 + 1);
  });

  it('PACS A: exactly one SR for the study, a group per run naming its own slice, regions as SCOORD on that slice, evidence of all 28; dciodvfy clean; the maps one per series as before', async () => {
    const got = await held(studyPacs, ctStudy);
    const of = (cls: string) => got.filter((g) => g.ds['SOPClassUID'] === cls);
    expect(of(SR)).toHaveLength(1);
    expect(of(PMAP).map((m) => m.ds['NumberOfFrames'])).toEqual([28]);
    expect(of(SEG).map((m) => m.ds['NumberOfFrames'])).toEqual([28]);
    expect(got).toHaveLength(3);

    const { ds, bytes } = of(SR)[0]!;
    expect(ds).toMatchObject({ StudyInstanceUID: ctStudy, Modality: 'SR', VerificationFlag: 'UNVERIFIED' });
    const groups = groupsOf(ds);
    expect(groups).toHaveLength(28 + regions);
    const imageGroups = groups.filter((g) => / image classification$/.test(tracking(g)));
    expect(imageGroups.map(tracking)).toEqual(runIds.map((id) => `run ${id} image classification`));
    // Every group (image-level and region) references exactly the slice its run inspected.
    for (const g of groups) {
      const id = Number(/^run (\d+) /.exec(tracking(g))![1]);
      expect(new Set(sopsOf(g))).toEqual(new Set([sliceOf.get(id)]));
    }
    expect(groups.filter((g) => children(g).some((i) => i['ValueType'] === 'SCOORD'))).toHaveLength(regions);
    expect(new Set(evidenceOf(ds))).toEqual(ctSops);
    expect(evidenceOf(ds)).toHaveLength(28);
    const file = join(tmp, 'study-sr.dcm');
    writeFileSync(file, bytes);
    const v = dciodvfy(file);
    expect(v.errors, v.output).toEqual([]);
  });

  it('PACS B: 28 SRs from the per_run destination, and one de-identified study SR whose 28 groups name 28 remapped slices', async () => {
    const perRun = await held(runPacs, ctStudy);
    expect(perRun.map((g) => g.ds['SOPClassUID'])).toEqual(Array(28).fill(SR));
    expect(new Set(perRun.map((g) => evidenceOf(g.ds)[0]))).toEqual(ctSops);
    expect(perRun.map((g) => groupsOf(g.ds).filter((x) => / image classification$/.test(tracking(x))).length)).toEqual(Array(28).fill(1));

    const studies = await runPacs.get<string[]>('/studies');
    expect(studies).toHaveLength(2);
    const uids = await Promise.all(studies.map(async (id) => (await runPacs.get<{ MainDicomTags: { StudyInstanceUID: string } }>(`/studies/${id}`)).MainDicomTags.StudyInstanceUID));
    const deidStudy = uids.find((u) => u !== ctStudy)!;
    const deid = await held(runPacs, deidStudy);
    expect(deid).toHaveLength(1);
    const ds = deid[0]!.ds;
    expect(ds).toMatchObject({ SOPClassUID: SR, PatientIdentityRemoved: 'YES' });
    const images = groupsOf(ds).filter((g) => / image classification$/.test(tracking(g)));
    expect(images).toHaveLength(28);
    const refs = images.map((g) => sopsOf(g)[0]!);
    expect(new Set(refs).size).toBe(28);
    expect(refs.filter((r) => ctSops.has(r))).toEqual([]);
    expect(new Set(evidenceOf(ds))).toEqual(new Set(refs));
  });
});
