/**
 * Shared setup of the worklist-retrieve tests (dicom-retrieve-cancel*.test.ts): a real Orthanc holding
 * the shared 28-slice CT, and the real host with its DICOM node started from settings in a temp folder.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHost, type Host } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { repoRoot, sharedData } from '../../support/paths';
import type { Orthanc } from '../dicomnet/orthanc';

export const CT_SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');

/** Every file below a folder, recursively. */
export const walk = (p: string): string[] => readdirSync(p, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(p, d.name)) : [join(p, d.name)]));

/** Uploads every .dcm of a series folder to Orthanc: the study's StudyInstanceUID and how many instances Orthanc holds. */
export async function uploadStudy(pacs: Orthanc, series: string): Promise<{ study: string; slices: number }> {
  let studyId = '';
  for (const f of readdirSync(series).filter((n) => n.endsWith('.dcm'))) studyId = (await pacs.upload(join(series, f))).ParentStudy;
  const s = await pacs.get<{ MainDicomTags: Record<string, string> }>(`/studies/${studyId}`);
  return { study: s.MainDicomTags['StudyInstanceUID']!, slices: (await pacs.get<unknown[]>(`/studies/${studyId}/instances`)).length };
}

/** Writes dicom.yaml (INSPECTOR on `port`, TESTPACS allowed, the given `query:` value) and settings.yaml into `dir`, creates the host and starts its node. */
export async function startHostWithDicom(dir: string, port: number, query: string) {
  writeFileSync(join(dir, 'dicom.yaml'), ['ae_title: INSPECTOR', `port: ${port}`, 'allow: [{ aet: TESTPACS, host: 127.0.0.1 }]', `query: ${query}`, 'stable_seconds: 1', 'timeout_seconds: 10'].join('\n'));
  writeFileSync(join(dir, 'settings.yaml'), 'dicom:\n  config: dicom.yaml\n');
  const host: Host = createHost(appPaths(repoRoot, dir), nodeWorkerLauncher(repoRoot), 'media:');
  return { host, status: await host.dicom.startFromSettings() };
}

/** Tears down what startHostWithDicom and Orthanc.start set up (each may be missing if beforeAll failed). */
export async function closeHostAndPacs(host: Host | undefined, pacs: Orthanc | undefined, dir: string) {
  await host?.dicom.close();
  host?.close();
  await pacs?.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** Cancels the retrieve of `study` from the worklist when the node stores its first slice: `off` unsubscribes, `cancel()` is the cancel call's answer (undefined if none was made). */
export function cancelAtFirstSlice(host: Host, study: string, call: (channel: string, input: unknown) => Promise<unknown>) {
  let cancel: Promise<unknown> | undefined;
  const off = host.dicom.subscribe((e) => {
    if (e.event === 'stored' && e.studyInstanceUid === study && !cancel) cancel = call('dicom.cancelRetrieve', { studyInstanceUid: study });
  });
  return { off, cancel: () => cancel };
}
