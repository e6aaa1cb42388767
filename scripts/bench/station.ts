/**
 * Station benchmark: time from a file's last write to its case's verdict on MQTT and as an OPC UA
 * ResultReady event, p50/p95, at 1, 5
 * and 20 images/s, and sustained throughput (a burst of cases) against `inspector batch` on the same
 * images, measured in this run. Real peers: Debian's mosquitto on a random loopback port, the
 * station as its own process, the shipped line-demo packs (CT classifier + surface autoencoder).
 *   npm run bench -- station
 * STATION_BENCH_SCALE=2 doubles every count; STATION_BENCH_SETTLE_MS (default 200) is the settle time;
 * STATION_BENCH_RATES=1 measures only 1 image/s (comma list), STATION_BENCH_BURST=0 skips the throughput part.
 * STATION_BENCH_FINDINGS=with_decision measures the station waiting for the grounding findings before
 * it publishes (the behaviour before "decision first"); default after_publish (station.yaml `findings`).
 * STATION_BENCH_EXPLANATION=with_decision draws the battery pack's map inside the decision (as before the map
 * moved after the publish); default after_publish (station.yaml `explanation`): the findings message then
 * follows the map's record, so "every case's findings published" is the whole work, maps included.
 * The station runs with INSPECTOR_STATION_TRACE=1: the bench prints where a case's time went (medians).
 * The load average is printed beside the figures: on a shared machine they mean little without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import {
  AttributeIds,
  ClientMonitoredItem,
  constructEventFilter,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
  type Variant,
} from 'node-opcua';
import { bin, CELLS, demo, dropCase, freePort, MOSQUITTO, root, rssMb, sleep, startBroker, startStationProcess } from './rig/station';

const scale = Number(process.env['STATION_BENCH_SCALE'] ?? 1);
const settleMs = Number(process.env['STATION_BENCH_SETTLE_MS'] ?? 200);
const findingsMode = process.env['STATION_BENCH_FINDINGS'] ?? 'after_publish';
const explanationMode = process.env['STATION_BENCH_EXPLANATION'] ?? 'after_publish';
const cells = CELLS;

if (!existsSync(MOSQUITTO)) {
  console.log('station bench skipped: /usr/sbin/mosquitto is not installed (apt-get install mosquitto)');
  process.exit(0);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-bench-station-'));
  const { url, proc: broker } = await startBroker(tmp);
  const arrivals = new Map<string, number>();
  const sub = mqtt.connect(url, { clientId: 'bench-mes' });
  // Results, and (decision first) each case's findings after its result: the burst's full work is done
  // when the last findings message is in.
  const findingsAt = new Map<string, number>();
  sub.on('message', (t, payload) => (t.endsWith('/findings') ? findingsAt : arrivals).set(String((JSON.parse(payload.toString()) as { serial: string }).serial), Date.now()));
  await new Promise((r) => sub.once('connect', r));
  await sub.subscribeAsync(['bench/ST01/result', 'bench/ST01/findings'], { qos: 1 });

  const watch = join(tmp, 'incoming');
  mkdirSync(watch);
  const cfg = join(tmp, 'station.yaml');
  writeFileSync(
    cfg,
    [
      'station: { id: ST01, line: BENCH }',
      `inspection: ${join(demo, 'inspector.yaml')}`,
      'watch:',
      `  - { dir: ${watch}, pattern: "{serial}_{view}.{ext}", views: [ct, surface], settle_ms: ${settleMs}, case_timeout_ms: 30000, after: delete }`,
      'queue: { max: 1000 }',
      `findings: ${findingsMode}`,
      `explanation: ${explanationMode}`,
      `publish:\n  mqtt: { url: "${url}", topic: "bench/ST01", qos: 1 }`,
      // Commissioning settings for the bench's own client only: its certificate is accepted unseen.
      `  opcua: { port: ${await freePort()}, users: { bench: BENCH_OPCUA_PASSWORD }, auto_accept_certificates: true }`,
      '',
    ].join('\n'),
  );
  const db = join(tmp, 'station.sqlite');
  const run = startStationProcess(cfg, db, { BENCH_OPCUA_PASSWORD: 'bench-secret', INSPECTOR_STATION_TRACE: '1' });
  const st = run.proc;
  const traces: { serial: string; arrivalMs: number; queueMs: number; inspectMs: number; recordMs: number; recordedAt: number; packs: Record<string, { explainMs: number; inferenceMs: number; preprocessMs: number }> }[] = [];
  run.onLine((l) => {
    const m = / trace (\{.*\})$/.exec(l);
    if (m) traces.push(JSON.parse(m[1]!) as (typeof traces)[number]);
  });
  const ready = (await run.ready) as { opcua: string };
  // An OPC UA client (SignAndEncrypt, user name) subscribed to the ResultReady events.
  const opcArrivals = new Map<string, number>();
  const cm = new OPCUACertificateManager({ rootFolder: join(tmp, 'client-pki'), automaticallyAcceptUnknownCertificate: true });
  await cm.initialize();
  const client = OPCUAClient.create({
    applicationName: 'bench client',
    securityMode: MessageSecurityMode.SignAndEncrypt,
    securityPolicy: SecurityPolicy.Basic256Sha256,
    endpointMustExist: false,
    clientCertificateManager: cm,
  });
  await client.connect(ready.opcua);
  const session = await client.createSession({ type: UserTokenType.UserName, userName: 'bench', password: 'bench-secret' });
  const nsArray = (await session.readNamespaceArray()) as string[];
  const own = nsArray.indexOf('urn:inspector:station:ST01');
  const mv = nsArray.indexOf('http://opcfoundation.org/UA/MachineVision');
  const subscription = await session.createSubscription2({ requestedPublishingInterval: 20, publishingEnabled: true, requestedMaxKeepAliveCount: 50, requestedLifetimeCount: 500 });
  const item = ClientMonitoredItem.create(
    subscription,
    { nodeId: `ns=${own};s=ST01`, attributeId: AttributeIds.EventNotifier },
    { queueSize: 1000, filter: constructEventFilter([`${mv}:PartId`]), discardOldest: false },
    TimestampsToReturn.Neither,
  );
  item.on('changed', (values: unknown) => {
    const v = (values as Variant[])[0]?.value as { id?: string } | string | undefined;
    const id = typeof v === 'string' ? v : v?.id;
    if (id) opcArrivals.set(id, Date.now());
  });
  // Warm-up (after the OPC UA subscription, so its event proves the subscription live): the worker
  // loads both packs on its first case; that start-up is not steady state.
  for (const warm of ['WARM-0', 'WARM-1']) {
    dropCase(watch, cells[0]!, warm);
    while (!arrivals.has(warm) || !opcArrivals.has(warm)) await sleep(20);
  }
  const rssWarm = rssMb(st.pid!);

  let n = 0;
  // Each rate's line is printed at the end, beside the measured capacity (the burst below).
  const rows: { rate: number; text: string }[] = [];
  const latencies: Record<string, number[]> = {};
  const rates = (process.env['STATION_BENCH_RATES'] ?? '1,5,20').split(',').map(Number).filter((r) => r > 0);
  const loadBefore = os.loadavg();
  for (const rate of rates) {
    // At least 20 images (10 cases) so a p95 is more than the maximum of four.
    const images = Math.max(20, Math.round(rate * 4 * scale));
    const cases = Math.ceil(images / 2);
    const written = new Map<string, number>();
    const t0 = Date.now();
    for (let c = 0; c < cases; c++) {
      const due = t0 + (c * 2 * 1000) / rate;
      if (Date.now() < due) await sleep(due - Date.now());
      const serial = `R${rate}-${n++}`;
      written.set(serial, dropCase(watch, cells[c % cells.length]!, serial));
    }
    const end = Date.now() + 120_000;
    while ([...written.keys()].some((s) => !arrivals.has(s)) && Date.now() < end) await sleep(20);
    const endO = Date.now() + 5000;
    while ([...written.keys()].some((s) => !opcArrivals.has(s)) && Date.now() < endO) await sleep(20);
    const lat = [...written].filter(([s]) => arrivals.has(s)).map(([s, w]) => arrivals.get(s)! - w);
    const olat = [...written].filter(([s]) => opcArrivals.has(s)).map(([s, w]) => opcArrivals.get(s)! - w);
    latencies[rate] = lat;
    rows.push({
      rate,
      text: `  ${String(rate).padStart(3)} img/s  ${String(cases).padStart(4)} cases  MQTT p50 ${pct(lat, 50).toFixed(0).padStart(6)} ms  p95 ${pct(lat, 95).toFixed(0).padStart(6)} ms (${lat.length}/${cases})` +
        `   OPC UA p50 ${pct(olat, 50).toFixed(0).padStart(6)} ms  p95 ${pct(olat, 95).toFixed(0).padStart(6)} ms (${olat.length}/${cases})  load ${os.loadavg()[0]!.toFixed(2)}`,
    });
  }

  // Sustained throughput: a burst of cases written at once; first write → last verdict on MQTT.
  const burst = process.env['STATION_BENCH_BURST'] === '0' ? 0 : Math.round(24 * scale);
  const tb = Date.now();
  const bs: string[] = [];
  for (let c = 0; c < burst; c++) {
    const s = `B-${c}`;
    bs.push(s);
    dropCase(watch, cells[c % cells.length]!, s);
  }
  const endB = Date.now() + 300_000;
  while (bs.some((s) => !arrivals.has(s)) && Date.now() < endB) await sleep(20);
  const loadAfter = os.loadavg();
  const stationSeconds = (Math.max(...bs.map((s) => arrivals.get(s) ?? Date.now())) - tb) / 1000;
  const stationRate = (2 * burst) / stationSeconds;
  // The same work as batch (findings included): until the last case's findings are published.
  const endF = Date.now() + (findingsMode === 'after_publish' ? 300_000 : 0);
  while (findingsMode === 'after_publish' && bs.some((s) => !findingsAt.has(s)) && Date.now() < endF) await sleep(20);
  const allSeconds = findingsMode === 'after_publish' ? (Math.max(...bs.map((s) => findingsAt.get(s) ?? Date.now())) - tb) / 1000 : stationSeconds;
  const allRate = (2 * burst) / allSeconds;
  const rssEnd = rssMb(st.pid!);
  await subscription.terminate();
  await session.close();
  await client.disconnect();
  await cm.dispose();
  st.kill('SIGTERM');
  await new Promise((r) => st.once('exit', r));

  const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  // Capacity: the images/s this station sustains with all its work (decision, map, findings), from
  // the burst. A rate above it queues without bound: its latency is waiting, not a slow pipeline.
  const capacity = burst > 0 ? allRate : undefined;
  const rateLines = rows.map((r) =>
    capacity === undefined ? r.text : `${r.text}  ${r.rate <= capacity ? 'within capacity' : `ABOVE capacity (${capacity.toFixed(2)} img/s): queueing`}`,
  );
  // Where the time went, 1 img/s cases (the station's own trace): medians per stage.
  const slow = traces.filter((t) => t.serial.startsWith('R1-'));
  const med = (xs: number[]) => pct(xs, 50).toFixed(0);
  const publishMs = slow.filter((t) => arrivals.has(t.serial)).map((t) => arrivals.get(t.serial)! - t.recordedAt);
  const packNames = [...new Set(slow.flatMap((t) => Object.keys(t.packs)))];
  const breakdown =
    slow.length > 0
      ? `  1 img/s, medians (findings: ${findingsMode}, explanation: ${explanationMode}): settle+views ${med(slow.map((t) => t.arrivalMs))} ms, queue ${med(slow.map((t) => t.queueMs))} ms, worker decide call ${med(slow.map((t) => t.inspectMs))} ms [` +
        packNames.map((p) => `${p}: pre ${med(slow.map((t) => t.packs[p]?.preprocessMs ?? 0))} / infer ${med(slow.map((t) => t.packs[p]?.inferenceMs ?? 0))} / explain|map ${med(slow.map((t) => t.packs[p]?.explainMs ?? 0))}`).join('; ') +
        `], record ${med(slow.map((t) => t.recordMs))} ms, record → MES subscriber ${med(publishMs)} ms`
      : '';
  if (burst === 0) {
    console.log(`station: settle ${settleMs} ms, line-demo packs, ${os.cpus().length} CPU threads; load average (1/5/15 min) ${fmtLoad(loadBefore)} before, ${fmtLoad(loadAfter)} after`);
    console.log('latency = last write of a case\'s files → its result on MQTT / its ResultReady event on OPC UA');
    for (const row of rateLines) console.log(row);
    console.log('capacity not measured (STATION_BENCH_BURST=0): a rate\'s latency may be queueing');
    if (breakdown) console.log(breakdown);
    console.log(`station process RSS: ${rssWarm.toFixed(0)} MB after warm-up, ${rssEnd.toFixed(0)} MB at the end`);
    sub.end(true);
    broker.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
    return;
  }
  // Reference in the same run: `inspector batch` over the same images (same packs, same config).
  const batchDir = join(tmp, 'batch');
  mkdirSync(batchDir);
  for (let c = 0; c < burst; c++) dropCase(batchDir, cells[c % cells.length]!, `B-${c}`);
  const tr = Date.now();
  const r = spawnSync(process.execPath, [bin, 'batch', batchDir, '--config', join(demo, 'inspector.yaml'), '--db', join(tmp, 'batch.sqlite'), '--json'], { cwd: root, encoding: 'utf8' });
  const batchWall = (Date.now() - tr) / 1000;
  const summary = JSON.parse(r.stdout) as { seconds: number; inspected: number };
  // Images, not runs: `inspected` counts every run, a view's grounding findings run included.
  const batchRate = (2 * burst) / summary.seconds;

  console.log(`station: settle ${settleMs} ms, line-demo packs, ${os.cpus().length} CPU threads; load average (1/5/15 min) ${fmtLoad(loadBefore)} before, ${fmtLoad(loadAfter)} after`);
  console.log("latency = last write of a case's files → its result on MQTT / its ResultReady event on OPC UA");
  for (const row of rateLines) console.log(row);
  if (breakdown) console.log(breakdown);
  const caseMs = (1000 / batchRate) * 2;
  console.log(`  p95 budget (settle + one case's inspection in batch + 100 ms) = ${(settleMs + caseMs + 100).toFixed(0)} ms; above the machine's throughput the queue grows and so does latency`);
  console.log(`throughput, ${2 * burst} images in a burst:`);
  console.log(`  station  ${stationRate.toFixed(2)} images/s (${stationSeconds.toFixed(1)} s first write → last verdict on MQTT, settle included)`);
  console.log(`  batch    ${batchRate.toFixed(2)} images/s (${summary.seconds.toFixed(1)} s in runBatch, its first case loading both packs; ${batchWall.toFixed(1)} s wall with worker start)`);
  if (findingsMode === 'after_publish') console.log(`  station  ${allRate.toFixed(2)} images/s with every case's findings (and maps) recorded and published too (${allSeconds.toFixed(1)} s) — the same work as batch`);
  console.log(`  ratio station/batch = ${(allRate / batchRate).toFixed(2)} (same work; target >= 0.90); decisions alone ${(stationRate / batchRate).toFixed(2)}`);
  console.log(`capacity: ${allRate.toFixed(2)} images/s sustained with all the work (${stationRate.toFixed(2)} images/s of decisions while the maps and findings wait); rates above it are queueing, see each rate's line`);
  console.log(`station process RSS: ${rssWarm.toFixed(0)} MB after warm-up, ${rssEnd.toFixed(0)} MB after ${n * 2 + 2 * burst + 4} images (worker process not included)`);
  sub.end(true);
  broker.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
