/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the assertions check its shape */
/**
 * The reviewer's measurements in the history and in the reviewed SR: a review with a length, an
 * ellipse and a rectangle ROI on a real CT slice (shared GE head series) is recorded as audited,
 * append-only rows; the SR built from the run (the same `buildResults` the node sends) is VERIFIED,
 * carries each as a TID 1500 measurement group — the length in mm with a 2-point SCOORD
 * POLYLINE, the ROI statistics in UCUM HU with SCOORD ELLIPSE / closed POLYLINE selected from the
 * slice — and passes dciodvfy without errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildResults } from '../../../src/core/dicomnet/results';
import { getRun, HistoryStore, verifyAudit } from '../../../src/core/history/index';
import { dciodvfy, hasDciodvfy } from '../../integration/dicomnet/orthanc';
import { hasShared, sharedData } from '../../support/paths';
import { sampleRecord, tempDir } from '../history/support';
import { naturalize, items } from '../../integration/dicomnet/naturalize';

const SLICE = join(sharedData, 'dicom', 'ct-series-ge-head-tilted', '01.dcm');

const conceptOf = (i: Record<string, any>) => i['ConceptNameCodeSequence']?.[0]?.['CodeValue'] as string | undefined;

describe.skipIf(!hasShared)('reviewer measurements → history → SR', () => {
  const t = tempDir('inspector-sr-measure-');
  afterAll(() => t.cleanup());

  it('are audited review rows, read back with the run, and written into a VERIFIED SR that dciodvfy accepts', async () => {
    const source = naturalize(readFileSync(SLICE));
    const store = HistoryStore.open(t.file);
    const { runId } = store.recordInference(
      sampleRecord(1, { image: { sourcePath: SLICE, sha256: 'e'.repeat(64), format: 'dicom', modality: 'ct', width: 512, height: 512, validation: { outcome: 'ok' } }, regions: [] }),
    );
    store.createOperator({ id: 'kim.r', name: 'Kim Radiographer', role: 'reviewer' });
    const src = { sopClassUid: source['SOPClassUID'], sopInstanceUid: source['SOPInstanceUID'], seriesInstanceUid: source['SeriesInstanceUID'] };
    const reviewId = store.recordReview({
      runId,
      operatorId: 'kim.r',
      decision: 'accept',
      measurements: [
        { kind: 'length', points: [{ x: 100, y: 256 }, { x: 400, y: 300 }], value: { length: 148.2 }, unit: 'mm', source: src },
        { kind: 'ellipse', points: [{ x: 180, y: 340 }, { x: 240, y: 380 }], value: { mean: -5.8, sd: 12.3, min: -40, max: 31, count: 1880, areaMm2: 449.6 }, unit: 'HU', source: src },
        { kind: 'rectangle', points: [{ x: 180, y: 340 }, { x: 220, y: 380 }], value: { mean: -4.1, sd: 11, min: -38, max: 30, count: 1600, areaMm2: 381.5 }, unit: 'HU', source: src },
      ],
    });

    // Audited like the review: one chain entry each, the chain verifies, the rows cannot change.
    const entries = store.db.prepare(`SELECT action, actor FROM audit_log WHERE entity = 'measurement' ORDER BY seq`).all() as { action: string; actor: string }[];
    expect(entries).toEqual(Array.from({ length: 3 }, () => ({ action: 'measurement.record', actor: 'kim.r' })));
    expect(verifyAudit(store.db).ok).toBe(true);
    expect(() => store.db.prepare('UPDATE review_measurements SET value = ? WHERE review_id = ?').run('{"mean":0}', reviewId)).toThrow(/HISTORY_APPEND_ONLY/);
    expect(() => store.db.prepare('DELETE FROM review_measurements').run()).toThrow(/HISTORY_APPEND_ONLY/);
    const detail = getRun(store.db, runId);
    expect(detail.reviews[0]!.measurements.map((m) => [m.kind, m.unit])).toEqual([['length', 'mm'], ['ellipse', 'HU'], ['rectangle', 'HU']]);

    // A bad measurement is refused with a code, and the review with it is not recorded either.
    expect(() =>
      store.recordReview({ runId, operatorId: 'kim.r', decision: 'accept', supersedes: reviewId, measurements: [{ kind: 'length', points: [{ x: NaN, y: 0 }, { x: 1, y: 1 }], value: { length: 1 } }] }),
    ).toThrow(expect.objectContaining({ code: 'REVIEW_BAD_MEASUREMENT' }));
    expect(getRun(store.db, runId).reviews).toHaveLength(1);

    const [sr] = await buildResults(store, runId, ['sr'], { uidRoot: '1.2.826.0.1.3680043.10.1234', softwareVersion: '0.0.0-test', outDir: join(t.dir, 'out') });
    store.close();
    if (hasDciodvfy) {
      const v = dciodvfy(sr!.path);
      expect(v.errors, v.output).toEqual([]);
    } else console.warn('dciodvfy absent: SR structure checked, conformance not');
    const ds = naturalize(readFileSync(sr!.path));
    expect(ds['VerificationFlag']).toBe('VERIFIED');
    const all = [...items(ds)];
    const groups = all.filter((i) => conceptOf(i) === '125007' && [...items(i)].some((c) => c['ConceptCodeSequence']?.[0]?.['CodeValue'] === 'reviewer-meas'));
    expect(groups).toHaveLength(3);

    const [lengthGroup, ellipseGroup, rectGroup] = groups;
    const length = [...items(lengthGroup!)].find((i) => conceptOf(i) === '410668003')!;
    expect(length['ValueType']).toBe('NUM');
    expect(length['MeasuredValueSequence'][0]['NumericValue']).toBeCloseTo(148.2, 6);
    expect(length['MeasuredValueSequence'][0]['MeasurementUnitsCodeSequence'][0]).toMatchObject({ CodeValue: 'mm', CodingSchemeDesignator: 'UCUM' });
    const line = length['ContentSequence'][0];
    expect(line).toMatchObject({ RelationshipType: 'INFERRED FROM', ValueType: 'SCOORD', GraphicType: 'POLYLINE' });
    expect(line['GraphicData']).toEqual([100, 256, 400, 300]);
    expect(line['ContentSequence'][0]['ReferencedSOPSequence'][0]['ReferencedSOPInstanceUID']).toBe(source['SOPInstanceUID']);

    const ellipse = [...items(ellipseGroup!)].find((i) => i['ValueType'] === 'SCOORD')!;
    expect(ellipse['GraphicType']).toBe('ELLIPSE');
    // Major axis (horizontal, 60 px) end points, then the minor axis (40 px) end points.
    expect(ellipse['GraphicData']).toEqual([180, 360, 240, 360, 210, 340, 210, 380]);
    const stat = (g: Record<string, any>, code: string) => [...items(g)].find((i) => conceptOf(i) === code)!['MeasuredValueSequence'][0];
    expect(stat(ellipseGroup!, '373098007')).toMatchObject({ NumericValue: -5.8, MeasurementUnitsCodeSequence: [expect.objectContaining({ CodeValue: "[hnsf'U]", CodingSchemeDesignator: 'UCUM' })] });
    expect(stat(ellipseGroup!, '386136009')['NumericValue']).toBeCloseTo(12.3, 6);
    expect(stat(ellipseGroup!, '255605001')['NumericValue']).toBe(-40);
    expect(stat(ellipseGroup!, '56851009')['NumericValue']).toBe(31);
    expect(stat(ellipseGroup!, '42798000')).toMatchObject({ NumericValue: 449.6, MeasurementUnitsCodeSequence: [expect.objectContaining({ CodeValue: 'mm2' })] });

    const rect = [...items(rectGroup!)].find((i) => i['ValueType'] === 'SCOORD')!;
    expect(rect['GraphicType']).toBe('POLYLINE');
    expect(rect['GraphicData']).toEqual([180, 340, 220, 340, 220, 380, 180, 380, 180, 340]);
    expect(stat(rectGroup!, '373098007')['NumericValue']).toBe(-4.1);
    // The reviewer is named on each group, and the decision is still there.
    expect([...items(rectGroup!)].find((i) => conceptOf(i) === '121008')!['PersonName']).toEqual([{ Alphabetic: 'Kim Radiographer' }]);
    expect(all.find((i) => conceptOf(i) === 'review')!['ConceptCodeSequence'][0]['CodeValue']).toBe('accepted');
  });
});
