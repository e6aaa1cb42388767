import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBatch, type BatchProgress, type BatchSummary } from '../../host/batch';
import { parseShard } from '../../core/fleet/shard';
import { HistoryStore } from '../../core/history/index';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { withHost } from '../host';
import { historyDbPath } from '../historyDb';
import { INSPECT_OPTIONS, inspectParams } from '../inspectOptions';

const HELP = [
  'Usage: inspector batch <files|dirs>... [--pack DIR|NAME]... [--method M] [--config inspector.yaml]',
  '                       [--name NAME] [--resume BATCH_ID] [--db FILE] [--providers cuda,cpu] [--json]',
  '                       [--shard I/N] [--cam-layer L] [--cam-fuse A,B,…] [--prompt "a . b ."]',
  '                       [--box-threshold T] [--text-threshold T]',
  '',
  'Inspects many images case by case in the inference worker and records each case in the history as',
  'soon as it is done, printing progress and the batch id (at the start and at the end). Ctrl-C or',
  'SIGTERM stops after the current case, every finished case recorded; a second Ctrl-C aborts at once.',
  'A batch that was killed or stopped continues with --resume BATCH_ID, skipping every image it already',
  'recorded. Files in the folders that are not images are skipped, listed and recorded.',
  '--shard I/N inspects only the cases whose case-id hash falls in shard I of N (0 <= I < N): N processes',
  'over the same folder (e.g. a Kubernetes Indexed Job, --shard $(JOB_COMPLETION_INDEX)/N) inspect each',
  'case exactly once between them. The batch records its shard tag; resume it with the same --shard.',
  '--cam-layer / --cam-fuse (classifier maps) and --prompt / --box-threshold / --text-threshold',
  '(grounding packs) apply to every case as in inspect (see inspect --help); each run records them.',
  '',
  'Exit status: 0 every image inspected, 1 some image failed (recorded as errors), 2 usage,',
  '130 stopped by Ctrl-C/SIGTERM.',
].join('\n');

/**
 * The closing count in images, as the progress lines and the start line count them. A config that
 * runs several packs per image (line-demo: a classifier or anomaly pack plus grounding on each view)
 * records several runs per image; before, "16 inspected, … of 8 images" mixed the two units.
 */
export function batchTotals(s: Pick<BatchSummary, 'batchId' | 'stopped' | 'inspected' | 'errors' | 'skipped' | 'total'>, imagesDone: number): string {
  const images = imagesFinishedNow(s, imagesDone);
  return (
    `Batch ${s.batchId} ${s.stopped ? 'STOPPED' : 'done'}: ${images} of ${s.total} images finished now, ${s.skipped} already recorded; ` +
    `${s.inspected} pack runs recorded, ${s.errors} failed`
  );
}

/** Images this run finished (resumed ones excluded): the unit of the summary and of its images/s. */
export const imagesFinishedNow = (s: Pick<BatchSummary, 'skipped'>, imagesDone: number): number => Math.max(0, imagesDone - s.skipped);

/** Images per second of this run, as the text summary prints it and `--json` gives it (`imagesPerSecond`). */
export const imagesPerSecond = (images: number, seconds: number): number => images / Math.max(seconds, 1e-9);

export const batchCommand: Command = {
  name: 'batch',
  summary: 'inspect folders case by case with progress; every case recorded at once; resumable',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        ...INSPECT_OPTIONS,
        name: { type: 'string' },
        resume: { type: 'string' },
        shard: { type: 'string' },
        db: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length === 0) throw new InspectorError('USAGE', 'batch needs at least one file or folder');
    const resume = values.resume !== undefined ? Number(values.resume) : undefined;
    if (resume !== undefined && !Number.isInteger(resume)) throw new InspectorError('USAGE', '--resume expects a batch id (a whole number)');
    const shard = values.shard !== undefined ? parseShard(values.shard) : undefined;

    // A shell's Ctrl-C goes to the whole process group; the worker is in a group of its own (see
    // nodeWorker.ts), so only we hear it: finish the case in flight, record it, then stop.
    let stop = false;
    let batchId: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop) {
        process.stderr.write(`\n${signal} again: aborting now${batchId !== undefined ? `; continue with --resume ${batchId}` : ''}\n`);
        process.exit(130);
      }
      stop = true;
      process.stderr.write(`\n${signal}: stopping batch ${batchId ?? ''} after the current case (Ctrl-C again to abort now)…\n`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const tty = process.stderr.isTTY;
    // Images finished so far (resumed ones included): the summary counts images, not pack runs.
    let imagesDone = 0;
    const progress = (p: BatchProgress) => {
      imagesDone = p.done;
      const line = `batch ${p.batchId}: ${p.done}/${p.total} images  case ${p.caseId} ${p.verdict}${p.errors ? `  errors ${p.errors}` : ''}`;
      process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
    };
    // Opened on first use, like the app's HistoryAccess (a usage error creates no database).
    const file = historyDbPath(values.db);
    let store: HistoryStore | undefined;
    const history = { file, get: () => (store ??= HistoryStore.open(file)), close: () => store?.close() };
    try {
      const summary = await withHost((host) =>
        runBatch(
          { worker: host.worker, history },
          {
            paths: positionals.map((p) => resolve(p)),
            ...inspectParams(values),
            ...(values.name ? { name: values.name } : {}),
            ...(resume !== undefined ? { resume } : {}),
            ...(shard ? { shard } : {}),
          },
          progress,
          () => stop,
          (id, total) => {
            batchId = id;
            process.stderr.write(`batch ${id} ${resume !== undefined ? 'resumed' : 'started'}: ${total} images\n`);
          },
        ),
      );
      if (tty) process.stderr.write('\n');
      for (const w of summary.warnings) process.stderr.write(`${w}\n`);
      const images = imagesFinishedNow(summary, imagesDone);
      // `images` (finished now) and `imagesPerSecond` beside the raw counts: a reader checks the rate
      // against them instead of trusting a printed figure.
      if (values.json) process.stdout.write(JSON.stringify({ ...summary, images, imagesPerSecond: imagesPerSecond(images, summary.seconds), database: history.file }, null, 2) + '\n');
      else {
        const v = Object.entries(summary.verdicts).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
        process.stdout.write(
          [
            batchTotals(summary, imagesDone),
            ...(summary.notImages ? [`Skipped ${summary.notImages} files that are not images (recorded; see inspector history list --batch ${summary.batchId})`] : []),
            `Cases ${summary.cases}: ${v}`,
            ...Object.entries(summary.validation ?? {}).map(([pack, x]) => `Pack ${pack}: ${x.validated ? 'validated on this station' : `NOT VALIDATED: ${x.reason ?? 'not validated on this station'}`}; decided by ${x.thresholdVersion !== null ? `threshold version ${x.thresholdVersion}` : "pack.yaml's thresholds"}`),
            `Time ${summary.seconds.toFixed(1)} s (${imagesPerSecond(images, summary.seconds).toFixed(1)} images/s)`,
            `Recorded in ${history.file}${summary.stopped ? `; continue with: inspector batch … --resume ${summary.batchId}` : ''}`,
          ].join('\n') + '\n',
        );
      }
      if (summary.stopped || stop) return 130;
      return summary.errors > 0 ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      history.close();
    }
  },
};
