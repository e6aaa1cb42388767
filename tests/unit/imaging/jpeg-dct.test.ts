/**
 * Our T.81 DCT decoder (src/core/imaging/dicom/codecs/dct) against independent decoders:
 * - 12-bit: DCTMK's dcmdjpeg (IJG 12-bit library) on the committed DCMTK-made fixtures, and on
 *   every shared 12-bit file when dcmdjpeg is installed; lossless twins of the shared files (PSNR).
 * - 8-bit: libjpeg-turbo (the WASM codec we ship) on restart/progressive/colour fixtures and on
 *   every 8-bit baseline file of the shared data, which proves the Huffman, restart and IDCT paths
 *   that the 12-bit files alone do not reach.
 * The IDCTs differ (ours exact in double precision, IJG's integer), so ±1 grey level is allowed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImageBytes, realValues, type Frame, type ImageFile } from '../../../src/core/imaging';
import { decodeDct } from '../../../src/core/imaging/dicom/codecs/dct/decode';
import { decodeWasm } from '../../../src/core/imaging/dicom/codecs/wasm';
import { withoutColourTransform } from '../../../src/core/imaging/dicom/codecs/jpegColour';
import { parseDicomBytes } from '../../../src/core/imaging/dicom/parse';
import { readPixelModule } from '../../../src/core/imaging/dicom/pixelModule';
import { encapsulatedFrames } from '../../../src/core/imaging/dicom/frames';
import { hasShared, repoRoot, sharedData } from '../../support/paths';

const fixtures = join(repoRoot, 'tests/fixtures/imaging');
const dicom = join(sharedData, 'dicom');

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, step = 1): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = from; i < a.length; i += step) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** PSNR of `a` against `b` after removing `offset`, with the peak taken as b's range. */
function psnr(a: ArrayLike<number>, b: ArrayLike<number>, offset = 0): number {
  let lo = Infinity;
  let hi = -Infinity;
  let se = 0;
  for (let i = 0; i < b.length; i++) {
    lo = Math.min(lo, b[i]!);
    hi = Math.max(hi, b[i]!);
    se += (a[i]! - offset - b[i]!) ** 2;
  }
  return 10 * Math.log10((hi - lo) ** 2 / (se / b.length));
}

const load = async (path: string) => loadImageBytes(readFileSync(path), path);

function expectSameGeometry(a: Frame, b: Frame) {
  expect([a.width, a.height, a.channels, a.photometric]).toEqual([b.width, b.height, b.channels, b.photometric]);
}

describe('8-bit JPEG features against libjpeg-turbo (committed fixtures)', () => {
  const dir = join(fixtures, 'jpeg-dct');
  const cases = readdirSync(dir).filter((f) => f.endsWith('.jpg'));

  it('the fixtures cover restarts, progressive coding and 4:2:0 / 4:4:4 colour', () => {
    const has = (name: string, marker: number) => readFileSync(join(dir, name)).some((v, i, b) => v === 0xff && b[i + 1] === marker);
    expect(cases.length).toBe(5);
    expect(cases.filter((c) => has(c, 0xdd) && has(c, 0xd0))).toHaveLength(4);
    expect(cases.filter((c) => has(c, 0xc2))).toHaveLength(3);
  });

  it.each(cases)('%s decodes within one grey level of libjpeg-turbo (chroma of 4:2:0 within its upsampling)', async (name) => {
    const bytes = new Uint8Array(readFileSync(join(dir, name)));
    const ours = decodeDct(bytes);
    // libjpeg would convert YCbCr → RGB; the Adobe "no transform" marker keeps the coded samples, as ours.
    const theirs = await decodeWasm('jpeg', ours.components === 3 ? withoutColourTransform(bytes) : bytes);
    expect([ours.width, ours.height, ours.components, ours.precision]).toEqual([61, 37, theirs.components, 8]);
    expect(ours.data.length).toBe(theirs.bytes.length);
    if (name.startsWith('colour420')) {
      // Chroma is upsampled by replication here and by libjpeg's triangle filter there, which on
      // this deliberately noisy chroma costs ~29 dB; a misplaced block or band would cost far more.
      expect(maxAbsDiff(ours.data, theirs.bytes, 0, 3)).toBeLessThanOrEqual(1);
      const chroma = (d: ArrayLike<number>) => Array.from({ length: d.length / 3 }, (_, i) => d[3 * i + 1]!);
      expect(psnr(chroma(ours.data), chroma(theirs.bytes))).toBeGreaterThan(25);
    } else {
      expect(maxAbsDiff(ours.data, theirs.bytes)).toBeLessThanOrEqual(1);
    }
  });

  it('broken codestreams end in DICOM_DECODE_FAILED with a sentence', () => {
    const good = new Uint8Array(readFileSync(join(dir, 'grey_rst1.jpg')));
    const sof = good.findIndex((v, i) => v === 0xff && good[i + 1] === 0xc0);
    const arithmetic = good.slice();
    arithmetic[sof + 1] = 0xc9;
    const cut = good.slice(0, Math.floor(good.length * 0.6));
    const noTables = good.slice();
    const dht = good.findIndex((v, i) => v === 0xff && good[i + 1] === 0xc4);
    noTables[dht + 1] = 0xfe; // the Huffman tables become a comment
    for (const [bytes, words] of [
      [arithmetic, /arithmetic-coded/],
      [cut, /restart marker|code its Huffman table does not define/],
      [noTables, /Huffman table that was never defined/],
      [new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), /no frame or no scan/],
    ] as const) {
      let err: { code?: string; message?: string } = {};
      try {
        decodeDct(bytes);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err.code).toBe('DICOM_DECODE_FAILED');
      expect(err.message).toMatch(words);
      expect(err.message?.endsWith('.')).toBe(true);
    }
  });
});

