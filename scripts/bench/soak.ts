/**
 * Station soak: does the station leak? Feeds N images (default 10,000 = 5,000 two-view cases of
 * the shipped line-demo cells) through a real `inspector station` process — hot folder, the
 * line-demo packs in its worker, SQLite history, MQTT to Debian's mosquitto, OPC UA and REST on —
 * and reports the RSS of the station process (and of its inspection worker) after 1,000 images and
 * after N. Target: RSS(N) within 10 % of RSS(1,000).
 *   npm run bench -- soak                 (SOAK_IMAGES=2000 for a shorter run; run it `nice -n 10`)
 * Cases are fed with flow control (at most SOAK_INFLIGHT cases not yet published) so a growing
 * queue is not mistaken for a leak; files are deleted after their case is recorded (`after: delete`).
 * Named "soak", not "station…", so `npm run bench -- station` does not start a long run.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { formatBreakdown, smapsBreakdown } from './rig/smaps';
import { CELLS, demo, dropCase, freePort, MOSQUITTO, rssMb, sleep, startBroker, startStationProcess } from './rig/station';

const total = Number(process.env['SOAK_IMAGES'] ?? 10_000);
const inflight = Number(process.env['SOAK_INFLIGHT'] ?? 4);
const baselineAt = Math.min(1000, total);
const cells = CELLS;

if (!existsSync(MOSQUITTO)) {
  console.log('soak bench skipped: /usr/sbin/mosquitto is not installed (apt-get install mosquitto)');
  process.exit(0);
}

/** Direct children of a process (Linux /proc), to find the station's inspection worker. */
function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch {
    /* gone */
  }
  return out;
}

