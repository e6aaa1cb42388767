/**
 * Big re-inspections without Kubernetes: a work queue in the central PostgreSQL that idle stations
 * pull from. The queue is pg-boss (a maintained PostgreSQL job queue: `FOR UPDATE SKIP LOCKED`
 * claims, retries, heartbeats, expiry) rather than our own table, so claiming, retrying and
 * cleaning up are someone's well-tested code.
 *
 * A job is one shard of a folder — the same `--shard I/N` split `inspector batch` uses — so a queue
 * of N jobs covers the folder's cases exactly as N Indexed-Job pods would. Job ids are derived from
 * the re-inspection's name and shard, so pushing the same re-inspection twice queues nothing new.
 * A station that dies mid-shard stops its heartbeat; pg-boss gives the job to another station
 * after `heartbeatSeconds`, which inspects the whole shard again (at-least-once: the dead station's
 * partial batch stays in its own history, tagged with the job id, and central shows both).
 */
import { createHash } from 'node:crypto';
import { PgBoss, type Job } from 'pg-boss';
import { InspectorError } from '../../shared/errors';
import { checkCentralTls } from './central';

export const REINSPECT_QUEUE = 'inspector-reinspect';

export interface ReinspectJob {
  /** The re-inspection's name (recorded as the batch name on every station). */
  name: string;
  /** Folder every station can read at the same path (a shared volume). */
  dir: string;
  shard: { index: number; count: number };
  packs?: string[];
  config?: string;
}

export interface QueueTuning {
  /** A station that stops touching its job for this long is presumed dead (pg-boss minimum 10). */
  heartbeatSeconds?: number;
  /** Upper bound of one shard's run; a longer one is failed and retried. */
  expireInSeconds?: number;
  retryLimit?: number;
}

export async function openQueue(url: string): Promise<PgBoss> {
  checkCentralTls(url);
  // Supervision (which finds jobs whose station stopped its heartbeat) every 10 s, not pg-boss's 60.
  const boss = new PgBoss({ connectionString: url, schema: 'inspector_queue', superviseIntervalSeconds: 10 });
  boss.on('error', () => {}); // surfaced through the calls that fail; a background error must not crash the station
  try {
    await boss.start();
  } catch (e) {
    throw new InspectorError('FLEET_CENTRAL_UNREACHABLE', `Cannot open the work queue in the central database: ${(e as Error).message}`);
  }
  return boss;
}

/** A stable UUID for (re-inspection, shard): a second push of the same work adds no job. */
export function jobId(name: string, index: number, count: number): string {
  const h = createHash('sha256').update(`${REINSPECT_QUEUE}\u0000${name}\u0000${index}/${count}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function pushReinspection(boss: PgBoss, job: Omit<ReinspectJob, 'shard'> & { shards: number }, tuning: QueueTuning = {}): Promise<{ queued: number; already: number }> {
  if (!Number.isInteger(job.shards) || job.shards < 1 || job.shards > 10_000) throw new InspectorError('USAGE', '--shards must be a whole number from 1 to 10000');
  await ensureQueue(boss, tuning);
  let queued = 0;
  for (let i = 0; i < job.shards; i++) {
    const { shards: _n, ...rest } = job;
    const data: ReinspectJob = { ...rest, shard: { index: i, count: job.shards } };
    const id = await boss.send(REINSPECT_QUEUE, data as unknown as object, { id: jobId(job.name, i, job.shards) });
    if (id) queued++;
  }
  return { queued, already: job.shards - queued };
}

async function ensureQueue(boss: PgBoss, t: QueueTuning): Promise<void> {
  if (await boss.getQueue(REINSPECT_QUEUE)) return;
  await boss.createQueue(REINSPECT_QUEUE, {
    heartbeatSeconds: t.heartbeatSeconds ?? 30,
    expireInSeconds: t.expireInSeconds ?? 6 * 3600,
    retryLimit: t.retryLimit ?? 3,
    retryDelay: 1,
  });
}

export interface WorkOptions {
  /** Stop when the queue has nothing ready, instead of waiting for more. */
  untilEmpty?: boolean;
  shouldStop?: () => boolean;
  pollMs?: number;
  log?: (line: string) => void;
}

export type RunShard = (job: ReinspectJob, jobId: string, attempt: number) => Promise<Record<string, unknown>>;

/** Claims one job at a time (SKIP LOCKED), keeps its heartbeat while it runs, completes or fails it. */
export async function workReinspections(boss: PgBoss, run: RunShard, opts: WorkOptions = {}): Promise<{ done: number; failed: number }> {
  const q = await boss.getQueue(REINSPECT_QUEUE);
  let done = 0;
  let failed = 0;
  while (!opts.shouldStop?.()) {
    const [job] = (await boss.fetch<ReinspectJob>(REINSPECT_QUEUE, { batchSize: 1 })) as Job<ReinspectJob>[];
    if (!job) {
      if (opts.untilEmpty) {
        // Active jobs of a dead station come back after their heartbeat lapses: wait for them too.
        const s = await queueStatus(boss);
        if (s.queued + s.active + s.deferred === 0) break;
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
      continue;
    }
    const beat = q?.heartbeatSeconds ? setInterval(() => void boss.touch(REINSPECT_QUEUE, job.id).catch(() => {}), (q.heartbeatSeconds * 1000) / 3) : null;
    try {
      opts.log?.(`job ${job.id}: ${job.data.name} shard ${job.data.shard.index}/${job.data.shard.count} (attempt ${job.retryCount + 1})`);
      const summary = await run(job.data, job.id, job.retryCount);
      await boss.complete(REINSPECT_QUEUE, job.id, summary);
      done++;
    } catch (e) {
      await boss.fail(REINSPECT_QUEUE, job.id, { code: (e as InspectorError).code ?? 'ERROR', message: (e as Error).message });
      failed++;
      opts.log?.(`job ${job.id} failed: ${(e as Error).message}`);
    } finally {
      if (beat) clearInterval(beat);
    }
  }
  return { done, failed };
}

export interface QueueStatus {
  queued: number;
  active: number;
  deferred: number;
  failed: number;
  total: number;
}

export async function queueStatus(boss: PgBoss): Promise<QueueStatus> {
  if (!(await boss.getQueue(REINSPECT_QUEUE))) return { queued: 0, active: 0, deferred: 0, failed: 0, total: 0 };
  // Counted from the jobs themselves: pg-boss's queue statistics are a cache its monitor refreshes.
  const jobs = await boss.findJobs(REINSPECT_QUEUE, { limit: 100_000 });
  const n = (...states: string[]) => jobs.filter((j) => states.includes(j.state)).length;
  return { queued: n('created'), active: n('active'), deferred: n('retry'), failed: n('failed'), total: jobs.length };
}