describe('corrupted codestreams', () => {
  it('400 seeded mutations (bytes, cuts, deletions) all end decoded or in DICOM_DECODE_FAILED', async () => {
    const streams = readdirSync(join(fixtures, 'jpeg-dct')).map((f) => new Uint8Array(readFileSync(join(fixtures, 'jpeg-dct', f))));
    for (const name of ['mr_ep', 'rgb_ee']) {
      const { dataSet } = parseDicomBytes(new Uint8Array(readFileSync(join(fixtures, 'jpeg12', `${name}.dcm`))));
      streams.push(new Uint8Array(encapsulatedFrames(dataSet, readPixelModule(dataSet), true)[0]!));
    }
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const outcomes: Record<string, number> = {};
    for (let n = 0; n < 400; n++) {
      const s = streams[n % streams.length]!.slice();
      let b = s;
      if (n % 3 === 0) for (let k = 0; k < 1 + Math.floor(rnd() * 8); k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      else if (n % 3 === 1) b = s.subarray(0, Math.floor(rnd() * s.length));
      else {
        const i = Math.floor(rnd() * s.length);
        b = new Uint8Array([...s.subarray(0, i), ...s.subarray(i + 1 + Math.floor(rnd() * 20))]);
      }
      let outcome = 'decoded';
      try {
        decodeDct(b);
      } catch (e) {
        outcome = (e as { code?: string }).code ?? `uncoded: ${(e as Error).message}`;
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    expect(Object.keys(outcomes).sort()).toEqual(['DICOM_DECODE_FAILED', 'decoded']);
  });
});

describe('12-bit JPEG against DCMTK dcmdjpeg (committed DCMTK-made fixtures)', () => {
  const dir = join(fixtures, 'jpeg12');
  it.each(['mr_ee', 'mr_es', 'mr_ep', 'rgb_ee'])('%s: stored values within one level of DCMTK', async (name) => {
    const ours = await load(join(dir, `${name}.dcm`));
    const dcmtk = await load(join(dir, `${name}_dcmtk.dcm`));
    expect(ours.frames).toHaveLength(dcmtk.frames.length);
    for (const [k, f] of ours.frames.entries()) {
      const ref = dcmtk.frames[k]!;
      expectSameGeometry(f, ref);
      expect(f.dtype).toBe(ref.dtype);
      expect(maxAbsDiff(f.stored, ref.stored)).toBeLessThanOrEqual(1);
    }
  });
});

type Loaded = { rel: string; file: ImageFile };
const cache = new Map<string, Promise<ImageFile>>();
const shared = (rel: string) => {
  let p = cache.get(rel);
  if (!p) cache.set(rel, (p = load(join(dicom, rel))));
  return p;
};

const CT0012_LOSSLESS = 'dicomparser-testimages/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm';
const CTIMAGE = 'cornerstone-testimages/CTImage.dcm';
const NM1_LOSSLESS = 'dwv-testdata/nema-nm1_jpll.dcm';
const TWELVE_BIT = [
  'cornerstone-testimages/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm',
  'dicomparser-testimages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm',
  'cornerstone-testimages/CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm',
  'cornerstone-testimages/CTImage.dcm_JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm',
  'cornerstone-testimages/CTImage.dcm_JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm',
  'dwv-testdata/nema-mr1_jply.dcm',
  'dwv-testdata/nema-nm1_jply.dcm',
  'pydicom-test-files/JPEG-lossy.dcm',
  'pydicom-test-files/JPGExtended.dcm',
];

describe.skipIf(!hasShared)('12-bit lossy JPEG files of ../shared/data/dicom against their lossless twins', () => {
  it('CT0012 .51 (both copies, 2 frames) is the lossless CT0012 plus a constant 1023 coded into the JPEG data', async () => {
    // DCMTK's dcmdjpeg decodes the same +1023 (median of the difference, ±14 lossy noise) while
    // Rescale Intercept stayed −1024: the offset is in the file, not a decoder error.
    const twin = await shared(CT0012_LOSSLESS);
    for (const rel of TWELVE_BIT.slice(0, 2)) {
      const lossy = await shared(rel);
      expect(lossy.frames).toHaveLength(2);
      for (const [k, f] of lossy.frames.entries()) {
        const ref = twin.frames[k]!;
        const diff = Array.from(f.stored, (v, i) => v - ref.stored[i]!).sort((a, b) => a - b);
        expect(diff[diff.length >> 1]).toBe(1023);
        const p = psnr(f.stored, ref.stored, 1023);
        console.log(`PSNR ${rel} frame ${k}: ${p.toFixed(1)} dB after the 1023 offset`);
        expect(p).toBeGreaterThan(55);
      }
    }
  });

  it('CTImage .51, .53 (spectral selection) and .55 (progressive) match CTImage.dcm in HU and each other', async () => {
    const twin = realValues((await shared(CTIMAGE)).frames[0]!);
    const [seq, spectral, progressive] = await Promise.all(TWELVE_BIT.slice(2, 5).map(shared));
    for (const [label, f] of [['.51', seq!], ['.53', spectral!], ['.55', progressive!]] as const) {
      const p = psnr(realValues(f.frames[0]!), twin);
      console.log(`PSNR CTImage ${label}: ${p.toFixed(1)} dB (HU)`);
      expect(p).toBeGreaterThan(55);
    }
    // The three encodings quantize identically, so the coefficients, and the pixels, are the same.
    expect(Array.from(spectral!.frames[0]!.stored)).toEqual(Array.from(seq!.frames[0]!.stored));
    expect(Array.from(progressive!.frames[0]!.stored)).toEqual(Array.from(seq!.frames[0]!.stored));
  });

  it('NM1 at 76:1 (three copies) matches the lossless NM1', async () => {
    const twin = (await shared(NM1_LOSSLESS)).frames[0]!;
    const copies = await Promise.all(TWELVE_BIT.slice(6).map(shared));
    for (const f of copies) {
      const p = psnr(realValues(f.frames[0]!), realValues(twin));
      expect(p).toBeGreaterThan(35);
      expect(Array.from(f.frames[0]!.stored)).toEqual(Array.from(copies[0]!.frames[0]!.stored));
    }
  });
});

const dcmdjpeg = spawnSync('dcmdjpeg', ['--version'], { encoding: 'utf8' }).status === 0;
if (hasShared && !dcmdjpeg) console.log('jpeg-dct: dcmdjpeg (Debian package dcmtk) is absent; the shared 12-bit files are checked against lossless twins only');

describe.skipIf(!hasShared || !dcmdjpeg)('12-bit lossy JPEG files of ../shared/data/dicom against DCMTK dcmdjpeg', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'inspector-dcmdjpeg-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each(TWELVE_BIT)('%s', async (rel) => {
    const out = join(tmp, rel.replaceAll('/', '_'));
    const r = spawnSync('dcmdjpeg', [join(dicom, rel), out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ours = await shared(rel);
    const dcmtk: Loaded = { rel, file: await load(out) };
    expect(ours.frames).toHaveLength(dcmtk.file.frames.length);
    for (const [k, f] of ours.frames.entries()) {
      expectSameGeometry(f, dcmtk.file.frames[k]!);
      expect(maxAbsDiff(f.stored, dcmtk.file.frames[k]!.stored)).toBeLessThanOrEqual(1);
    }
  });
});

describe.skipIf(!hasShared)('our decoder on every 8-bit baseline file of ../shared/data/dicom', () => {
  const reference = JSON.parse(readFileSync(join(fixtures, 'pydicom-reference.json'), 'utf8')) as Record<string, { transfer_syntax?: string }>;
  const baseline = Object.keys(reference).filter((rel) => reference[rel]!.transfer_syntax === '1.2.840.10008.1.2.4.50');

  it('agrees with libjpeg-turbo within one level (luma only where chroma is subsampled)', async () => {
    expect(baseline.length).toBeGreaterThanOrEqual(15);
    const summary: string[] = [];
    for (const rel of baseline) {
      const { dataSet } = parseDicomBytes(new Uint8Array(readFileSync(join(dicom, rel))));
      const codestream = encapsulatedFrames(dataSet, readPixelModule(dataSet), true)[0]!;
      const ours = decodeDct(codestream);
      const theirs = await decodeWasm('jpeg', ours.components === 3 ? withoutColourTransform(codestream) : codestream);
      const subsampled = codestream.some((v, i, b) => v === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc1) && ours.components === 3 && b[i + 11] !== b[i + 14]);
      const d = subsampled ? maxAbsDiff(ours.data, theirs.bytes, 0, 3) : maxAbsDiff(ours.data, theirs.bytes);
      summary.push(`${rel}: ${d}${subsampled ? ' (luma)' : ''}`);
      expect(d, rel).toBeLessThanOrEqual(1);
    }
    console.log(`max |Δ| vs libjpeg-turbo:\n  ${summary.join('\n  ')}`);
  });
});
