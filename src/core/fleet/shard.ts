/**
 * Shards for big re-inspections: a case belongs to shard hash(case id) mod N, so N processes
 * (Kubernetes Indexed Job pods, each with its JOB_COMPLETION_INDEX) given the same folder split
 * it into disjoint parts that together cover it, whatever order each lists the files in.
 */
import { createHash } from 'node:crypto';
import { InspectorError } from '../../shared/errors';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > 100_000 || index >= count) {
    throw new InspectorError('BATCH_BAD_SHARD', `--shard expects I/N with 0 <= I < N (for example 0/4); got "${text}".`, { shard: text });
  }
  return { index, count };
}

export function shardOf(caseId: string, count: number): number {
  // 48 bits of SHA-256: uniform, stable across platforms and Node versions.
  return Number.parseInt(createHash('sha256').update(caseId, 'utf8').digest('hex').slice(0, 12), 16) % count;
}

export function inShard(caseId: string, shard: Shard): boolean {
  return shardOf(caseId, shard.count) === shard.index;
}

export function shardTag(shard: Shard): string {
  return `shard ${shard.index}/${shard.count}`;
}
