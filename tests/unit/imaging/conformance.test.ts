/**
 * Every file under ../shared/data/dicom decodes to the right geometry and pixel hash, or fails with
 * its specific error code. Oracles: pydicom (Debian python3-pydicom 2.3.1, run by
 * scripts/imaging/pydicom_reference.py into tests/fixtures/imaging/pydicom-reference.json), the
 * shared expected-pydicom.json, and exact equality across lossless encodings of the same image.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImageBytes, frameSha256, storedBytesLE, type ImageFile } from '../../../src/core/imaging';
import { hasShared, repoRoot, sharedData } from '../../support/paths';

const root = join(sharedData, 'dicom');
const reference = JSON.parse(readFileSync(join(repoRoot, 'tests/fixtures/imaging/pydicom-reference.json'), 'utf8')) as Record<string, Ref>;

interface Ref {
  transfer_syntax?: string | null;
  rows?: number | null;
  columns?: number | null;
  frames?: number;
  has_pixels?: boolean;
  forced?: boolean;
  frame_sha256?: string[];
  decode_error?: string;
  read_error?: string;
}

/** Files that must be refused, and with which code. */
const EXPECTED_ERRORS: Record<string, string> = {
  'dwv-testdata/dwv-test_no-number-rows.dcm': 'DICOM_MISSING_ATTRIBUTE',
  'pydicom-test-files/meta_missing_tsyntax.dcm': 'DICOM_MISSING_ATTRIBUTE',
  'pydicom-test-files/MR_truncated.dcm': 'DICOM_TRUNCATED_PIXEL_DATA',
  'pydicom-test-files/badVR.dcm': 'DICOM_INVALID_ATTRIBUTE',
  'pydicom-test-files/JPEG2000-embedded-sequence-delimiter.dcm': 'DICOM_DIMENSION_MISMATCH',
  'pydicom-test-files/nested_priv_SQ.dcm': 'DICOM_MALFORMED',
  'pydicom-test-files/rtplan_truncated.dcm': 'DICOM_MALFORMED',
  'pydicom-test-files/dicomdirtests/DICOMDIR-nooffset': 'DICOM_MALFORMED',
  // "Same as CT_small.dcm with no File Meta Information header" but with a stray leading byte: no
  // element can be read at offset 0 (pydicom finds no pixel data in it either).
  'pydicom-test-files/no_meta.dcm': 'IMAGE_NOT_RECOGNISED',
  // Data sets without preamble or meta header: read (pydicom needs force=True), and not images.
  'pydicom-test-files/ExplVR_BigEndNoMeta.dcm': 'DICOM_NO_PIXEL_DATA',
  'pydicom-test-files/ExplVR_LitEndNoMeta.dcm': 'DICOM_NO_PIXEL_DATA',
  'pydicom-test-files/rtstruct.dcm': 'DICOM_NO_PIXEL_DATA',
};

/** Where we knowingly differ from pydicom 2.3.1, and why we are right. */
const PYDICOM_DEVIATIONS: Record<string, string> = {
  // Bits Stored 12, signed: 0x0FFF is −1 (PS3.5 8.1.1); pydicom 2.3 keeps the raw container value 4095.
  'pydicom-data/mlut_18.dcm': 'sign extension from Bits Stored',
  // 1-bit segmentation in J2K: pydicom/Pillow returns 0/128; we return 0/1 like the native liver.dcm.
  'pydicom-data/liver_j2k.dcm': '1-bit J2K',
  'pydicom-data/liver_nonbyte_aligned_j2k.dcm': '1-bit J2K',
};

/** pydicom 2.3.1 cannot read these; we decode them (and the equivalence groups below prove how well). */
const DECODED_BEYOND_PYDICOM = new Set(['pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm']);

