/**
 * C-GET of compressed studies from a real Orthanc 1.10 (which cannot transcode JPEG 2000): our
 * association proposes every compressed syntax our decoders read, one context each per SOP class,
 * so Orthanc sends each instance as held — J2K (CR, CT), JPEG baseline and RLE in one study (SC),
 * JPEG-LS (MR), JPEG extended. Each arrives in the syntax Orthanc holds, its pixel data
 * byte-identical to Orthanc's copy, and decodes to the same pixels as Orthanc's file. With the old
 * uncompressed-only proposal, the J2K study failed (DICOM_GET_FAILED): the first case.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudy, sopClassesOfStudy } from '../../../src/core/dicomnet/cget';
import type { ReceivedInstance } from '../../../src/core/dicomnet/records';
import { loadDicom } from '../../../src/core/imaging/dicom/load';
import { repoRoot } from '../../support/paths';
import { heldOf, type HeldBytes } from './naturalize';
import { hasOrthanc, Orthanc } from './orthanc';

const CR_STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';
const PYD = join(repoRoot, '..', 'shared', 'data', 'dicom', 'pydicom-test-files');
const FILES = [
  join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm'), // CR, J2K
  join(PYD, '693_J2KI.dcm'), // CT, J2K
  join(PYD, 'SC_rgb_jpeg_dcmtk.dcm'), // SC, JPEG baseline  } one study,
  join(PYD, 'SC_rgb_rle.dcm'), // SC, RLE                   } two syntaxes
  join(PYD, 'MR_small_jpeg_ls_lossless.dcm'), // MR, JPEG-LS
  join(PYD, 'JPGExtended.dcm'), // SC, JPEG extended
];

describe.skipIf(!hasOrthanc)('C-GET of compressed studies Orthanc holds and cannot transcode', () => {
  let pacs: Orthanc;
  const held = new Map<string, HeldBytes>();
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-cget-'));
  beforeAll(async () => {
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port: 104 } });
    for (const f of FILES) {
      const { ID } = await pacs.upload(f);
      // What Orthanc holds (its stored file), to compare against what C-GET brings.
      const r = await fetch(`${pacs.url}/instances/${ID}/file`);
      const h = heldOf(Buffer.from(await r.arrayBuffer()));
      held.set(h.sop, h);
    }
  }, 60_000);
  afterAll(async () => {
    await pacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const studies = () => [...new Set([...held.values()].map((h) => h.study))];

  it('brings every instance of every study in the syntax Orthanc holds, pixel data byte-identical, decoded to the same pixels', async () => {
    expect(studies().length).toBe(5);
    expect(new Set([...held.values()].map((h) => h.ts)).size).toBe(5); // J2K, JPEG baseline, RLE, JPEG-LS, JPEG extended
    const inbox = join(tmp, 'inbox');
    const got: ReceivedInstance[] = [];
    for (const study of studies()) {
      const r = await getStudy({ aet: 'TESTPACS', host: '127.0.0.1', port: pacs.dicom }, study, { inbox, onStored: (i) => got.push(i) }, { callingAet: 'INSPECTOR', timeoutSeconds: 20 });
      const n = [...held.values()].filter((h) => h.study === study).length;
      expect(r).toMatchObject({ completed: n, failed: 0, expected: n, arrived: n });
    }
    expect(got.map((g) => g.sopInstanceUid).sort()).toEqual([...held.keys()].sort());
    // The contexts were proposed for the SOP classes Orthanc named (not the fallback list).
    expect(await sopClassesOfStudy({ aet: 'TESTPACS', host: '127.0.0.1', port: pacs.dicom }, CR_STUDY, { callingAet: 'INSPECTOR', timeoutSeconds: 20 })).toEqual(['1.2.840.10008.5.1.4.1.1.1']);
    for (const rec of got) {
      const mine = heldOf(readFileSync(rec.path));
      const theirs = held.get(mine.sop)!;
      expect(mine.ts, mine.sop).toBe(theirs.ts);
      expect(mine.pixelData.equals(theirs.pixelData), `${mine.sop}: pixel data bytes`).toBe(true);
      const [a, b] = await Promise.all([loadDicom(new Uint8Array(mine.file)), loadDicom(new Uint8Array(theirs.file))]);
      expect(a.frames.length).toBe(b.frames.length);
      a.frames.forEach((f, i) => {
        expect([f.width, f.height, f.channels]).toEqual([b.frames[i]!.width, b.frames[i]!.height, b.frames[i]!.channels]);
        expect(Buffer.from(f.stored.buffer, f.stored.byteOffset, f.stored.byteLength).equals(Buffer.from(b.frames[i]!.stored.buffer, b.frames[i]!.stored.byteOffset, b.frames[i]!.stored.byteLength))).toBe(true);
      });
    }
  }, 120_000);
});
