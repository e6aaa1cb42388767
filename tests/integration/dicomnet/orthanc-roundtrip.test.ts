/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the assertions check its shape */
/**
 * The DICOM node against a real PACS: Orthanc pushes a CR chest study to `inspector dicom listen`
 * (C-STORE from Orthanc's REST /modalities/…/store), the node inspects it with the chest pack by
 * its auto_inspect rule and sends an SR (TID 1500), a burned-in SC, a SEG and a Parametric Map back by C-STORE. The test
 * reads them back from Orthanc and checks who sent them, what they reference, their codes and
 * regions against the recorded run, and that dciodvfy finds no errors in any of them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { dciodvfy, freePort, hasDciodvfy, hasOrthanc, Orthanc } from './orthanc';
import { naturalize, items } from './naturalize';
import { readManifest } from '../../../src/core/packs/load';

// The shipped chest pack codes its labels in SNOMED CT (pack.yaml labels[].code): the SR's findings
// carry those codes, not the private label ids — what a viewer can recognise.
const CHEST_CODES = Object.fromEntries(readManifest(join(repoRoot, 'models', 'chest-xray-pneumonia')).manifest.labels.map((l) => [l.id, l.code]));

const SOURCE = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const SOURCE_SOP = '1.3.6.1.4.1.5962.1.1.9.1.3.20040826185059.5457';
const STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';

type Events = Record<string, unknown>[];

describe.skipIf(!hasOrthanc || !hasDciodvfy)('DICOM node ⇄ Orthanc', () => {
  let pacs: Orthanc;
  let listener: ChildProcess;
  const events: Events = [];
  let stdout = '';
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-dicomnode-'));
  const db = join(tmp, 'history.sqlite');

  const waitFor = async (pred: (e: Record<string, unknown>) => boolean, ms = 90_000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const hit = events.find(pred);
      if (hit) return hit;
      if (listener.exitCode !== null) throw new Error(`listener exited ${listener.exitCode}: ${stdout.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
  };

  beforeAll(async () => {
    const ourPort = await freePort();
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: ourPort } });
    const config = join(tmp, 'dicom.yaml');
    writeFileSync(
      config,
      [
        'ae_title: INSPECTOR',
        `port: ${ourPort}`,
        'allow: [{ aet: TESTPACS, host: 127.0.0.1 }]',
        'auto_inspect:',
        '  - when: { modality: CR }',
        '    pack: chest-xray-pneumonia',
        'send_results:',
        `  - { aet: TESTPACS, host: 127.0.0.1, port: ${pacs.dicom}, objects: [sr, sc, seg, pmap] }`,
        'stable_seconds: 1',
        'uid_root: 1.2.826.0.1.3680043.10.1234',
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
    await waitFor((e) => e['event'] === 'listening', 30_000);
  });

  afterAll(async () => {
    if (listener && listener.exitCode === null) {
      const exited = new Promise((r) => listener.once('exit', r));
      listener.kill('SIGTERM');
      await exited;
    }
    await pacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('receives a pushed study, inspects it and stores SR + SC + SEG + Parametric Map back in the same study', async () => {
    const up = await pacs.upload(SOURCE);
    const push = await pacs.post<{ InstancesCount: number; FailedInstancesCount: number }>('/modalities/inspector/store', { Resources: [up.ParentStudy], Synchronous: true });
    expect(push).toMatchObject({ InstancesCount: 1, FailedInstancesCount: 0 });

    const stored = await waitFor((e) => e['event'] === 'stored');
    expect(stored).toMatchObject({ callingAet: 'TESTPACS', sopInstanceUid: SOURCE_SOP, studyInstanceUid: STUDY, patientId: '9RG1', modality: 'CR' });
    const inspected = await waitFor((e) => e['event'] === 'inspected');
    expect(inspected).toMatchObject({ pack: 'chest-xray-pneumonia', studyInstanceUid: STUDY });
    // The SR goes out alone first, then the SC, the SEG and the Parametric Map.
    await waitFor((e) => e['event'] === 'sent' && e['count'] === 1);
    await waitFor((e) => e['event'] === 'sent' && e['count'] === 3);
    // Logs carry ids, never the patient's name.
    expect(stdout).not.toMatch(/CompressedSamples/);

    // History: the instance as received, the run, the outbox entries sent.
    const h = new Database(db, { readonly: true });
    const inst = h.prepare('SELECT * FROM dicom_instances').all() as Record<string, unknown>[];
    expect(inst).toHaveLength(1);
    expect(inst[0]).toMatchObject({ sop_instance_uid: SOURCE_SOP, study_instance_uid: STUDY, patient_id: '9RG1', calling_aet: 'TESTPACS', peer_host: '127.0.0.1', modality: 'CR', body_part: 'CHEST' });
    const study = h.prepare('SELECT status, batch_id FROM dicom_studies WHERE study_instance_uid = ?').get(STUDY) as { status: string; batch_id: number };
    expect(study.status).toBe('inspected');
    const run = h.prepare('SELECT * FROM inference_runs WHERE batch_id = ?').get(study.batch_id) as Record<string, any>;
    expect(run['pack_name']).toBe('chest-xray-pneumonia');
    const outbox = h.prepare('SELECT kind, status, sop_instance_uid FROM dicom_outbox ORDER BY kind').all() as { kind: string; status: string; sop_instance_uid: string }[];
    expect(outbox.map((o) => [o.kind, o.status])).toEqual([['pmap', 'sent'], ['sc', 'sent'], ['seg', 'sent'], ['sr', 'sent']]);
    h.close();
    const regions = JSON.parse(run['regions'] as string) as { box: number[]; label: string }[];
    const probabilities = JSON.parse(run['probabilities'] as string) as Record<string, number>;
    expect(regions.length).toBeGreaterThan(0);

    // Orthanc now holds the source and our four objects, in the same study, sent by INSPECTOR.
    const ids = await pacs.instancesOfStudy(STUDY);
    expect(ids).toHaveLength(5);
    const byUid = new Map<string, string>();
    for (const id of ids) byUid.set((await pacs.get<Record<string, string>>(`/instances/${id}/simplified-tags`))['SOPInstanceUID']!, id);
    const srId = byUid.get(outbox.find((o) => o.kind === 'sr')!.sop_instance_uid)!;
    const scId = byUid.get(outbox.find((o) => o.kind === 'sc')!.sop_instance_uid)!;
    const segId = byUid.get(outbox.find((o) => o.kind === 'seg')!.sop_instance_uid)!;
    const pmapId = byUid.get(outbox.find((o) => o.kind === 'pmap')!.sop_instance_uid)!;
    expect(srId && scId && segId && pmapId).toBeTruthy();
    const meta = await pacs.get<Record<string, string>>(`/instances/${srId}/metadata?expand`);
    expect(meta['RemoteAET']).toBe('INSPECTOR');

    const fetchFile = async (id: string) => Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
    const srBytes = await fetchFile(srId);
    const scBytes = await fetchFile(scId);
    const segBytes = await fetchFile(segId);
    const pmapBytes = await fetchFile(pmapId);
    for (const [name, bytes] of [['sr.dcm', srBytes], ['sc.dcm', scBytes], ['seg.dcm', segBytes], ['pmap.dcm', pmapBytes]] as const) {
      const f = join(tmp, name);
      writeFileSync(f, bytes);
      const v = dciodvfy(f);
      expect(v.errors, v.output).toEqual([]);
    }

    // SR: TID 1500, the pack as algorithm, the source referenced, one SCOORD per region with the recorded box.
    const sr = naturalize(srBytes);
    expect(sr['SOPClassUID']).toBe('1.2.840.10008.5.1.4.1.1.88.33');
    expect(sr['StudyInstanceUID']).toBe(STUDY);
    expect(sr['PatientID']).toBe('9RG1');
    expect(String(sr['SOPInstanceUID']).startsWith('1.2.826.0.1.3680043.10.1234.')).toBe(true);
    expect(String(sr['SOPInstanceUID']).length).toBeLessThanOrEqual(64);
    expect(sr['ContentTemplateSequence'][0]).toMatchObject({ MappingResource: 'DCMR', TemplateIdentifier: '1500' });
    expect(sr['ConceptNameCodeSequence'][0]).toMatchObject({ CodeValue: '126000', CodingSchemeDesignator: 'DCM' });
    const evidence = sr['CurrentRequestedProcedureEvidenceSequence'][0];
    expect(evidence['ReferencedSeriesSequence'][0]['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID']).toBe(SOURCE_SOP);
    const all = [...items(sr)];
    const text = (code: string) => all.filter((i) => i['ValueType'] === 'TEXT' && i['ConceptNameCodeSequence'][0]['CodeValue'] === code).map((i) => i['TextValue']);
    expect(text('111001')).toContain('chest-xray-pneumonia');
    expect(text('111003')).toContain('1.0.0');
    expect(text('111002').some((t: string) => t.includes(JSON.parse(run['pack_hashes'] as string)['pack.yaml']))).toBe(true);
    const scoords = all.filter((i) => i['ValueType'] === 'SCOORD');
    expect(scoords).toHaveLength(regions.length);
    scoords.forEach((s, k) => {
      const [x, y, w, hh] = regions[k]!.box as [number, number, number, number];
      expect(s['GraphicType']).toBe('POLYLINE');
      expect(Array.from(s['GraphicData'] as number[])).toEqual([x, y, x + w, y, x + w, y + hh, x, y + hh, x, y]);
      expect(s['ContentSequence'][0]['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID']).toBe(SOURCE_SOP);
    });
    const probs = all.filter((i) => i['ValueType'] === 'NUM' && i['ConceptNameCodeSequence'][0]['CodeValue'] === 'probability' && i['ContentSequence'][0]['ConceptNameCodeSequence'][0]['CodeValue'] === '121071');
    const stated = Object.fromEntries(probs.map((p) => [`${p['ContentSequence'][0]['ConceptCodeSequence'][0]['CodingSchemeDesignator']}:${p['ContentSequence'][0]['ConceptCodeSequence'][0]['CodeValue']}`, Number(p['MeasuredValueSequence'][0]['NumericValue'])]));
    for (const [label, p] of Object.entries(probabilities)) {
      const c = CHEST_CODES[label];
      expect(c, `pack.yaml codes ${label}`).toBeDefined();
      expect(stated[`${c!.scheme}:${c!.value}`]).toBeCloseTo(p, 5);
    }
    const findings = all.filter((i) => i['ValueType'] === 'CODE' && i['ConceptNameCodeSequence'][0]['CodeValue'] === '121071').map((i) => i['ConceptCodeSequence'][0]);
    // A label verdict is its SNOMED code; a verdict that is no label (uncertain: the guard, the margin) stays private.
    const verdictCode = CHEST_CODES[run['verdict'] as string];
    if (verdictCode) expect(findings).toContainEqual(expect.objectContaining({ CodeValue: verdictCode.value, CodingSchemeDesignator: 'SCT', CodeMeaning: verdictCode.meaning }));
    else expect(findings).toContainEqual(expect.objectContaining({ CodeValue: run['verdict'], CodingSchemeDesignator: '99INSPECTOR' }));

    // SC: same geometry as the source, burned in, pointing at its source, in the same study.
    const sc = naturalize(scBytes);
    expect(sc).toMatchObject({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.7', StudyInstanceUID: STUDY, Rows: 1955, Columns: 1841, BurnedInAnnotation: 'YES', PhotometricInterpretation: 'RGB' });
    expect(sc['SourceImageSequence'][0]['ReferencedSOPInstanceUID']).toBe(SOURCE_SOP);
    // The banner: the top rows are dark except for the red "NOT FOR DIAGNOSTIC USE" letters.
    const px = new Uint8Array(sc['PixelData'][0] as ArrayBuffer);
    let red = 0;
    for (let y = 0; y < 50; y++) for (let x = 0; x < 1841; x++) {
      const o = (y * 1841 + x) * 3;
      if (px[o]! > 200 && px[o + 1]! < 110 && px[o + 2]! < 110) red++;
    }
    expect(red).toBeGreaterThan(2000);

    // SEG: binary, one segment, derived from the source; its set pixels lie in the recorded regions (same map, same threshold).
    const seg = naturalize(segBytes);
    expect(seg).toMatchObject({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.66.4', SegmentationType: 'BINARY', Rows: 1955, Columns: 1841, StudyInstanceUID: STUDY });
    expect(seg['SegmentSequence'][0]).toMatchObject({ SegmentNumber: 1, SegmentAlgorithmType: 'AUTOMATIC', SegmentAlgorithmName: 'chest-xray-pneumonia 1.0.0' });
    // The segment is the pack's abnormal class, in SNOMED CT (Segmented Property Category / Type).
    expect(seg['SegmentSequence'][0]['SegmentedPropertyTypeCodeSequence'][0]).toMatchObject({ CodeValue: CHEST_CODES['pneumonia']!.value, CodingSchemeDesignator: 'SCT' });
    expect(seg['SegmentSequence'][0]['SegmentedPropertyCategoryCodeSequence'][0]).toMatchObject({ CodeValue: '49755003', CodingSchemeDesignator: 'SCT' });
    expect(seg['SharedFunctionalGroupsSequence'][0]['DerivationImageSequence'][0]['SourceImageSequence'][0]['ReferencedSOPInstanceUID']).toBe(SOURCE_SOP);
    const bits = new Uint8Array(seg['PixelData'][0] as ArrayBuffer);
    let set = 0;
    let inside = 0;
    for (let i = 0; i < 1955 * 1841; i++) {
      if (!((bits[i >> 3]! >> (i & 7)) & 1)) continue;
      set++;
      const x = i % 1841;
      const y = Math.floor(i / 1841);
      if (regions.some((g) => x >= g.box[0]! - 2 && x < g.box[0]! + g.box[2]! + 2 && y >= g.box[1]! - 2 && y < g.box[1]! + g.box[3]! + 2)) inside++;
    }
    expect(set).toBeGreaterThan(10_000);
    expect(inside / set).toBeGreaterThan(0.97);

    // Parametric Map: the run's heatmap as floats on the radiograph's grid, a frame of its own (a CR has
    // no patient geometry), derived from the source; exactly the SEG's mask at half the map's scale.
    const pmap = naturalize(pmapBytes);
    expect(pmap).toMatchObject({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.30', Rows: 1955, Columns: 1841, BitsAllocated: 32, StudyInstanceUID: STUDY, Modality: 'CR' });
    expect(pmap['SharedFunctionalGroupsSequence'][0]['DerivationImageSequence'][0]['SourceImageSequence'][0]['ReferencedSOPInstanceUID']).toBe(SOURCE_SOP);
    const scale = JSON.parse(run['explanation'] as string)['scale'] as { low: number; high: number };
    const floats = new Float32Array(pmap['FloatPixelData'][0] as ArrayBuffer);
    let disagree = 0;
    for (let i = 0; i < floats.length; i++) if (((((bits[i >> 3]! >> (i & 7)) & 1) === 1) !== (floats[i]! - scale.low) / (scale.high - scale.low) >= 0.5)) disagree++;
    expect(disagree).toBe(0);
  });

  it('after a review, `dicom send --run` puts the decision into a VERIFIED SR, by C-STORE and by STOW-RS; a down peer keeps it queued', async () => {
    const h = HistoryStore.open(db);
    const runId = h.db.prepare('SELECT max(id) FROM inference_runs').pluck().get() as number;
    h.createOperator({ id: 'park.s', name: 'Park Seoyeon', role: 'reviewer' });
    // The reviewer's measurements on the radiograph (no rescale to HU: ROI statistics carry no unit).
    h.recordReview({
      runId,
      operatorId: 'park.s',
      decision: 'override',
      label: 'pneumonia',
      note: 'left lower zone',
      measurements: [
        { kind: 'length', points: [{ x: 400, y: 900 }, { x: 700, y: 1100 }], value: { length: 51.8 }, unit: 'mm' },
        { kind: 'ellipse', points: [{ x: 500, y: 1000 }, { x: 620, y: 1080 }], value: { mean: 2140.5, sd: 88.2, min: 1901, max: 2399, count: 7540, areaMm2: 203.6 }, unit: null },
      ],
    });
    h.close();
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'dicom', 'send', ...args, '--db', db, '--aet', 'INSPECTOR', '--json'], {
        cwd: repoRoot,
        env: { ...process.env, INSPECTOR_DATA_DIR: join(tmp, 'data') },
        encoding: 'utf8',
      });
    const before = (await pacs.instancesOfStudy(STUDY)).length;
    const viaDimse = cli('--run', String(runId), '--to', `${pacs.aet}@127.0.0.1:${pacs.dicom}`, '--objects', 'sr');
    expect(viaDimse.status, viaDimse.stderr).toBe(0);
    const [sentDimse] = JSON.parse(viaDimse.stdout) as { sopInstanceUid: string; status: string }[];
    expect(sentDimse!.status).toBe('sent');
    const viaStow = cli('--run', String(runId), '--url', `${pacs.url}/dicom-web`, '--objects', 'sr');
    expect(viaStow.status, viaStow.stderr).toBe(0);
    const [sentStow] = JSON.parse(viaStow.stdout) as { sopInstanceUid: string; status: string }[];
    expect((await pacs.instancesOfStudy(STUDY)).length).toBe(before + 2);

    for (const uid of [sentDimse!.sopInstanceUid, sentStow!.sopInstanceUid]) {
      const [id] = await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { SOPInstanceUID: uid } });
      const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
      const f = join(tmp, `reviewed-${uid}.dcm`);
      writeFileSync(f, bytes);
      const v = dciodvfy(f);
      expect(v.errors, v.output).toEqual([]);
      const sr = naturalize(bytes);
      expect(sr['VerificationFlag']).toBe('VERIFIED');
      expect(sr['VerifyingObserverSequence'][0]['VerifyingObserverName']).toEqual([{ Alphabetic: 'Park Seoyeon' }]);
      const decision = [...items(sr)].find((i) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] === 'review')!;
      expect(decision['ConceptCodeSequence'][0]).toMatchObject({ CodeValue: 'overridden', CodingSchemeDesignator: '99INSPECTOR' });
      // The reviewer's class, in the pack's SNOMED CT code.
      expect(decision['ContentSequence'][0]['ConceptCodeSequence'][0]).toMatchObject({ CodeValue: CHEST_CODES['pneumonia']!.value, CodingSchemeDesignator: 'SCT', CodeMeaning: 'Pneumonia' });
      // The measurements, as Orthanc stored them: a length in mm inferred from a 2-point polyline, an ellipse ROI's mean.
      const length = [...items(sr)].find((i) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] === '410668003')!;
      expect(length['MeasuredValueSequence'][0]).toMatchObject({ NumericValue: 51.8, MeasurementUnitsCodeSequence: [expect.objectContaining({ CodeValue: 'mm', CodingSchemeDesignator: 'UCUM' })] });
      expect(length['ContentSequence'][0]).toMatchObject({ ValueType: 'SCOORD', GraphicType: 'POLYLINE', GraphicData: [400, 900, 700, 1100] });
      expect(length['ContentSequence'][0]['ContentSequence'][0]['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID']).toBe(SOURCE_SOP);
      const ellipse = [...items(sr)].find((i) => i['GraphicType'] === 'ELLIPSE')!;
      expect(ellipse['GraphicData']).toEqual([500, 1040, 620, 1040, 560, 1000, 560, 1080]);
      const mean = [...items(sr)].find((i) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] === '373098007')!;
      expect(mean['MeasuredValueSequence'][0]).toMatchObject({ NumericValue: 2140.5, MeasurementUnitsCodeSequence: [expect.objectContaining({ CodeValue: '1', CodingSchemeDesignator: 'UCUM' })] });
    }

    // Nobody listening: exit 1, the SR waits in the outbox with a coded error.
    const down = cli('--run', String(runId), '--to', `NOBODY@127.0.0.1:${await freePort()}`, '--objects', 'sr');
    expect(down.status).toBe(1);
    const [queued] = JSON.parse(down.stdout) as { status: string; lastErrorCode: string; path: string }[];
    expect(queued).toMatchObject({ status: 'pending', lastErrorCode: 'DICOM_PEER_UNREACHABLE' });
  });

  it('`dicom send --deidentify` sends SR, SC, SEG and Parametric Map under a pseudonym with consistently remapped UIDs', async () => {
    const h = new Database(db, { readonly: true });
    const runId = h.prepare('SELECT max(id) FROM inference_runs').pluck().get() as number;
    h.close();
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin', 'inspector.js'), 'dicom', 'send', '--run', String(runId), '--to', `${pacs.aet}@127.0.0.1:${pacs.dicom}`, '--objects', 'sr,sc,seg,pmap', '--deidentify', '--db', db, '--aet', 'INSPECTOR', '--json'],
      { cwd: repoRoot, env: { ...process.env, INSPECTOR_DATA_DIR: join(tmp, 'data') }, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const sent = JSON.parse(r.stdout) as { sopInstanceUid: string; studyInstanceUid: string; kind: string; status: string }[];
    expect(sent.map((s) => [s.kind, s.status]).sort()).toEqual([['pmap', 'sent'], ['sc', 'sent'], ['seg', 'sent'], ['sr', 'sent']]);
    const anonStudy = sent[0]!.studyInstanceUid;
    expect(anonStudy).not.toBe(STUDY);
    expect(sent.every((s) => s.studyInstanceUid === anonStudy)).toBe(true);
    const ids = await pacs.instancesOfStudy(anonStudy);
    expect(ids).toHaveLength(4);
    let srcRef: string | null = null;
    for (const id of ids) {
      const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
      const text = bytes.toString('latin1');
      for (const secret of ['9RG1', 'CompressedSamples', STUDY, SOURCE_SOP, '19400305', 'Park Seoyeon', 'Philips']) expect(text).not.toContain(secret);
      const f = join(tmp, `deid-${id}.dcm`);
      writeFileSync(f, bytes);
      const v = dciodvfy(f);
      expect(v.errors, v.output).toEqual([]);
      const ds = naturalize(bytes);
      expect(ds).toMatchObject({ PatientIdentityRemoved: 'YES', StudyInstanceUID: anonStudy });
      expect(String(ds['PatientID'])).toMatch(/^ANON-[0-9A-F]{12}$/);
      const ref =
        ds['SOPClassUID'] === '1.2.840.10008.5.1.4.1.1.88.33'
          ? ds['CurrentRequestedProcedureEvidenceSequence'][0]['ReferencedSeriesSequence'][0]['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID']
          : ds['SOPClassUID'] === '1.2.840.10008.5.1.4.1.1.7'
            ? ds['SourceImageSequence'][0]['ReferencedSOPInstanceUID']
            : ds['SharedFunctionalGroupsSequence'][0]['DerivationImageSequence'][0]['SourceImageSequence'][0]['ReferencedSOPInstanceUID'];
      // Every object points at the same (pseudonymous) source instance.
      srcRef ??= ref as string;
      expect(ref).toBe(srcRef);
      if (ds['SOPClassUID'] === '1.2.840.10008.5.1.4.1.1.88.33') {
        for (const s of [...items(ds)].filter((i) => i['ValueType'] === 'SCOORD')) expect(s['ContentSequence'][0]['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID']).toBe(srcRef);
      }
    }
  });
});
