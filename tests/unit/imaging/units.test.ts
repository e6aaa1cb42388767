/**
 * The unit of a frame's real values (the viewer's pixel readout and legend): HU only for CT with a
 * rescale; an MR, a CR radiograph and a PNG carry no unit (the readout then says "raw").
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openImage } from '../../../src/core/imaging/open';
import { repoRoot, hasShared, sharedData } from '../../support/paths';

describe.skipIf(!hasShared)('frame units', () => {
  const dicom = join(sharedData, 'dicom');
  it('CT rescaled: HU', async () => {
    const ct = await openImage(join(dicom, 'cornerstone-testimages', 'CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'));
    expect(ct.frames[0]!.info.unit).toBe('HU');
  });
  it('MR and CR: no unit (never HU)', async () => {
    for (const f of [join(dicom, 'pydicom-test-files', 'MR_small.dcm'), join(dicom, 'dwv-testdata', 'gdcm-CR-MONO1-10-chest.dcm')]) {
      const img = await openImage(f);
      expect(img.attributes.modality, f).not.toBe('CT');
      expect(img.frames[0]!.info.unit, f).toBeUndefined();
    }
  });
  it('a PNG: no unit', async () => {
    const png = await openImage(join(repoRoot, 'tests', 'fixtures', 'packs', 'images', 'normal_0.png'));
    expect(png.frames[0]!.info.unit).toBeUndefined();
  });
});
