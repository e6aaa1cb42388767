/**
 * The node's auto-inspect paths that end without results, through the real batch code and worker:
 * a study no rule matches is marked no-rule and never inspected; a rule naming a pack that is not
 * installed fails with the pack's coded error, the study is marked failed with that code, the
 * instance stays in the inbox and nothing is queued.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { withHost } from '../../../src/cli/host';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';
import { DicomNode, type NodeEvent } from '../../../src/core/dicomnet/node';
import { listOutbox } from '../../../src/core/dicomnet/outbox';
import { listStudies } from '../../../src/core/dicomnet/records';
import { runBatch } from '../../../src/host/batch';
import { HistoryAccess } from '../../../src/host/history';
import { repoRoot } from '../../support/paths';
import { hasDcmtk } from './orthanc';

const run = promisify(execFile);
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';

describe.skipIf(!hasDcmtk)('DICOM node: studies that yield no results', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-node-rules-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  async function scenario(rule: string, name: string): Promise<{ events: NodeEvent[]; history: HistoryAccess }> {
    const events: NodeEvent[] = [];
    const history = new HistoryAccess(join(tmp, `${name}.sqlite`));
    const store = history.get();
    const config = parseDicomConfig(['ae_title: INSPECTOR', 'allow: [{ aet: STORESCU }]', rule, 'stable_seconds: 0.3', 'send_results: [{ aet: X, host: 127.0.0.1, port: 9, objects: [sr] }]'].join('\n'));
    config.port = 0; // any free port
    await withHost(async (host) => {
      const node = new DicomNode({
        config,
        store,
        inbox: join(tmp, name, 'inbox'),
        outboxDir: join(tmp, name, 'outbox'),
        softwareVersion: 'test',
        log: (e) => events.push(e),
        inspect: async ({ pack, paths }) => {
          const s = await runBatch({ worker: host.worker, history }, { paths, packs: [pack] });
          return { batchId: s.batchId, runIds: store.db.prepare('SELECT id FROM inference_runs WHERE batch_id = ?').pluck().all(s.batchId) as number[] };
        },
      });
      const port = await node.start();
      await run('storescu', ['-xw', '-aet', 'STORESCU', '-aec', 'INSPECTOR', '127.0.0.1', String(port), CR]);
      const until = Date.now() + 60_000;
      while (!events.some((e) => e.event === 'no-rule' || e.event === 'inspect-failed' || e.event === 'inspected') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      await node.idle();
      await node.close();
    });
    return { events, history };
  }

  it('no matching rule: no-rule, nothing inspected or queued', async () => {
    const { events, history } = await scenario('auto_inspect: [{ when: { modality: CT }, pack: battery-ct-porosity }]', 'norule');
    expect(events.map((e) => e.event)).toEqual(['listening', 'stored', 'study-stable', 'no-rule']);
    const s = history.get();
    expect(listStudies(s.db).map((r) => [r.study_instance_uid, r.status])).toEqual([[STUDY, 'no-rule']]);
    expect(s.db.prepare('SELECT count(*) FROM inference_runs').pluck().get()).toBe(0);
    expect(listOutbox(s.db)).toEqual([]);
    history.close();
  });

  it('a rule naming a missing pack: coded failure, study failed, instance kept, nothing queued', async () => {
    const { events, history } = await scenario('auto_inspect: [{ when: { modality: CR }, pack: no-such-pack }]', 'nopack');
    const failed = events.find((e) => e.event === 'inspect-failed') as Extract<NodeEvent, { event: 'inspect-failed' }> | undefined;
    expect(failed).toBeDefined();
    expect(failed!.code).toMatch(/^PACK_/);
    const s = history.get();
    const [study] = listStudies(s.db);
    expect(study).toMatchObject({ status: 'failed', error_code: failed!.code });
    const path = s.db.prepare('SELECT path FROM dicom_instances').pluck().get() as string;
    expect(existsSync(path)).toBe(true);
    expect(listOutbox(s.db)).toEqual([]);
    history.close();
  });
});
