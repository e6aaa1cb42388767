/**
 * C-CANCEL as SCU against a real Orthanc: a running C-FIND, C-MOVE and C-GET is cancelled (the
 * AbortSignal the CLI's Ctrl-C fires) once the first answer / instance is in; Inspector sends
 * C-CANCEL-RQ, Orthanc ends the request with Cancel (0xFE00), and the call fails with
 * DICOM_CANCELLED carrying the counts — with what arrived kept: the matches on the error, the
 * instances in the inbox and the history, fewer than the study holds. A signal already aborted
 * never opens an association.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStudy } from '../../../src/core/dicomnet/cget';
import { DicomListener } from '../../../src/core/dicomnet/listener';
import { cFind, retrieveStudy, type FindMatch } from '../../../src/core/dicomnet/query';
import { recordInstance, studyInstances } from '../../../src/core/dicomnet/records';
import { HistoryStore } from '../../../src/core/history/index';
import { hasShared, sharedData } from '../../support/paths';
import { heldOf } from './naturalize';
import { freePort, hasOrthanc, Orthanc } from './orthanc';
import { tinyStudies } from './tiny';

const TINY = 400;
const CT_DIR = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const files = hasShared ? readdirSync(CT_DIR).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(CT_DIR, f)) : [];
const walk = (p: string): string[] => readdirSync(p, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(p, d.name)) : [join(p, d.name)]));

describe.skipIf(!hasOrthanc || !hasShared)('C-CANCEL of C-FIND / C-MOVE / C-GET against Orthanc', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-cancel-scu-'));
  let pacs: Orthanc;
  let store: HistoryStore;
  let listener: DicomListener;
  let study = '';
  let peer: { aet: string; host: string; port: number };

  beforeAll(async () => {
    const port = await freePort();
    pacs = await Orthanc.start({ inspector: { AET: 'INSPECTOR', Host: '127.0.0.1', Port: port, AllowGet: true } });
    peer = { aet: pacs.aet, host: '127.0.0.1', port: pacs.dicom };
    for (const f of files) await pacs.upload(f);
    // Many one-instance studies: a study-level C-FIND with that many answers is still running when the cancel comes.
    const tiny = tinyStudies(mkdtempSync(join(tmp, 'tiny-')), TINY);
    for (let i = 0; i < tiny.length; i += 8) await Promise.all(tiny.slice(i, i + 8).map((f) => pacs.upload(f)));
    study = heldOf(readFileSync(files[0]!)).study;
    store = HistoryStore.open(join(tmp, 'h.sqlite'));
    listener = new DicomListener({ aeTitle: 'INSPECTOR', port, bind: '127.0.0.1', allow: [{ aet: pacs.aet, host: '127.0.0.1' }], inbox: join(tmp, 'inbox-move'), onStored: (r) => recordInstance(store, r) });
    await listener.start();
  }, 120_000);

  afterAll(async () => {
    await listener?.close();
    await pacs?.stop();
    store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('C-FIND: cancelled after the first match, the call ends DICOM_CANCELLED with the matches that came', async () => {
    const q = { level: 'STUDY' as const, patientId: 'CANCEL-*' };
    const all = await cFind(peer, q, { callingAet: 'INSPECTOR', timeoutSeconds: 15 });
    expect(all).toHaveLength(TINY);
    const ctl = new AbortController();
    const seen: FindMatch[] = [];
    const err = await cFind(peer, q, { callingAet: 'INSPECTOR', timeoutSeconds: 15, signal: ctl.signal }, (m) => {
      seen.push(m);
      ctl.abort();
    }).then(() => null, (e: unknown) => e as { code: string; details: Record<string, unknown>; matches: FindMatch[] });
    expect(err).toMatchObject({ code: 'DICOM_CANCELLED', details: { status: 0xfe00 } });
    expect(err!.matches).toEqual(seen);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThan(TINY);
  }, 60_000);

  it('C-MOVE: cancelled after the first instance arrives; fewer than the study arrive, all of them kept and recorded', async () => {
    const ctl = new AbortController();
    listener.once('stored', () => ctl.abort());
    const err = await retrieveStudy(peer, study, listener, { callingAet: 'INSPECTOR', timeoutSeconds: 15, signal: ctl.signal }).then(() => null, (e: unknown) => e as { code: string; details: Record<string, number> });
    expect(err).toMatchObject({ code: 'DICOM_CANCELLED', details: { status: 0xfe00, expected: files.length } });
    const arrived = err!.details['arrived']!;
    expect(arrived).toBeGreaterThanOrEqual(1);
    expect(arrived).toBeLessThan(files.length);
    await new Promise((r) => setTimeout(r, 300)); // a sub-operation in flight at the cancel may still land
    const kept = walk(join(tmp, 'inbox-move'));
    expect(kept.length).toBeGreaterThanOrEqual(arrived);
    expect(kept.length).toBeLessThan(files.length);
    expect(studyInstances(store.db, study).length).toBe(kept.length);
  }, 60_000);

  it('C-GET: cancelled after the first instance; DICOM_CANCELLED with the counts, what came is in the inbox', async () => {
    const ctl = new AbortController();
    const inbox = join(tmp, 'inbox-get');
    const got: string[] = [];
    const err = await getStudy(peer, study, { inbox, onStored: (r) => got.push(r.path), onInstance: () => ctl.abort() }, { callingAet: 'INSPECTOR', timeoutSeconds: 15, signal: ctl.signal }).then(
      () => null,
      (e: unknown) => e as { code: string; details: Record<string, number> },
    );
    expect(err).toMatchObject({ code: 'DICOM_CANCELLED', details: { status: 0xfe00, expected: files.length } });
    expect(err!.details['arrived']).toBe(got.length);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThan(files.length);
    expect(walk(inbox).sort()).toEqual([...got].sort());
  }, 60_000);

  it('a signal aborted before the call opens no association', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(cFind(peer, { level: 'STUDY', studyInstanceUid: study }, { callingAet: 'INSPECTOR', timeoutSeconds: 5, signal: ctl.signal })).rejects.toMatchObject({ code: 'DICOM_CANCELLED' });
  });
});