/** The deepest node process under the station launcher that is not the station itself: the worker. */
function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]!));
  return all;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-bench-soak-'));
  const { url, proc: broker } = await startBroker(tmp);
  const published = new Set<string>();
  const sub = mqtt.connect(url, { clientId: 'soak-mes' });
  sub.on('message', (_t, payload) => published.add(String((JSON.parse(payload.toString()) as { serial: string }).serial)));
  await new Promise((r) => sub.once('connect', r));
  await sub.subscribeAsync('soak/ST01/result', { qos: 1 });

  const watch = join(tmp, 'incoming');
  mkdirSync(watch);
  const cfg = join(tmp, 'station.yaml');
  writeFileSync(
    cfg,
    [
      'station: { id: ST01, line: SOAK }',
      `inspection: ${join(demo, 'inspector.yaml')}`,
      'watch:',
      `  - { dir: ${watch}, pattern: "{serial}_{view}.{ext}", views: [ct, surface], settle_ms: 50, case_timeout_ms: 30000, after: delete }`,
      'queue: { max: 64 }',
      `publish:\n  mqtt: { url: "${url}", topic: "soak/ST01", qos: 1 }`,
      `  opcua: { port: ${await freePort()}, users: { soak: SOAK_OPCUA_PASSWORD } }`,
      `  rest: { port: ${await freePort()} }`,
      '',
    ].join('\n'),
  );
  // The station logs its own heap after a forced GC every SOAK_MEMLOG cases (service.ts): whether RSS
  // growth is the JS heap, external buffers or native memory (SQLite, libuv) shows in these lines.
  const memEvery = process.env['SOAK_MEMLOG'] ?? '250';
  const run = startStationProcess(cfg, join(tmp, 'station.sqlite'), {
    SOAK_OPCUA_PASSWORD: 'soak-secret-password',
    INSPECTOR_STATION_TOKEN: 'soak-token-0123456789abcdef',
    INSPECTOR_STATION_MEMLOG: memEvery,
    NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --expose-gc`.trim(),
  });
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  run.onLine((l) => {
    const m = /memory (\{.*\})/.exec(l);
    if (!m) return;
    const x = JSON.parse(m[1]!) as { cases: number; rss: number; heapUsed: number; external: number; arrayBuffers: number };
    process.stdout.write(`  memory after ${x.cases * 2} images: rss ${mb(x.rss)} MB, heapUsed ${mb(x.heapUsed)}, external ${mb(x.external)}, arrayBuffers ${mb(x.arrayBuffers)} (after gc)\n`);
  });
  const st = run.proc;
  // A failed run must not leave its station (and worker) running on a shared machine.
  process.once('exit', () => {
    if (st.exitCode === null) st.kill('SIGTERM');
    broker.kill('SIGTERM');
  });
  await run.ready;

  // The station is the node process running `station` (bin/inspector.js may re-exec under the pinned
  // Node); its worker is the node process below it that is not a launcher.
  const tree = () => processTree(st.pid!).filter((p) => cmdline(p).length > 0);
  const stationPid = () => tree().filter((p) => cmdline(p).includes(' station ')).at(-1);
  const workerPid = () => tree().find((p) => /worker(\.js|[/\\]index\.ts)/.test(cmdline(p)));

  // RssFile is mostly SQLite's memory-mapped database (mmap_size 256 MiB in HistoryStore): it grows
  // with the database file, bounded, and is not a leak. RssAnon is the heap (JS, SQLite page cache).
  const samples: { images: number; station: number; anon: number; file: number; worker: number; at: number }[] = [];
  const t0 = Date.now();
  function report(note = ''): void {
    const seconds = (Date.now() - t0) / 1000;
    // A run stopped before 1,000 images compares with its first sample instead.
    const base = samples.find((s) => s.images >= baselineAt) ?? samples[0];
    const end = samples.at(-1);
    if (!base || !end) return console.log(`station soak ${note}: no sample after ${baselineAt} images yet`);
    const malloc = Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_') || k.startsWith('GLIBC_TUNABLES')).map(([k, v]) => `${k}=${v}`);
    console.log(`station soak${note ? ` (${note} after ${end.images} images)` : ''}: ${end.images} of ${total} images (line-demo packs, MQTT + OPC UA + REST on) in ${seconds.toFixed(0)} s = ${(end.images / seconds).toFixed(2)} images/s; ${os.cpus().length} CPU threads, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; allocator env: ${malloc.join(' ') || 'as the station sets it'}`);
    console.log(`  station process RSS: ${base.station.toFixed(0)} MB after ${base.images} images, ${end.station.toFixed(0)} MB after ${end.images}: ratio ${(end.station / base.station).toFixed(3)} (target <= 1.10)`);
    console.log(`  station RssAnon:     ${base.anon.toFixed(0)} MB after ${base.images} images, ${end.anon.toFixed(0)} MB after ${end.images}: ratio ${(end.anon / base.anon).toFixed(3)}; RssFile ${base.file.toFixed(0)} → ${end.file.toFixed(0)} MB (mmapped database)`);
    console.log(`  worker process RSS:  ${base.worker.toFixed(0)} MB after ${base.images} images, ${end.worker.toFixed(0)} MB after ${end.images}: ratio ${(end.worker / base.worker).toFixed(3)}`);
  }
  // A bounded run (`timeout 3000 npm run bench -- soak`) ends with SIGTERM: print the curve so far
  // and stop the station (the re-exec launcher ignores SIGTERM, so the station process itself).
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.once(sig, () => {
      report('stopped early');
      const sp = stationPid();
      if (sp && sp !== st.pid) process.kill(sp, 'SIGTERM');
      process.exit(1);
    });
  let sent = 0;
  // The RSS curve: every SOAK_SAMPLE images (default total / 20), plus the 1,000-image baseline.
  const every = Number(process.env['SOAK_SAMPLE'] ?? Math.max(100, Math.round(total / 20)));
  const nextSample = [baselineAt, ...Array.from({ length: Math.ceil(total / every) }, (_, i) => Math.min(total, (i + 1) * every))].filter((v, i, a) => a.indexOf(v) === i).sort((a, b) => a - b);
  for (;;) {
    while (sent * 2 < total && sent - published.size < inflight) {
      dropCase(watch, cells[sent % cells.length]!, `S${sent}`);
      sent++;
    }
    const done = published.size * 2;
    if (nextSample.length && done >= nextSample[0]!) {
      nextSample.shift();
      const sp = stationPid();
      samples.push({ images: done, station: rssMb(sp), anon: rssMb(sp, 'RssAnon'), file: rssMb(sp, 'RssFile'), worker: rssMb(workerPid()), at: (Date.now() - t0) / 1000 });
      const s = samples.at(-1)!;
      process.stdout.write(
        `  ${String(done).padStart(6)} images  station RSS ${s.station.toFixed(0)} MB (anon ${s.anon.toFixed(0)}, file ${s.file.toFixed(0)})  worker RSS ${s.worker.toFixed(0)} MB  ${s.at.toFixed(0)} s  load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n` +
          `          station: ${formatBreakdown(smapsBreakdown(sp))}; worker: ${formatBreakdown(smapsBreakdown(workerPid()))}\n`,
      );
    }
    if (done >= total && nextSample.length === 0) break;
    if (st.exitCode !== null) throw new Error(`station exited:\n${run.stderr()}`);
    await sleep(20);
  }
  report();
  sub.end(true);
  // bin/inspector.js may re-exec under the pinned Node and ignores SIGTERM itself: stop the station process.
  const sp = stationPid();
  if (sp && sp !== st.pid) process.kill(sp, 'SIGTERM');
  st.kill('SIGTERM');
  await new Promise((r) => st.once('exit', r));
  broker.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