/** Lossless encodings of the same pixels: all must decode to identical stored values. */
const EQUIVALENT: string[][] = [
  [
    'cornerstone-testimages/CTImage.dcm',
    'cornerstone-testimages/CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm',
    'cornerstone-testimages/CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm',
    'cornerstone-testimages/CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm',
    'cornerstone-testimages/CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm',
    'cornerstone-testimages/CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm',
    'cornerstone-testimages/CTImage.dcm_JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm',
    'cornerstone-testimages/CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm',
    'cornerstone-testimages/CTImage.dcm_LittleEndianImplicitTransferSyntax_1.2.840.10008.1.2.dcm',
    'cornerstone-testimages/CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm',
  ],
  ['cornerstone-testimages/TestPattern_RGB.dcm', 'cornerstone-testimages/TestPattern_JPEG-LS-Lossless.dcm', 'cornerstone-testimages/TestPattern_JPEG-Lossless_RGB.dcm'],
  [
    'dicomparser-testimages/CT1_UNC.explicit_little_endian.dcm',
    'dicomparser-testimages/CT1_UNC.explicit_big_endian.dcm',
    'dicomparser-testimages/CT1_UNC.implicit_little_endian.dcm',
    'dicomparser-testimages/encapsulated/single-frame/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm',
    'dicomparser-testimages/encapsulated/single-frame/CT1_UNC.fragmented_no_bot_jpeg_ls.80.dcm',
    'dicomparser-testimages/encapsulated/single-frame/CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm',
    'dicomparser-testimages/encapsulated/single-frame/CT1_UNC.not_fragmented_no_bot_jpeg_ls.80.dcm',
    'cornerstone-testimages/CT1_J2KR',
    'dwv-testdata/nema-ct1_jpll.dcm',
  ],
  [
    'dicomparser-testimages/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm',
    'dicomparser-testimages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_lossless.57.dcm',
    'dicomparser-testimages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_lossless.70.dcm',
    'dicomparser-testimages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_ls.80.dcm',
    'dicomparser-testimages/encapsulated/multi-frame/CT0012.not_fragmented_bot_jpeg_ls.80.dcm',
    'dicomparser-testimages/encapsulated/multi-frame/CT0012.not_fragmented_no_bot_jpeg_ls.80.dcm',
    'dicomparser-testimages/encapsulated/multi-frame/CT0012.not_fragmented_bot_rle.dcm',
    'dicomparser-testimages/encapsulated/multi-frame/CT0012.not_fragmented_no_bot_rle.dcm',
  ],
  ['pydicom-data/liver.dcm', 'pydicom-data/liver_deflate.dcm', 'pydicom-data/liver_expb.dcm', 'pydicom-data/liver_j2k.dcm', 'pydicom-data/liver_rle.dcm'],
  ['pydicom-data/liver_nonbyte_aligned.dcm', 'pydicom-data/liver_nonbyte_aligned_deflate.dcm', 'pydicom-data/liver_nonbyte_aligned_j2k.dcm', 'pydicom-data/liver_nonbyte_aligned_rle.dcm'],
  ['pydicom-data/emri_small.dcm', 'pydicom-data/emri_small_RLE.dcm', 'pydicom-data/emri_small_big_endian.dcm', 'pydicom-data/emri_small_jpeg_2k_lossless.dcm', 'pydicom-data/emri_small_jpeg_ls_lossless.dcm', 'pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm'],
  ['dwv-testdata/nema-nm1_j2kr.dcm', 'dwv-testdata/nema-nm1_jpll.dcm', 'pydicom-data/JPEG-LL.dcm'],
  ['pydicom-data/JLSL_RGB_ILV1.dcm', 'pydicom-data/JLSL_RGB_ILV2.dcm'],
  ['pydicom-data/SC_rgb.dcm', 'pydicom-data/SC_rgb_expb.dcm', 'pydicom-test-files/SC_rgb_rle.dcm', 'pydicom-test-files/SC_rgb_gdcm_KY.dcm'],
  ['pydicom-data/SC_rgb_16bit_2frame.dcm', 'pydicom-data/SC_rgb_expb_16bit_2frame.dcm', 'pydicom-test-files/SC_rgb_rle_16bit_2frame.dcm'],
  ['pydicom-data/SC_rgb_32bit_2frame.dcm', 'pydicom-data/SC_rgb_expb_32bit_2frame.dcm', 'pydicom-test-files/SC_rgb_rle_32bit_2frame.dcm'],
  ['pydicom-test-files/MR_small.dcm', 'pydicom-test-files/MR_small_RLE.dcm', 'pydicom-test-files/MR_small_bigendian.dcm', 'pydicom-test-files/MR_small_implicit.dcm', 'pydicom-test-files/MR_small_jp2klossless.dcm', 'pydicom-test-files/MR_small_jpeg_ls_lossless.dcm'],
  ['pydicom-data/MR2_UNCR.dcm', 'pydicom-data/MR2_J2KR.dcm'],
  ['pydicom-data/US1_UNCR.dcm', 'pydicom-data/US1_J2KR.dcm'],
  ['pydicom-data/693_UNCR.dcm', 'pydicom-data/693_J2KR.dcm'],
  ['pydicom-data/gdcm-US-ALOKA-16.dcm', 'pydicom-data/gdcm-US-ALOKA-16_big.dcm'],
  // YBR_FULL_422 native (expanded to one Cb/Cr per pixel) = the same picture JPEG-coded as YBR_FULL.
  ['pydicom-data/SC_ybr_full_uncompressed.dcm', 'pydicom-test-files/SC_ybr_full_422_uncompressed.dcm'],
];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

type Outcome = { file: ImageFile; hashes: string[] } | { code: string; message: string };

const outcomes = new Map<string, Outcome>();
async function outcome(rel: string): Promise<Outcome> {
  let o = outcomes.get(rel);
  if (!o) {
    try {
      const file = await loadImageBytes(readFileSync(join(root, rel)), rel);
      o = { file, hashes: file.frames.map(frameSha256) };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      o = { code: err.code ?? 'UNCODED', message: err.message ?? String(e) };
    }
    outcomes.set(rel, o);
  }
  return o;
}

function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak: number): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((peak * peak) / (se / a.length));
}

