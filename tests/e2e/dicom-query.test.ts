/**
 * Query/retrieve from the worklist room in real Chromium with the real handlers, against a real
 * Orthanc: the radiographer searches the configured PACS by patient id (C-FIND), sees the study
 * with the PACS's own counts, retrieves it (C-GET: all 28 slices of the shared CT series arrive
 * in the inbox and the study becomes a worklist row), filters by modality for a CR and retrieves it
 * by C-GET too — in its JPEG 2000, as Orthanc holds it (Orthanc 1.10 cannot transcode J2K; our C-GET
 * proposes it) —, the node auto-inspects it and its SR waits in the outbox for a PACS that is down — the room
 * shows the waiting entry with its code, and "Retry now" tries again (one more attempt recorded).
 * An empty search is refused with its code, not sent as an open query. Cancel on a running C-GET
 * sends C-CANCEL: the row says cancelled, the slices that came stay; Retrieve again completes it.
 * The results table sorts by a clicked column header (aria-sort), and a second click reverses it.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared, repoRoot, sharedData } from '../support/paths';
import { freePort, hasOrthanc, Orthanc } from '../integration/dicomnet/orthanc';
import { waitAttr } from './viewer-helpers';

const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');

describe.skipIf(!hasShared || !hasOrthanc)('worklist room: search the PACS (C-FIND), retrieve (C-GET), outbox state (Chromium, Orthanc)', () => {
  let b: Bridge;
  let pacs: Orthanc;
  let ct: { uid: string; patientId: string; instances: number; description: string };
  const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-query-'));

  beforeAll(async () => {
    const port = await freePort();
    const dead = await freePort();
    pacs = await Orthanc.start({ inspector: { aet: 'INSPECTOR', host: '127.0.0.1', port } });
    let studyId = '';
    for (const f of readdirSync(SERIES).filter((n) => n.endsWith('.dcm'))) studyId = (await pacs.upload(join(SERIES, f))).ParentStudy;
    await pacs.upload(CR);
    const s = await pacs.get<{ MainDicomTags: Record<string, string>; PatientMainDicomTags: Record<string, string> }>(`/studies/${studyId}`);
    ct = {
      uid: s.MainDicomTags['StudyInstanceUID']!,
      patientId: s.PatientMainDicomTags['PatientID']!,
      description: s.MainDicomTags['StudyDescription'] ?? '',
      instances: (await pacs.get<unknown[]>(`/studies/${studyId}/instances`)).length,
    };
    writeFileSync(
      join(userDataDir, 'dicom.yaml'),
      [
        'ae_title: INSPECTOR',
        `port: ${port}`,
        'allow: [{ aet: TESTPACS, host: 127.0.0.1 }]',
        `query: { aet: TESTPACS, host: 127.0.0.1, port: ${pacs.dicom} }`,
        'auto_inspect: [{ when: { modality: CR }, pack: chest-xray-pneumonia }]',
        `send_results: [{ aet: DOWNPACS, host: 127.0.0.1, port: ${dead}, objects: [sr] }]`,
        `send_reviewed: { to: [{ aet: TESTPACS, host: 127.0.0.1, port: ${pacs.dicom} }] }`,
        'stable_seconds: 1',
        'retry_seconds: 600',
        'timeout_seconds: 5',
      ].join('\n'),
    );
    writeFileSync(join(userDataDir, 'settings.yaml'), 'dicom:\n  config: dicom.yaml\n');
    b = await openBridge({ userDataDir });
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await pacs?.stop();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  it('Cancel stops a running C-GET (C-CANCEL): the row says cancelled with the slices kept, which the inbox, history and worklist hold', async () => {
    expect((await b.host.dicom.startFromSettings()).state).toBe('listening');
    await b.page.getByTestId('view-worklist').click();
    const later = b.page.getByTestId('operator-later');
    if (await later.isVisible()) await later.click();
    await b.page.getByTestId('pacs-query').waitFor();
    await b.page.getByTestId('pacs-q-patientId').fill(ct.patientId);
    await b.page.getByTestId('pacs-search').click();
    await b.page.getByTestId('pacs-row').first().waitFor();
    // The radiographer presses Cancel as soon as the first slice is in (the node's own event says when).
    let clicked: Promise<void> | undefined;
    const off = b.host.dicom.subscribe((e) => {
      if (e.event === 'stored' && e.studyInstanceUid === ct.uid && !clicked) clicked = b.page.getByTestId('pacs-cancel').click();
    });
    await b.page.getByTestId('pacs-retrieve').click();
    const cancelled = b.page.getByTestId('pacs-cancelled');
    await cancelled.waitFor({ timeout: 60_000 });
    off();
    await clicked;
    expect(b.calls.filter((c) => c.channel === 'dicom.cancelRetrieve')).toEqual([{ channel: 'dicom.cancelRetrieve', ok: true }]);
    const kept = Number(await cancelled.getAttribute('data-arrived'));
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(ct.instances);
    expect(await cancelled.innerText()).toContain(`cancelled — kept ${kept} / ${ct.instances}`);
    // Not an error, and Retrieve is offered again (it completes the study: next test).
    expect(await b.page.getByTestId('pacs-error').count()).toBe(0);
    expect(await b.page.getByTestId('pacs-retrieve').isEnabled()).toBe(true);
    expect(b.host.history.get().db.prepare('SELECT count(*) FROM dicom_instances WHERE study_instance_uid = ?').pluck().get(ct.uid)).toBe(kept);
    const wl = b.page.locator(`[data-testid="worklist-row"][data-study="${ct.uid}"]`);
    await expect.poll(async () => (await wl.locator('td').nth(3).innerText()).trim(), { timeout: 10_000 }).toBe(`1 / ${kept}`);
    const { studies } = await b.host.handlers['dicom.worklist']({});
    const study = studies.find((s) => s.studyInstanceUid === ct.uid)!;
    expect(readdirSync(join(study.folder, readdirSync(study.folder)[0]!))).toHaveLength(kept);
    await b.screenshot('dicom-query-cancelled');
  }, 240_000);

  it('an empty search is refused; a patient search lists the study as the PACS has it; Retrieve brings all its slices by C-GET into the worklist', async () => {
    await b.page.getByTestId('pacs-q-patientId').fill('');
    await b.page.getByTestId('pacs-search').click();
    await waitAttr(b, 'pacs-error', 'data-code', /^DICOM_QUERY_EMPTY$/);

    await b.page.getByTestId('pacs-q-patientId').fill(ct.patientId);
    await b.page.getByTestId('pacs-search').click();
    const row = b.page.getByTestId('pacs-row');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.getAttribute('data-study')).toBe(ct.uid);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[2]).toBe(ct.description);
    expect(cells[4]).toBe(String(ct.instances));
    expect(await b.page.getByTestId('pacs-error').count()).toBe(0);
    await b.screenshot('dicom-query-results');

    await b.page.getByTestId('pacs-retrieve').click();
    await waitAttr(b, 'pacs-retrieved', 'data-arrived', new RegExp(`^${ct.instances}$`), 120_000);
    expect(await b.page.getByTestId('pacs-retrieved').innerText()).toContain('C-GET');
    // The study is a worklist row now, with the same counts, as any pushed study.
    const wl = b.page.locator(`[data-testid="worklist-row"][data-study="${ct.uid}"]`);
    await wl.waitFor();
    expect((await wl.locator('td').nth(3).innerText()).trim()).toBe(`1 / ${ct.instances}`);
    expect(await wl.locator('td').nth(4).innerText()).toBe('TESTPACS');
    const { studies } = await b.host.handlers['dicom.worklist']({});
    const study = studies.find((s) => s.studyInstanceUid === ct.uid)!;
    expect(study).toMatchObject({ instances: ct.instances, series: 1, patientId: ct.patientId, aiStatus: 'not-run', nodeStatus: 'received' });
    expect(readdirSync(join(study.folder, readdirSync(study.folder)[0]!))).toHaveLength(ct.instances);
    await b.screenshot('dicom-query-retrieved');
  }, 240_000);

  it('a CR found by modality, retrieved by C-GET in its JPEG 2000, inspected, and its SR waits for a down PACS: the room shows it and Retry now tries again', async () => {
    await b.page.getByTestId('pacs-q-patientId').fill('');
    await b.page.getByTestId('pacs-q-modality').fill('cr');
    await b.page.getByTestId('pacs-search').click();
    const row = b.page.locator('[data-testid="pacs-row"]');
    await b.page.locator('[data-testid="pacs-row"][data-study="1.3.6.1.4.1.5962.1.2.9.20040826185059.5457"]').waitFor();
    expect(await row.count()).toBe(1);
    // Orthanc 1.10 cannot transcode this J2K; our C-GET proposes J2K, so it comes as held.
    await b.page.getByTestId('pacs-retrieve').click();
    await waitAttr(b, 'pacs-retrieved', 'data-arrived', /^1$/, 60_000);
    expect(await b.page.getByTestId('pacs-error').count()).toBe(0);

    const cr = b.page.locator('[data-testid="worklist-row"][data-study="1.3.6.1.4.1.5962.1.2.9.20040826185059.5457"]');
    await cr.waitFor();
    // Auto-inspected (chest pack) and its SR queued for DOWNPACS, which does not answer.
    const outbox = cr.getByTestId('worklist-outbox');
    await expect.poll(async () => outbox.getAttribute('data-state'), { timeout: 120_000 }).toBe('pending');
    expect(await outbox.innerText()).toContain('DICOM_PEER_UNREACHABLE');
    const db = b.host.history.get().db;
    const attempts = () => db.prepare(`SELECT attempts FROM dicom_outbox WHERE destination LIKE '%DOWNPACS%'`).pluck().get() as number;
    expect(attempts()).toBe(1);
    await b.screenshot('dicom-query-outbox-pending');
    await outbox.getByTestId('worklist-retry').click();
    await expect.poll(attempts, { timeout: 30_000 }).toBe(2);
    expect(await outbox.getAttribute('data-state')).toBe('pending');

    // The radiographer accepts the AI result in the viewer: the VERIFIED SR goes to the PACS by itself (send_reviewed).
    await b.host.handlers['operator.create']({ id: 'lee.rt', name: 'Lee Radiographer', role: 'reviewer' });
    await b.host.handlers['operator.select']({ id: 'lee.rt' });
    await b.page.reload();
    await b.page.getByTestId('view-worklist').click();
    await b.page.locator('[data-testid="worklist-row"][data-study="1.3.6.1.4.1.5962.1.2.9.20040826185059.5457"]').getByTestId('worklist-open').click();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":0/, 60_000);
    await b.page.getByTestId('review-accept').click();
    await b.page.getByTestId('save-state').filter({ hasText: /Saved/ }).waitFor();
    const srInPacs = async () => (await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457', Modality: 'SR' } })).length;
    await expect.poll(srInPacs, { timeout: 30_000 }).toBe(1);
    const [srId] = await pacs.post<string[]>('/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457', Modality: 'SR' } });
    const tags = await pacs.get<Record<string, string>>(`/instances/${srId}/simplified-tags`);
    expect(tags['VerificationFlag']).toBe('VERIFIED');
    await b.page.getByTestId('view-worklist').click();
    const sent = b.page.locator('[data-testid="worklist-row"][data-study="1.3.6.1.4.1.5962.1.2.9.20040826185059.5457"]').getByTestId('worklist-outbox');
    await expect.poll(async () => sent.getAttribute('data-sent'), { timeout: 10_000 }).toBe('1');
    await b.screenshot('dicom-query-reviewed-sent');
  }, 240_000);

  it('the PACS results sort by a clicked header: images ascending, then descending (aria-sort), patient too', async () => {
    await b.page.getByTestId('view-worklist').click();
    await b.page.getByTestId('pacs-q-patientName').fill('*');
    await b.page.getByTestId('pacs-search').click();
    const rows = b.page.getByTestId('pacs-row');
    await expect.poll(async () => rows.count(), { timeout: 30_000 }).toBe(2);
    // The PACS's own counts: the CT's 28 and the CR study's (its image and the SR sent back above).
    const crUid = '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457';
    const crCount = (await pacs.instancesOfStudy(crUid)).length;
    expect(crCount).toBeLessThan(ct.instances);
    const order = async () => Promise.all((await rows.all()).map((r) => r.getAttribute('data-study')));
    const images = b.page.getByTestId('pacs-sort-images');
    expect(await images.getAttribute('aria-sort')).toBe('none');
    await images.getByRole('button').click();
    expect(await images.getAttribute('aria-sort')).toBe('ascending');
    expect(await order()).toEqual([crUid, ct.uid]);
    expect(await rows.first().locator('td').nth(4).innerText()).toBe(String(crCount));
    await images.getByRole('button').click();
    expect(await images.getAttribute('aria-sort')).toBe('descending');
    expect(await order()).toEqual([ct.uid, crUid]);
    expect(await rows.first().locator('td').nth(4).innerText()).toBe(String(ct.instances));
    // Another column takes over the sort: the images header is back to none.
    const patient = b.page.getByTestId('pacs-sort-patient');
    await patient.getByRole('button').click();
    expect(await patient.getAttribute('aria-sort')).toBe('ascending');
    expect(await images.getAttribute('aria-sort')).toBe('none');
    const names = await rows.locator('th').allInnerTexts();
    await patient.getByRole('button').click();
    expect(await rows.locator('th').allInnerTexts()).toEqual([...names].reverse());
    await b.screenshot('dicom-query-sorted');
  }, 120_000);
});
