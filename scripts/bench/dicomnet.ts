/**
 * DICOM node receive rate: the same sender (dcmtk's storescu, one association per pass, every file
 * of the shared 28-slice CT series) into (a) our C-STORE listener writing the inbox and recording
 * each instance in a real history database, and (b) dcmtk's storescp writing to a folder — on this
 * machine, in this run, alternating passes. Prints instances/s and MB/s and our ratio to storescp.
 * Then the latency the issue asks for: Orthanc pushes a one-instance CR study, and we time from the
 * last instance received to its SR being stored in Orthanc (stable_seconds 0.2 of it is a
 * deliberate wait for the study to be complete).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { withHost } from '../../src/cli/host';
import { parseDicomConfig } from '../../src/core/dicomnet/config';
import { DicomListener } from '../../src/core/dicomnet/listener';
import { DicomNode } from '../../src/core/dicomnet/node';
import { recordInstance } from '../../src/core/dicomnet/records';
import { HistoryStore } from '../../src/core/history/index';
import { runBatch } from '../../src/host/batch';
import { HistoryAccess } from '../../src/host/history';
import { freePort, hasOrthanc, Orthanc } from '../../tests/integration/dicomnet/orthanc';

const SERIES = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'dicom', 'ct-series-ge-head-tilted');
const PASSES = Number(process.env['INSPECTOR_BENCH_DICOMNET_PASSES'] ?? 5);

if (spawnSync('sh', ['-c', 'command -v storescu && command -v storescp']).status !== 0) {
  console.log('skipped: dcmtk (storescu, storescp) is not installed');
  process.exit(0);
}
if (!existsSync(SERIES)) {
  console.log(`skipped: ${SERIES} is absent`);
  process.exit(0);
}
const files = readdirSync(SERIES).filter((f) => f.endsWith('.dcm')).map((f) => join(SERIES, f));
const bytes = files.reduce((n, f) => n + statSync(f).size, 0);

function storescu(port: number, aec: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn('storescu', ['-aet', 'BENCHSCU', '-aec', aec, '127.0.0.1', String(port), ...files], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`storescu exited ${code}: ${err}`))));
  });
}

async function waitForEcho(port: number, aec: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (spawnSync('echoscu', ['-aet', 'BENCHSCU', '-aec', aec, '127.0.0.1', String(port)]).status === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('peer did not come up');
}

const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-bench-dicomnet-'));
const store = HistoryStore.open(join(tmp, 'h.sqlite'));
const listener = new DicomListener({ aeTitle: 'INSPECTOR', port: 0, bind: '127.0.0.1', allow: [{ aet: 'BENCHSCU' }], inbox: join(tmp, 'inbox'), onStored: (r) => recordInstance(store, r) });
const ourPort = await listener.start();
const refPort = await freePort();
const ref = spawn('storescp', ['-aet', 'REFSCP', '-od', join(tmp, 'ref'), String(refPort)], { stdio: 'ignore' });
spawnSync('mkdir', ['-p', join(tmp, 'ref')]);
await waitForEcho(refPort, 'REFSCP');

const ours: number[] = [];
const theirs: number[] = [];
await storescu(ourPort, 'INSPECTOR'); // warm-up (JIT, page cache)
await storescu(refPort, 'REFSCP');
for (let i = 0; i < PASSES; i++) {
  ours.push(await storescu(ourPort, 'INSPECTOR'));
  theirs.push(await storescu(refPort, 'REFSCP'));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const row = (name: string, ms: number) =>
  console.log(`${name.padEnd(38)} ${ms.toFixed(0).padStart(6)} ms  ${((files.length * 1000) / ms).toFixed(1).padStart(7)} inst/s  ${((bytes / 1e6) * 1000 / ms).toFixed(1).padStart(6)} MB/s`);
console.log(`receive: ${files.length} CT instances, ${(bytes / 1e6).toFixed(1)} MB per pass, median of ${PASSES} passes, sender dcmtk storescu`);
row('Inspector listener (inbox + history)', median(ours));
row('dcmtk storescp (folder)', median(theirs));
console.log(`ratio Inspector/storescp receive rate: ${(median(theirs) / median(ours)).toFixed(2)}x`);
console.log(`recorded instances: ${store.db.prepare('SELECT count(*) FROM dicom_instances').pluck().get() as number}`);
await listener.close();
ref.kill();

// Latency: last instance received → SR stored in Orthanc.
if (!hasOrthanc) console.log('latency: skipped (Orthanc is not installed)');
else {
  const port = await freePort();
  const pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port } });
  const config = parseDicomConfig(
    [
      'ae_title: INSPECTOR',
      `port: ${port}`,
      'allow: [{ aet: TESTPACS, host: 127.0.0.1 }]',
      'auto_inspect: [{ when: { modality: CR }, pack: chest-xray-pneumonia }]',
      `send_results: [{ aet: TESTPACS, host: 127.0.0.1, port: ${pacs.dicom}, objects: [sr, sc] }]`,
      'stable_seconds: 0.2',
    ].join('\n'),
  );
  const history = new HistoryAccess(join(tmp, 'latency.sqlite'));
  const hs = history.get();
  const times: Record<string, number> = {};
  await withHost(async (host) => {
    const node = new DicomNode({
      config,
      store: hs,
      inbox: join(tmp, 'latency-inbox'),
      outboxDir: join(tmp, 'latency-outbox'),
      softwareVersion: 'bench',
      log: (e) => {
        const key = e.event === 'sent' && times['sent'] ? 'sent-last' : e.event;
        times[key] ??= performance.now();
      },
      inspect: async ({ studyInstanceUid, pack, paths }) => {
        const s = await runBatch({ worker: host.worker, history }, { paths, packs: [pack], name: `dicom ${studyInstanceUid}` });
        return { batchId: s.batchId, runIds: hs.db.prepare('SELECT id FROM inference_runs WHERE batch_id = ?').pluck().all(s.batchId) as number[] };
      },
    });
    await node.start();
    // Warm the worker and the pack once, as a running node would be.
    await runBatch({ worker: host.worker, history }, { paths: [join(import.meta.dirname, '..', '..', 'resources', 'samples', 'chest-xray-pneumonia', 'dicom')], packs: ['chest-xray-pneumonia'], name: 'warm-up' });
    const up = await pacs.upload(join(import.meta.dirname, '..', '..', 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm'));
    await pacs.post('/modalities/inspector/store', { Resources: [up.ParentStudy], Synchronous: true });
    const until = Date.now() + 120_000;
    while (!times['sent-last'] && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await node.close();
  });
  history.close();
  await pacs.stop();
  const s = times['stored']!;
  console.log(
    `latency (CR chest, J2K 1841x1955, chest pack, SR+SC): received→stable ${(times['study-stable']! - s).toFixed(0)} ms, →inspected ${(times['inspected']! - s).toFixed(0)} ms, →SR stored in Orthanc ${(times['sent']! - s).toFixed(0)} ms, →SC stored ${(times['sent-last']! - s).toFixed(0)} ms`,
  );
}
store.close();
rmSync(tmp, { recursive: true, force: true });
