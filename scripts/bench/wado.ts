/**
 * WADO-RS retrieve: `wadoStudy` (streamed multipart, each instance written to the inbox and
 * recorded in a real history as its part completes — what `dicom retrieve --url` and the worklist
 * run) against curl fetching the same multipart response from the same Orthanc into one file (no
 * parsing, no per-instance writes: the transport's floor), alternating passes in this run. Prints
 * ms per study, MB/s and our ratio to curl. The shared 28-slice CT (14.7 MB).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { wadoStudy } from '../../src/core/dicomnet/dicomweb';
import { recordInstance } from '../../src/core/dicomnet/records';
import { HistoryStore } from '../../src/core/history/index';
import { hasOrthanc, Orthanc } from '../../tests/integration/dicomnet/orthanc';
import { heldOf } from '../../tests/integration/dicomnet/naturalize';

const SERIES = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'dicom', 'ct-series-ge-head-tilted');
const PASSES = Number(process.env['INSPECTOR_BENCH_WADO_PASSES'] ?? 5);

if (!hasOrthanc || spawnSync('sh', ['-c', 'command -v curl']).status !== 0) {
  console.log('skipped: Orthanc (with its DICOMweb plugin) or curl is not installed');
  process.exit(0);
}
if (!existsSync(SERIES)) {
  console.log(`skipped: ${SERIES} is absent`);
  process.exit(0);
}
const files = readdirSync(SERIES).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(SERIES, f));
const study = heldOf(readFileSync(files[0]!)).study;
const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-bench-wado-'));
const pacs = await Orthanc.start({});
try {
  for (const f of files) await pacs.upload(f);
  const base = `${pacs.url}/dicom-web`;
  const ours: number[] = [];
  const ref: number[] = [];
  let bytes = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    const out = join(tmp, `curl-${pass}.multipart`);
    const t0 = performance.now();
    const c = spawnSync('curl', ['-sS', '-f', '-o', out, '-H', 'Accept: multipart/related; type="application/dicom"; transfer-syntax=*', `${base}/studies/${study}`]);
    if (c.status !== 0) throw new Error(`curl failed: ${c.stderr.toString()}`);
    ref.push(performance.now() - t0);
    bytes = statSync(out).size;

    const store = HistoryStore.open(join(tmp, `h-${pass}.sqlite`));
    const t1 = performance.now();
    const got = await wadoStudy(base, study, join(tmp, `inbox-${pass}`), (r) => recordInstance(store, r), 120);
    ours.push(performance.now() - t1);
    store.close();
    if (got.length !== files.length) throw new Error(`wadoStudy stored ${got.length} of ${files.length}`);
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const mb = bytes / 1e6;
  const [o, r] = [median(ours), median(ref)];
  console.log(`WADO-RS study, ${files.length} instances, ${mb.toFixed(1)} MB multipart, median of ${PASSES} alternating passes (load ${os.loadavg()[0]!.toFixed(1)})`);
  console.log(`  wadoStudy (parse + write + record each): ${o.toFixed(0)} ms  ${(mb / (o / 1000)).toFixed(1)} MB/s  ${(files.length / (o / 1000)).toFixed(0)} instances/s`);
  console.log(`  curl (one file, no parsing)           : ${r.toFixed(0)} ms  ${(mb / (r / 1000)).toFixed(1)} MB/s`);
  console.log(`  ratio ours / curl time: ${(o / r).toFixed(2)}× (1.00 = as fast as the transport alone)`);
} finally {
  await pacs.stop();
  rmSync(tmp, { recursive: true, force: true });
}
