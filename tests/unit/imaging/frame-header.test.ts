/**
 * The header the host sends for the viewer's corner annotations (`ImageFrame.header`, position,
 * orientation), on the shared tilted CT head series, against pydicom's reading of the same file.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/core/imaging';
import { displayFrame } from '../../../src/core/imaging/display';
import { hasShared, sharedData } from '../../support/paths';

describe.skipIf(!hasShared)('frame header from the host (tilted CT head series)', () => {
  it('carries patient, series, instance, thickness, position and orientation', async () => {
    const file = await loadImage(join(sharedData, 'dicom', 'ct-series-ge-head-tilted', '02.dcm'));
    const info = displayFrame(file.frames[0]!, 'HU').info;
    // pydicom: PatientName REMOVED, PatientID QMNx85rKkkg, SeriesNumber 2, InstanceNumber 2,
    // SliceThickness 4.0, SliceLocation -31.28, StudyDescription HEAD, empty StudyDate.
    expect(info.header).toEqual({ patientName: 'REMOVED', patientId: 'QMNx85rKkkg', modality: 'CT', studyDescription: 'HEAD', seriesNumber: '2', instanceNumber: '2', sliceLocation: -31.28, sliceThickness: 4,
      // Which instance it is (dcmdump): measurements name it in the SR.
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.826.0.1.3680043.9.4245.6127377994274960727082086578984820875', seriesInstanceUid: '1.2.826.0.1.3680043.9.4245.3115138630835728997848661150714813892' });
    expect(info.position).toEqual([-125, -123.5404569, 10.0560586]);
    expect(info.orientation).toEqual([1, 0, 0, 0, 0.9483237, -0.3173047]);
    expect(info.pixelSpacing).toMatchObject({ row: 0.4882812, column: 0.4882812 });
  });

  it('a PNG frame carries no header (corners then show W/L and zoom only)', async () => {
    const file = await loadImage(join(sharedData, 'battery-xct/slices/im_1.png'));
    expect(file.frames.length).toBeGreaterThan(0);
    expect(file.frames[0]!.header).toBeUndefined();
    expect(displayFrame(file.frames[0]!).info.header).toBeUndefined();
  });
});
