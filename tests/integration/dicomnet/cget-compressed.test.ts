/**
 * C-GET of a JPEG 2000 radiograph from Orthanc 1.10, which cannot transcode J2K to the Little
 * Endian syntaxes our C-GET proposes: a coded DICOM_GET_FAILED with the counts, and nothing
 * half-written in the inbox (the documented limit of C-GET here; C-MOVE and WADO-RS bring it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudy } from '../../../src/core/dicomnet/cget';
import { repoRoot } from '../../support/paths';
import { hasOrthanc, Orthanc } from './orthanc';

const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';

describe.skipIf(!hasOrthanc)('C-GET of a compressed instance the PACS cannot transcode', () => {
  let pacs: Orthanc;
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-cget-'));
  beforeAll(async () => {
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: 104 } });
    await pacs.upload(CR);
  }, 60_000);
  afterAll(async () => {
    await pacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is a coded DICOM_GET_FAILED with the counts, and the inbox holds nothing of it', async () => {
    const inbox = join(tmp, 'inbox');
    await expect(getStudy({ aet: 'TESTPACS', host: '127.0.0.1', port: pacs.dicom }, STUDY, { inbox }, { callingAet: 'INSPECTOR', timeoutSeconds: 20 })).rejects.toMatchObject({
      code: 'DICOM_GET_FAILED',
      details: expect.objectContaining({ expected: 1, arrived: 0 }),
    });
    expect(existsSync(join(inbox, STUDY))).toBe(false);
  }, 60_000);
});