describe.skipIf(!hasShared)('DICOM conformance over ../shared/data/dicom', () => {
  it('the reference lists exactly the files on disk', () => {
    expect(existsSync(root), `${root} is missing`).toBe(true);
    const onDisk = walk(root).map((p) => relative(root, p)).sort();
    expect(onDisk).toEqual(Object.keys(reference).sort());
  });

  it('every file decodes to the reference geometry and hash, or fails with its expected code', async () => {
    const problems: string[] = [];
    let decoded = 0;
    let refused = 0;
    for (const [rel, ref] of Object.entries(reference)) {
      const o = await outcome(rel);
      const expectedCode =
        EXPECTED_ERRORS[rel] ?? (DECODED_BEYOND_PYDICOM.has(rel) ? undefined : !ref.transfer_syntax && ref.forced && !ref.has_pixels ? 'IMAGE_NOT_RECOGNISED' : !ref.has_pixels ? 'DICOM_NO_PIXEL_DATA' : undefined);
      if ('code' in o) {
        refused++;
        if (!/^[A-Z][A-Z0-9_]+$/.test(o.code) || !o.message.endsWith('.')) problems.push(`${rel}: uncoded error ${o.code} "${o.message}"`);
        if (o.code !== expectedCode) problems.push(`${rel}: ${o.code} (${o.message}), expected ${expectedCode ?? 'a decoded image'}`);
        continue;
      }
      decoded++;
      if (expectedCode) {
        problems.push(`${rel}: decoded, expected ${expectedCode}`);
        continue;
      }
      const f0 = o.file.frames[0]!;
      if (DECODED_BEYOND_PYDICOM.has(rel)) continue;
      if (o.file.frames.length !== ref.frames || f0.width !== ref.columns || f0.height !== ref.rows) {
        problems.push(`${rel}: ${o.file.frames.length}×${f0.width}×${f0.height}, pydicom ${ref.frames}×${ref.columns}×${ref.rows}`);
      }
      if (ref.frame_sha256 && !PYDICOM_DEVIATIONS[rel] && JSON.stringify(o.hashes) !== JSON.stringify(ref.frame_sha256)) {
        problems.push(`${rel}: pixel hash differs from pydicom`);
      }
    }
    console.log(`conformance: ${decoded} decoded, ${refused} refused with their expected codes, ${problems.length} problems`);
    expect(problems).toEqual([]);
  });

  it('agrees with expected-pydicom.json wherever pydicom decoded', async () => {
    const expected = JSON.parse(readFileSync(join(root, 'cornerstone-testimages/expected-pydicom.json'), 'utf8')) as Record<string, { pydicom_pixel_sha256?: string; pydicom_dtype?: string; error?: string }>;
    let compared = 0;
    for (const [name, e] of Object.entries(expected)) {
      const o = await outcome(`cornerstone-testimages/${name}`);
      if (e.error) {
        expect('code' in o ? o.code : 'decoded', name).toBe('DICOM_NO_PIXEL_DATA');
        continue;
      }
      if (!e.pydicom_pixel_sha256) continue;
      expect('file' in o, name).toBe(true);
      if (!('file' in o)) continue;
      const values = o.file.frames[0]!.stored;
      let bytes = storedBytesLE(values);
      // pydicom kept big-endian files big-endian (dtype '>i2'): hash our values in that byte order.
      if (e.pydicom_dtype?.startsWith('>')) {
        const size = values.BYTES_PER_ELEMENT;
        const swapped = new Uint8Array(bytes.length);
        for (let i = 0; i < bytes.length; i += size) for (let k = 0; k < size; k++) swapped[i + k] = bytes[i + size - 1 - k]!;
        bytes = swapped;
      }
      expect(createHash('sha256').update(bytes).digest('hex'), name).toBe(e.pydicom_pixel_sha256);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(15);
  });

  it('every lossless encoding of the same image decodes to identical stored values', async () => {
    for (const group of EQUIVALENT) {
      const hashes = await Promise.all(group.map(async (rel) => {
        const o = await outcome(rel);
        return 'hashes' in o ? o.hashes.join(',') : `error ${o.code}`;
      }));
      expect(hashes, group[0]).toEqual(group.map(() => hashes[0]));
    }
    const ct = await outcome('cornerstone-testimages/CTImage.dcm');
    expect('hashes' in ct && ct.hashes[0]).toBe('1bee432808f49770bbc30d904e3e744082b0ba41704d4943e7de5bcb3e3d72f9');
  });

  it('lossy encodings of CTImage stay close to the original (PSNR reported and bounded)', async () => {
    const original = await outcome('cornerstone-testimages/CTImage.dcm');
    if (!('file' in original)) throw new Error('CTImage.dcm did not decode');
    const ref = original.file.frames[0]!.stored;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ref) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const lossy = {
      'JPEG 2000 (.91)': 'cornerstone-testimages/CTImage.dcm_JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm',
      'JPEG-LS near-lossless (.81)': 'cornerstone-testimages/CTImage.dcm_JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81.dcm',
    };
    for (const [label, rel] of Object.entries(lossy)) {
      const o = await outcome(rel);
      if (!('file' in o)) throw new Error(`${rel}: ${o.code}`);
      const p = psnr(ref, o.file.frames[0]!.stored, hi - lo);
      console.log(`PSNR ${label}: ${p.toFixed(1)} dB (peak ${hi - lo})`);
      expect(p, label).toBeGreaterThan(50);
    }
  });
});
