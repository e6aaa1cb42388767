import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBatch, type BatchProgress } from '../../host/batch';
import { HistoryAccess } from '../../host/history';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { withHost } from '../host';
import { historyDbPath } from '../historyDb';
import { INSPECT_OPTIONS, inspectParams } from '../inspectOptions';

const HELP = [
  'Usage: inspector batch <files|dirs>... [--pack DIR|NAME]... [--method M] [--config inspector.yaml]',
  '                       [--name NAME] [--resume BATCH_ID] [--db FILE] [--providers cuda,cpu] [--json]',
  '',
  'Inspects many images case by case in the inference worker and records each case in the history as',
  'soon as it is done, printing progress. Ctrl-C stops after the current case; a batch that was killed',
  'or stopped continues with --resume BATCH_ID, skipping every image it already recorded.',
  '',
  'Exit status: 0 every image inspected, 1 some image failed (recorded as errors) or stopped early, 2 usage.',
].join('\n');

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
        db: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length === 0) throw new InspectorError('USAGE', 'batch needs at least one file or folder');
    const resume = values.resume !== undefined ? Number(values.resume) : undefined;
    if (resume !== undefined && !Number.isInteger(resume)) throw new InspectorError('USAGE', '--resume expects a batch id (a whole number)');

    let stop = false;
    const onSigint = () => {
      if (stop) process.exit(130);
      stop = true;
      process.stderr.write('\nstopping after the current case (Ctrl-C again to abort now)…\n');
    };
    process.on('SIGINT', onSigint);
    const tty = process.stderr.isTTY;
    const progress = (p: BatchProgress) => {
      const line = `batch ${p.batchId}: ${p.done}/${p.total} images  case ${p.caseId} ${p.verdict}${p.errors ? `  errors ${p.errors}` : ''}`;
      process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
    };
    const history = new HistoryAccess(historyDbPath(values.db));
    try {
      const summary = await withHost((host) =>
        runBatch(
          { worker: host.worker, history },
          {
            paths: positionals.map((p) => resolve(p)),
            ...inspectParams(values),
            ...(values.name ? { name: values.name } : {}),
            ...(resume !== undefined ? { resume } : {}),
          },
          progress,
          () => stop,
        ),
      );
      if (tty) process.stderr.write('\n');
      if (values.json) process.stdout.write(JSON.stringify({ ...summary, database: history.file }, null, 2) + '\n');
      else {
        const v = Object.entries(summary.verdicts).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
        process.stdout.write(
          [
            `Batch ${summary.batchId} ${summary.stopped ? 'STOPPED' : 'done'}: ${summary.inspected} inspected, ${summary.errors} errors, ${summary.skipped} already recorded, of ${summary.total} images`,
            `Cases ${summary.cases}: ${v}`,
            `Time ${summary.seconds.toFixed(1)} s (${((summary.inspected + summary.errors) / Math.max(summary.seconds, 1e-9)).toFixed(1)} images/s)`,
            `Recorded in ${history.file}${summary.stopped ? `; continue with: inspector batch … --resume ${summary.batchId}` : ''}`,
          ].join('\n') + '\n',
        );
      }
      return summary.errors > 0 || summary.stopped ? 1 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      history.close();
    }
  },
};
