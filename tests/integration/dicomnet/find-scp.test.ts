/* eslint-disable @typescript-eslint/no-explicit-any -- naturalized DICOM is untyped JSON; the assertions check its shape */
/**
 * Inspector as C-FIND SCP (`answer_find: true`): after dcmtk's storescu pushed the shared 28-slice
 * CT series and the CR chest sample, dcmtk's findscu — an independent client — queries the node
 * at STUDY level (by patient id, by a date range, by wildcard) and at SERIES level, and gets
 * exactly the held studies/series with the asked keys (counts, modalities, the patient id as
 * sent, Patient's Name and Series Description read from the files). An IMAGE-level query is a
 * failure status with no matches; a peer not on the allow-list is refused; with `answer_find`
 * off the query context is refused.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicomConfig } from '../../../src/core/dicomnet/config';
import { DicomNode, type NodeEvent } from '../../../src/core/dicomnet/node';
import { HistoryStore } from '../../../src/core/history/index';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { naturalize } from './naturalize';
import { hasDcmtk } from './orthanc';

const run = promisify(execFile);
const CT = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');
const CR_STUDY = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';

const naturalizeFile = (path: string): Record<string, any> => naturalize(readFileSync(path));

describe.skipIf(!hasDcmtk || !hasShared)('C-FIND SCP: the node answers queries about what it holds', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-find-scp-'));
  const events: NodeEvent[] = [];
  const nodes: DicomNode[] = [];
  const stores: HistoryStore[] = [];
  let port = 0;
  const ct = naturalizeFile(join(CT, '01.dcm'));

  async function startNode(name: string, answerFind: boolean): Promise<number> {
    const store = HistoryStore.open(join(tmp, `${name}.sqlite`));
    stores.push(store);
    const config = parseDicomConfig(['ae_title: INSPECTOR', 'allow: [{ aet: QUERIER, host: 127.0.0.1 }]', `answer_find: ${answerFind}`].join('\n'));
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

  /** findscu with -X: each match written as rsp0001.dcm…; returns them naturalized and the tool's log. */
  async function find(level: string, keys: string[], opts: { aet?: string; dir: string; port?: number }): Promise<{ rows: Record<string, any>[]; log: string }> {
    const args = ['-v', '-S', '-aet', opts.aet ?? 'QUERIER', '-aec', 'INSPECTOR', '-X', '-od', opts.dir, '-k', `QueryRetrieveLevel=${level}`, ...keys.flatMap((k) => ['-k', k]), '127.0.0.1', String(opts.port ?? port)];
    const { mkdirSync } = await import('node:fs');
    mkdirSync(opts.dir, { recursive: true });
    const r = await run('findscu', args).catch((e: { stdout: string; stderr: string }) => ({ stdout: e.stdout, stderr: e.stderr }));
    const rows = readdirSync(opts.dir).filter((f) => f.startsWith('rsp')).sort().map((f) => naturalizeFile(join(opts.dir, f)));
    return { rows, log: `${r.stdout}${r.stderr}` };
  }

  beforeAll(async () => {
    port = await startNode('on', true);
    const files = readdirSync(CT).filter((f) => f.endsWith('.dcm')).map((f) => join(CT, f));
    await run('storescu', ['-aet', 'QUERIER', '-aec', 'INSPECTOR', '127.0.0.1', String(port), ...files]);
    await run('storescu', ['-xw', '-aet', 'QUERIER', '-aec', 'INSPECTOR', '127.0.0.1', String(port), CR]);
    const until = Date.now() + 30_000;
    while (events.filter((e) => e.event === 'stored').length < files.length + 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const s of stores) s.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('STUDY level by patient id: the CT study with its counts, modality and the name from the file', async () => {
    const { rows, log } = await find('STUDY', [`PatientID=${ct['PatientID']}`, 'StudyInstanceUID', 'PatientName', 'StudyDate', 'ModalitiesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances', 'StudyDescription'], { dir: join(tmp, 'q1') });
    expect(rows, log).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      QueryRetrieveLevel: 'STUDY',
      PatientID: ct['PatientID'],
      StudyInstanceUID: ct['StudyInstanceUID'],
      ModalitiesInStudy: 'CT',
      NumberOfStudyRelatedSeries: 1,
      NumberOfStudyRelatedInstances: 28,
    });
    expect(rows[0]!['PatientName']).toEqual(ct['PatientName']);
    expect(rows[0]!['StudyDescription'] ?? '').toBe(ct['StudyDescription'] ?? '');
  });

  it('STUDY level: every study (universal match), a wildcard on the patient id, a date range', async () => {
    const all = await find('STUDY', ['StudyInstanceUID', 'PatientID'], { dir: join(tmp, 'q2') });
    expect(all.rows.map((r) => r['StudyInstanceUID']).sort()).toEqual([ct['StudyInstanceUID'], CR_STUDY].sort());
    const wild = await find('STUDY', ['StudyInstanceUID', 'PatientID=9R*'], { dir: join(tmp, 'q3') });
    expect(wild.rows.map((r) => [r['StudyInstanceUID'], r['PatientID']])).toEqual([[CR_STUDY, '9RG1']]);
    const none = await find('STUDY', ['StudyInstanceUID', 'PatientID=NOBODY'], { dir: join(tmp, 'q4') });
    expect(none.rows).toEqual([]);
    const dated = await find('STUDY', ['StudyInstanceUID', 'StudyDate=20040101-20041231'], { dir: join(tmp, 'q4b') });
    expect(dated.rows.map((r) => [r['StudyInstanceUID'], r['StudyDate']])).toEqual([[CR_STUDY, '20040826']]);
  });

  it('SERIES level within a study: the series, its modality, instance count and description', async () => {
    const { rows } = await find('SERIES', [`StudyInstanceUID=${ct['StudyInstanceUID']}`, 'SeriesInstanceUID', 'Modality', 'NumberOfSeriesRelatedInstances', 'SeriesDescription'], { dir: join(tmp, 'q5') });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ SeriesInstanceUID: ct['SeriesInstanceUID'], Modality: 'CT', NumberOfSeriesRelatedInstances: 28 });
    expect(rows[0]!['SeriesDescription'] ?? '').toBe(ct['SeriesDescription'] ?? '');
  });

  it('IMAGE level: a failure status and no matches; the node logs the coded error', async () => {
    const { rows, log } = await find('IMAGE', ['SOPInstanceUID'], { dir: join(tmp, 'q6') });
    expect(rows).toEqual([]);
    expect(log).toMatch(/0xc000|Unable to process|Failed/i);
    expect(events).toContainEqual(expect.objectContaining({ event: 'find-failed', code: 'DICOM_FIND_LEVEL_UNSUPPORTED', callingAet: 'QUERIER' }));
  });

  it('a peer not on the allow-list is refused; with answer_find off the query context is refused', async () => {
    const stranger = await find('STUDY', ['StudyInstanceUID'], { aet: 'STRANGER', dir: join(tmp, 'q7') });
    expect(stranger.rows).toEqual([]);
    expect(stranger.log).toMatch(/Association Rejected|calling AE/i);
    const offPort = await startNode('off', false);
    const off = await find('STUDY', ['StudyInstanceUID'], { dir: join(tmp, 'q8'), port: offPort });
    expect(off.rows).toEqual([]);
    expect(off.log).toMatch(/No Acceptable Presentation Contexts|no presentation context/i);
  });
});
