/**
 * Test setup shared by the study-SR node tests: an in-process DicomNode on a real history whose
 * auto_inspect runs the real pack through the worker (runBatch), a study pushed by dcmtk's
 * storescu, waited for until the node has inspected it and sent what it queued. The node stays
 * open (the caller records reviews and closes it); the worker is stopped (reviews need none).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withHost } from '../../../src/cli/host';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';
import { DicomNode, type NodeEvent } from '../../../src/core/dicomnet/node';
import { runBatch } from '../../../src/host/batch';
import type { HistoryAccess } from '../../../src/host/history';

const run = promisify(execFile);

export interface InspectedStudy {
  node: DicomNode;
  events: NodeEvent[];
}

/** Starts a node with `configText` (listening on `nodePort`, allowing STORESCU), pushes `files` and waits for the inspection. */
export async function inspectWithNode(opts: { tmp: string; history: HistoryAccess; configText: string; files: string[]; nodePort: number }): Promise<InspectedStudy> {
  const events: NodeEvent[] = [];
  const store = opts.history.get();
  const node = await withHost(async (host) => {
    const n = new DicomNode({
      config: parseDicomConfig(opts.configText),
      store,
      inbox: join(opts.tmp, 'inbox'),
      outboxDir: join(opts.tmp, 'outbox'),
      softwareVersion: 'test',
      log: (e) => events.push(e),
      inspect: async ({ pack, paths }) => {
        const s = await runBatch({ worker: host.worker, history: opts.history }, { paths, packs: [pack] });
        return { batchId: s.batchId, runIds: store.db.prepare('SELECT id FROM inference_runs WHERE batch_id = ? ORDER BY id').pluck().all(s.batchId) as number[] };
      },
    });
    await n.start();
    await run('storescu', ['-aet', 'STORESCU', '-aec', 'INSPECTOR', '127.0.0.1', String(opts.nodePort), ...opts.files]);
    const until = Date.now() + 240_000;
    const finished = () => events.some((e) => e.event === 'inspected' || e.event === 'inspect-failed' || e.event === 'no-rule');
    while (!finished() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await n.idle();
    return n;
  });
  return { node, events };
}
