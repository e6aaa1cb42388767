import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectCentral, migrateCentral, openQueue, pushReinspection, queueStatus, stationId, syncStation, workReinspections, type ReinspectJob } from '../../core/fleet/index';
import { HistoryStore } from '../../core/history/index';
import { runBatch } from '../../host/batch';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { withHost } from '../host';
import { historyDbPath, usageError } from '../historyDb';
import { packRef } from '../inspectOptions';

const HELP = [
  'Usage: inspector queue push   --central postgres://… DIR --shards N (--pack P... | --config inspector.yaml) --name NAME',
  '       inspector queue work   --central postgres://… [--db FILE] [--until-empty] [--sync] [--station ID]',
  '       inspector queue status --central postgres://… [--json]',
  '',
  'A re-inspection queue in the central PostgreSQL (pg-boss: SKIP LOCKED claims, heartbeats, retries),',
  'for fleets without Kubernetes: `push` splits DIR (a folder every station reads at the same path) into N',
  'shards — the split of `batch --shard I/N` — and queues one job per shard; pushing the same NAME and N',
  'again queues nothing new. `work` is run by idle stations: it claims a shard, inspects it into the',
  "station's own history as batch NAME (resuming its own earlier attempt of that shard), completes the",
  'job, and with --sync sends the results to central. A station that dies mid-shard stops its heartbeat',
  'and the shard goes to another station (at least once; both attempts stay in their histories).',
  'Exit status: 0 done, 1 a job failed, 2 usage.',
].join('\n');

export const queueCommand: Command = {
  name: 'queue',
  summary: 'a re-inspection work queue in the central PostgreSQL that idle stations pull from (push|work|status)',
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: true,
      options: {
        central: { type: 'string' },
        db: { type: 'string' },
        shards: { type: 'string' },
        pack: { type: 'string', multiple: true },
        config: { type: 'string' },
        name: { type: 'string' },
        'until-empty': { type: 'boolean' },
        sync: { type: 'boolean' },
        station: { type: 'string' },
        json: { type: 'boolean' },
        'heartbeat-seconds': { type: 'string' },
      },
    });
    if (!sub || !['push', 'work', 'status'].includes(sub)) throw usageError('queue needs push, work or status');
    if (!values.central) throw usageError(`queue ${sub} needs --central postgres://… (the central database)`);
    const boss = await openQueue(values.central);
    try {
      if (sub === 'status') {
        const s = await queueStatus(boss);
        process.stdout.write(values.json ? JSON.stringify(s) + '\n' : `queued ${s.queued}, active ${s.active}, retrying ${s.deferred}, failed ${s.failed}, total ${s.total}\n`);
        return 0;
      }
      if (sub === 'push') {
        if (positionals.length !== 1) throw usageError('queue push needs one folder');
        if (!values.name) throw usageError('queue push needs --name NAME (the re-inspection, recorded on every station)');
        if (!values.pack?.length && !values.config) throw usageError('queue push needs --pack or --config');
        const heartbeat = values['heartbeat-seconds'] === undefined ? undefined : Number(values['heartbeat-seconds']);
        if (heartbeat !== undefined && (!Number.isInteger(heartbeat) || heartbeat < 10)) throw usageError('--heartbeat-seconds must be a whole number ≥ 10');
        const r = await pushReinspection(
          boss,
          {
            name: values.name,
            dir: resolve(positionals[0]!),
            shards: Number(values.shards ?? NaN),
            ...(values.pack ? { packs: values.pack.map(packRef) } : {}),
            ...(values.config ? { config: resolve(values.config) } : {}),
          },
          heartbeat ? { heartbeatSeconds: heartbeat } : {},
        );
        process.stdout.write(`queued ${r.queued} shards of ${values.name}${r.already ? ` (${r.already} were already queued)` : ''}\n`);
        return 0;
      }
      // work
      let stop = false;
      const onSignal = () => (stop = true);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const file = historyDbPath(values.db);
      let store: HistoryStore | undefined;
      const history = { file, get: () => (store ??= HistoryStore.open(file)), close: () => store?.close() };
      try {
        const run = async (job: ReinspectJob, id: string) => {
          const batchName = `${job.name} [job ${id}]`;
          // A retry of this station's own attempt resumes it (its cases are not inspected twice here).
          const earlier = history.get().db.prepare('SELECT id FROM batches WHERE name = ? ORDER BY id DESC LIMIT 1').pluck().get(batchName) as number | undefined;
          const summary = await withHost((host) =>
            runBatch(
              { worker: host.worker, history },
              {
                paths: [job.dir],
                ...(job.packs ? { packs: job.packs.map(packRef) } : {}),
                ...(job.config ? { config: job.config } : {}),
                name: batchName,
                shard: job.shard,
                ...(earlier !== undefined ? { resume: earlier } : {}),
              },
              () => {},
              () => stop,
            ),
          );
          if (summary.stopped) throw new InspectorError('BATCH_STOPPED', `stopped after ${summary.inspected} cases; the shard goes back to the queue`);
          if (values.sync) {
            const c = await connectCentral(values.central!);
            try {
              await migrateCentral(c);
              await syncStation(history.get().db, c, stationId(history.get().db, values.station));
            } finally {
              await c.end().catch(() => {});
            }
          }
          process.stdout.write(`job ${id}: ${job.name} shard ${job.shard.index}/${job.shard.count}: batch ${summary.batchId}, ${summary.inspected} inspected, ${summary.errors} errors\n`);
          return { batchId: summary.batchId, inspected: summary.inspected, errors: summary.errors, cases: summary.cases, database: file };
        };
        const r = await workReinspections(boss, run, {
          untilEmpty: values['until-empty'] ?? false,
          shouldStop: () => stop,
          log: (l) => process.stderr.write(`${l}\n`),
        });
        process.stdout.write(`worked ${r.done} shards${r.failed ? `, ${r.failed} failed` : ''}\n`);
        return r.failed ? 1 : 0;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        history.close();
      }
    } finally {
      await boss.stop({ graceful: true }).catch(() => {});
    }
  },
};
