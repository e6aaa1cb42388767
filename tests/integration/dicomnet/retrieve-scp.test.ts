/**
 * Inspector as C-MOVE and C-GET SCP (`answer_retrieve: true`), with dcmtk as the real peers:
 * storescu fills the inbox (the shared 28-slice CT series, uncompressed, and the CR chest sample in
 * JPEG 2000), then movescu moves the CT study to a storescp registered in the allow-list with host
 * and port, and getscu gets it on its own association — every instance arrives, pixel data equal
 * to what Inspector holds, with the counts in the responses. The J2K CR comes by C-GET as J2K when
 * getscu proposes it, and is a failed sub-operation (not a transcoded copy) when it does not.
 * Refusals: an unknown move destination (0xA801, DICOM_MOVE_DESTINATION_UNKNOWN), a study we do
 * not hold (DICOM_RETRIEVE_NO_MATCH), a peer not on the allow-list (association rejected), and
 * with `answer_retrieve` off the retrieve contexts are refused.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';
import { DicomNode, type NodeEvent } from '../../../src/core/dicomnet/node';
import { HistoryStore } from '../../../src/core/history/index';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { heldOf, type HeldBytes } from './naturalize';
import { freePort, hasDcmtk } from './orthanc';

const run = promisify(execFile);
const CT = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const CR_STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';

/** With -d, dcmtk dumps each response: "DIMSE Status : 0x0000: …", "Completed Suboperations : 28"; the last of each counts. */
function counts(log: string): { completed?: number; failed?: number; status?: string } {
  const last = (re: RegExp) => [...log.matchAll(re)].pop()?.[1];
  const n = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  return {
    completed: n(last(/Completed Suboperations\s*:\s*(\d+)/gi)),
    failed: n(last(/Failed Suboperations\s*:\s*(\d+)/gi)),
    status: last(/DIMSE Status\s*:\s*(0x[0-9a-f]{4})/gi),
  };
}

const dir = (p: string) => readdirSync(p).filter((f) => !f.startsWith('.')).map((f) => join(p, f));

