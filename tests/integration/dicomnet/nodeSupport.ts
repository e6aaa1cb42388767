/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON */
/**
 * Shared setup of the DICOM node's auto-inspect tests (node-auto-volume, node-study-sr): the shared
 * CT series read from disk, a real DicomNode inspecting with the real worker (runBatch) while
 * storescu pushes studies to it, and what an Orthanc holds afterwards.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withHost } from '../../../src/cli/host';
import { parseDicomConfig, type DicomNodeConfig } from '../../../src/core/dicomnet/config';
import { DicomNode, type NodeEvent } from '../../../src/core/dicomnet/node';
import { runBatch } from '../../../src/host/batch';
import type { HistoryAccess } from '../../../src/host/history';
import { naturalize } from './naturalize';
import type { Orthanc } from './orthanc';

const run = promisify(execFile);

/** The StudyInstanceUID (the last file's) and every SOPInstanceUID of a list of DICOM files. */
export function uidsOfFiles(files: string[]): { study: string; sops: Set<string> } {
  let study = '';
  const sops = new Set<string>();
  for (const s of files) {
    const ds = naturalize(readFileSync(s));
    study = ds['StudyInstanceUID'];
    sops.add(ds['SOPInstanceUID']);
  }
  return { study, sops };
}

/** The node's config for these tests: INSPECTOR on `port`, STORESCU allowed, CT auto-inspected with battery-ct-porosity, results sent to the given `send_results` entries (YAML flow maps). */
export function autoInspectCtConfig(port: number, sendResults: string[]): DicomNodeConfig {
  return parseDicomConfig(
    [
      'ae_title: INSPECTOR',
      `port: ${port}`,
      'allow: [{ aet: STORESCU, host: 127.0.0.1 }]',
      'auto_inspect: [{ when: { modality: CT }, pack: battery-ct-porosity }]',
      'send_results:',
      ...sendResults.map((d) => `  - ${d}`),
      'stable_seconds: 1',
      'timeout_seconds: 20',
      'uid_root: 1.2.826.0.1.3680043.10.1234',
    ].join('\n'),
  );
}

/** Every instance Orthanc holds for a study, naturalized, with its bytes. */
export async function held(pacs: Orthanc, study: string): Promise<{ ds: Record<string, any>; bytes: Buffer }[]> {
  const out = [];
  for (const id of await pacs.instancesOfStudy(study)) {
    const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer());
    out.push({ ds: naturalize(bytes), bytes });
  }
  return out;
}

/**
 * Runs a DicomNode (inbox and outbox under `tmp`, inspecting with runBatch on a real host worker),
 * pushes each file list with storescu as AE STORESCU, waits up to 240 s for `studies` studies to be
 * inspected (or fail, or match no rule) and lets the node finish sending. The node is returned
 * still open (reviews need no worker: the host's is stopped); `inspectPushedStudies` closes it.
 */
export async function pushAndInspect(o: { config: DicomNodeConfig; history: HistoryAccess; tmp: string; port: number; events: NodeEvent[]; pushes: string[][]; studies: number }): Promise<DicomNode> {
  const { history, events } = o;
  const store = history.get();
  return withHost(async (host) => {
    const node = new DicomNode({
      config: o.config,
      store,
      inbox: join(o.tmp, 'inbox'),
      outboxDir: join(o.tmp, 'outbox'),
      softwareVersion: 'test',
      log: (e) => events.push(e),
      inspect: async ({ pack, paths }) => {
        const s = await runBatch({ worker: host.worker, history }, { paths, packs: [pack] });
        return { batchId: s.batchId, runIds: store.db.prepare('SELECT id FROM inference_runs WHERE batch_id = ? ORDER BY id').pluck().all(s.batchId) as number[] };
      },
    });
    await node.start();
    for (const files of o.pushes) await run('storescu', ['-aet', 'STORESCU', '-aec', 'INSPECTOR', '127.0.0.1', String(o.port), ...files]);
    const until = Date.now() + 240_000;
    const done = () => events.filter((e) => e.event === 'inspected' || e.event === 'inspect-failed' || e.event === 'no-rule').length;
    while (done() < o.studies && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await node.idle();
    return node;
  });
}

/** `pushAndInspect`, then the node closed. */
export async function inspectPushedStudies(o: Parameters<typeof pushAndInspect>[0]): Promise<void> {
  const node = await pushAndInspect(o);
  await node.close();
}