describe.skipIf(!hasDcmtk || !hasShared)('C-MOVE / C-GET SCP: peers retrieve what the node holds', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-retrieve-scp-'));
  const events: NodeEvent[] = [];
  const nodes: DicomNode[] = [];
  const stores: HistoryStore[] = [];
  let port = 0;
  let storescp: ChildProcess;
  let destPort = 0;
  const destDir = join(tmp, 'dest');
  let ctStudy = '';
  const held = new Map<string, HeldBytes>();

  async function startNode(name: string, answerRetrieve: boolean): Promise<number> {
    const store = HistoryStore.open(join(tmp, `${name}.sqlite`));
    stores.push(store);
    const config = parseDicomConfig(
      [
        'ae_title: INSPECTOR',
        `allow: [{ aet: RETRIEVER, host: 127.0.0.1 }, { aet: DESTSCP, host: 127.0.0.1, port: ${destPort} }, { aet: NOPORT, host: 127.0.0.1 }]`,
        `answer_retrieve: ${answerRetrieve}`,
        'timeout_seconds: 10',
      ].join('\n'),
    );
    config.port = 0;
    const node = new DicomNode({
      config,
      store,
      inbox: join(tmp, name, 'inbox'),
      outboxDir: join(tmp, name, 'outbox'),
      softwareVersion: 'test',
      log: (e) => events.push(e),
      inspect: () => Promise.reject(new Error('no rules: nothing is inspected')),
    });
    nodes.push(node);
    return node.start();
  }

  const dcmtk = (tool: string, args: string[]) => {
    const od = args.indexOf('-od');
    if (od >= 0) mkdirSync(args[od + 1]!, { recursive: true });
    return run(tool, args).then(
      (r) => `${r.stdout}${r.stderr}`,
      (e: { stdout: string; stderr: string }) => `${e.stdout}${e.stderr}`,
    );
  };

  beforeAll(async () => {
    destPort = await freePort();
    mkdirSync(destDir, { recursive: true });
    storescp = spawn('storescp', ['-aet', 'DESTSCP', '+xa', '-od', destDir, String(destPort)], { stdio: 'ignore' });
    port = await startNode('on', true);
    const files = dir(CT).filter((f) => f.endsWith('.dcm'));
    await run('storescu', ['-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '127.0.0.1', String(port), ...files]);
    await run('storescu', ['-xw', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '127.0.0.1', String(port), CR]);
    const until = Date.now() + 30_000;
    while (events.filter((e) => e.event === 'stored').length < files.length + 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    // What the node holds: the inbox files, to compare with what the peers receive.
    const inbox = join(tmp, 'on', 'inbox');
    for (const study of dir(inbox)) for (const series of dir(study)) for (const f of dir(series)) {
      const h = heldOf(readFileSync(f));
      held.set(h.sop, h);
      if (h.study !== CR_STUDY) ctStudy = h.study;
    }
  }, 60_000);

  afterAll(async () => {
    storescp?.kill('SIGTERM');
    for (const n of nodes) await n.close();
    for (const s of stores) s.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Every received file is an instance we hold, in the same transfer syntax, with the same pixel data bytes. */
  function expectAsHeld(files: string[], study: string, ts?: string): void {
    const want = [...held.values()].filter((h) => h.study === study);
    expect(files.length).toBe(want.length);
    const got = files.map((f) => heldOf(readFileSync(f)));
    expect(got.map((g) => g.sop).sort()).toEqual(want.map((w) => w.sop).sort());
    for (const g of got) {
      const h = held.get(g.sop)!;
      if (ts) expect(g.ts).toBe(ts);
      expect(g.pixelData.equals(h.pixelData), g.sop).toBe(true);
    }
  }

  it('movescu moves the CT study to the allow-listed storescp: all 28 instances, pixel data as held, counts in the responses', async () => {
    expect(held.size).toBe(29);
    const log = await dcmtk('movescu', ['-d', '-S', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-aem', 'DESTSCP', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${ctStudy}`, '127.0.0.1', String(port)]);
    expect(counts(log)).toMatchObject({ completed: 28, failed: 0, status: '0x0000' });
    // storescp writes each file after its C-STORE response: wait for the last one.
    const until = Date.now() + 10_000;
    while (dir(destDir).length < 28 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expectAsHeld(dir(destDir), ctStudy);
    expect(events).toContainEqual(expect.objectContaining({ event: 'retrieve-answered', kind: 'move', callingAet: 'RETRIEVER', destination: 'DESTSCP', completed: 28, failed: 0 }));
  }, 60_000);

  it('refuses an unknown move destination (also one on the allow-list without a port) and a study it does not hold, with coded errors', async () => {
    for (const aem of ['NOWHERE', 'NOPORT']) {
      const log = await dcmtk('movescu', ['-d', '-S', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-aem', aem, '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${ctStudy}`, '127.0.0.1', String(port)]);
      expect(counts(log).status).toBe('0xa801');
      expect(events).toContainEqual(expect.objectContaining({ event: 'retrieve-failed', code: 'DICOM_MOVE_DESTINATION_UNKNOWN', destination: aem }));
    }
    const log = await dcmtk('getscu', ['-d', '-S', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-od', join(tmp, 'none'), '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.3.4.5', '127.0.0.1', String(port)]);
    expect(counts(log).status).toBe('0xc000');
    expect(events).toContainEqual(expect.objectContaining({ event: 'retrieve-failed', code: 'DICOM_RETRIEVE_NO_MATCH', kind: 'get' }));
  }, 60_000);

  it('getscu gets the CT study on its own association, and the J2K CR as J2K — or, not proposed, as a failed sub-operation, never transcoded', async () => {
    const out = join(tmp, 'get-ct');
    mkdirSync(out, { recursive: true });
    const log = await dcmtk('getscu', ['-d', '-S', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-od', out, '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${ctStudy}`, '127.0.0.1', String(port)]);
    expect(counts(log)).toMatchObject({ completed: 28, failed: 0, status: '0x0000' });
    expectAsHeld(dir(out), ctStudy);

    const j2k = join(tmp, 'get-cr');
    mkdirSync(j2k, { recursive: true });
    const logJ2k = await dcmtk('getscu', ['-d', '-S', '+xw', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-od', j2k, '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${CR_STUDY}`, '127.0.0.1', String(port)]);
    expect(counts(logJ2k)).toMatchObject({ completed: 1, failed: 0, status: '0x0000' });
    expectAsHeld(dir(j2k), CR_STUDY, '1.2.840.10008.1.2.4.91');

    const plain = join(tmp, 'get-cr-plain');
    mkdirSync(plain, { recursive: true });
    const logPlain = await dcmtk('getscu', ['-d', '-S', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-od', plain, '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${CR_STUDY}`, '127.0.0.1', String(port)]);
    expect(counts(logPlain)).toMatchObject({ completed: 0, failed: 1, status: '0xa702' });
    expect(logPlain).toMatch(/\(0000,0902\) LO \[DICOM_GET_NO_CONTEXT: /); // the Error Comment says why: no transcoding
    expect(dir(plain)).toEqual([]);
  }, 60_000);

  it('refuses a peer not on the allow-list, and retrieve contexts when answer_retrieve is off', async () => {
    const log = await dcmtk('getscu', ['-d', '-S', '-aet', 'STRANGER', '-aec', 'INSPECTOR', '-od', join(tmp, 'x'), '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${ctStudy}`, '127.0.0.1', String(port)]);
    expect(log).toMatch(/Association Rejected|rejected/i);
    expect(events).toContainEqual(expect.objectContaining({ event: 'rejected', callingAet: 'STRANGER', reason: 'calling-ae-not-recognized' }));
    const off = await startNode('off', false);
    const logOff = await dcmtk('movescu', ['-d', '-S', '-aet', 'RETRIEVER', '-aec', 'INSPECTOR', '-aem', 'DESTSCP', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${ctStudy}`, '127.0.0.1', String(off)]);
    expect(logOff).toMatch(/No (acceptable|accepted) Presentation Context|not accepted|Abstract Syntax Not Supported/i);
    expect(counts(logOff).completed).toBeUndefined();
  }, 60_000);
});
