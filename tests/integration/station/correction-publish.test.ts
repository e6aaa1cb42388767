/**
 * A reviewer's override of a published verdict is published as a correction referencing the
 * original result (issue 14 item 7), carrying the corrected integrated verdict of the case: real
 * station process, real mosquitto, real packs, a node-opcua MES in its own process subscribed to
 * CorrectionEventType on the vision system object, and REST. An override of a PASS case to a
 * defect makes it a defect (NotOK, verdictChanged); an accept leaves it (verdictChanged false);
 * MQTT, OPC UA and REST carry the same message; after a SIGKILL the last correction is still on
 * OPC UA and a review recorded while the station was down is published once after its restart.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { bin, DEMO_VERDICTS, dropCell, hasMosquitto, sleep, startClientProcess, startStationProcess, stationWithMesPeers, stopStation, tempRoot, until, type Received } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const TOKEN = 'correction-token-0123456789';

/** The out-of-process OPC UA MES (correctionClient.ts), its JSON lines as they come. */
function startClient(env: Record<string, string>) {
  const c = startClientProcess('correctionClient.ts', env);
  cleanup.push(c.kill);
  return { lines: c.lines, exited: c.exited, stderr: c.stderr };
}

type Image = { view: string; runId: number; role?: string; decision: string };

describe.skipIf(!hasMosquitto)('station: a reviewer correction carries the corrected case verdict on MQTT, OPC UA and REST', () => {
  it('override PASS → defect, accept unchanged, supersede back; the same message everywhere, once, across a SIGKILL', { timeout: 600_000 }, async () => {
    const root = tempRoot('station-correction');
    const { watch, cfg, restPort, env, mes, db } = await stationWithMesPeers({ root, cleanup, mesClientId: 'mes-correction-pub', mesPassword: 'mes-secret-password', token: TOKEN });
    const result = (serial: string) => mes.results().find((m: Received) => m.json['serial'] === serial);
    const corrections = () => mes.got.filter((m) => m.topic === 'inspector/ST01/correction').map((m) => m.json);
    const rest = (path: string, auth = true) => fetch(`http://127.0.0.1:${restPort}${path}`, auth ? { headers: { authorization: `Bearer ${TOKEN}` } } : {});
    const opcEnv = (endpoint: unknown, pki: string, events: number) => ({ OPCUA_ENDPOINT: String(endpoint), OPCUA_PKI: join(root, pki), OPCUA_STATION: 'ST01', OPCUA_USER: 'mes', OPCUA_PASSWORD: env.MES_PASSWORD, CORRECTION_EVENTS: String(events), CORRECTION_TIMEOUT_MS: '120000' });
    const review = (r: { runId: number; decision: 'accept' | 'override' | 'reject'; label?: string; supersedes?: number }) => {
      const store = HistoryStore.open(db);
      try {
        return store.recordReview({ operatorId: 'lee.s', note: null, ...r });
      } finally {
        store.close();
      }
    };

    // 1. Two cases decided and published: CR-1 PASS, CR-2 INTERNAL_DEFECT.
    let st = startStationProcess(cfg, db, env);
    cleanup.push(() => stopStation(st));
    let ready = await st.ready;
    expect(DEMO_VERDICTS['cell-001']).toBe('PASS');
    dropCell(watch, 'cell-001', 'CR-1');
    dropCell(watch, 'cell-002', 'CR-2');
    const r1 = (await until('CR-1 result', () => result('CR-1'), 180_000, 5)).json;
    const r2 = (await until('CR-2 result', () => result('CR-2'), 180_000, 5)).json;
    expect(r1).toMatchObject({ verdict: 'PASS', evaluation: 'OK' });
    expect(r2).toMatchObject({ verdict: 'INTERNAL_DEFECT', evaluation: 'NotOK' });
    const ctRun = (r: Record<string, unknown>) => (r['images'] as Image[]).find((i) => i.view === 'ct' && !i.role)!.runId;

    // 2. A MES subscribes to correction events on the vision system object; a reviewer (another
    // process, as the desktop app) overrides CR-1's CT to a defect class and accepts CR-2's CT.
    const store = HistoryStore.open(db);
    store.createOperator({ id: 'lee.s', name: 'Lee Seo-yeon', role: 'reviewer' });
    store.close();
    const opcA = startClient(opcEnv(ready['opcua'], 'mes-pki-a', 2));
    const subA = await until('OPC UA client subscribed', () => opcA.lines.find((l) => l.step === 'subscribed' || l.step === 'error'), 60_000);
    expect(subA.step, opcA.stderr()).toBe('subscribed');
    expect(subA['correctionType']).toBeTruthy();
    expect(subA['lastCorrection']).toBeNull(); // nothing corrected yet
    const override1 = review({ runId: ctRun(r1), decision: 'override', label: 'porosity' });
    const c1 = await until('CR-1 correction', () => corrections().find((c) => c['reviewId'] === override1), 30_000);
    const accept2 = review({ runId: ctRun(r2), decision: 'accept' });
    const c2 = await until('CR-2 correction', () => corrections().find((c) => c['reviewId'] === accept2), 30_000);
    expect(c1).toEqual({
      schema: 'inspector.station.correction/1',
      correctionId: `ST01:review:${override1}`,
      resultId: r1['resultId'],
      station: 'ST01',
      line: 'L1',
      serial: 'CR-1',
      partId: 'CR-1',
      lot: null,
      originalVerdict: 'PASS',
      reviewId: override1,
      supersedesReviewId: null,
      runId: ctRun(r1),
      view: 'ct',
      file: 'CR-1_ct.png',
      decision: 'override',
      label: 'porosity',
      note: null,
      reviewer: 'lee.s',
      reviewedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      correctedVerdict: 'INTERNAL_DEFECT',
      correctedEvaluation: 'NotOK',
      verdictChanged: true,
      correctionBasis: 'reviewed',
      appliedReviewIds: [override1],
    });
    expect(c2).toMatchObject({ resultId: r2['resultId'], originalVerdict: 'INTERNAL_DEFECT', decision: 'accept', correctedVerdict: 'INTERNAL_DEFECT', correctedEvaluation: 'NotOK', verdictChanged: false, correctionBasis: 'unchanged' });

    // OPC UA: one CorrectionEventType event per correction, the same fields and JSON as MQTT.
    expect(await opcA.exited, opcA.stderr()).toBe(0);
    const evs = opcA.lines.filter((l) => l.step === 'event');
    expect(evs).toHaveLength(2);
    const ev1 = evs.find((e) => e['ResultId'] === r1['resultId'])!;
    expect(ev1).toMatchObject({
      source: 'ST01',
      CorrectionId: c1['correctionId'],
      PartId: 'CR-1',
      OriginalVerdict: 'PASS',
      CorrectedVerdict: 'INTERNAL_DEFECT',
      CorrectedEvaluation: 2,
      VerdictChanged: true,
      Reviewer: 'lee.s',
      ReviewedAt: c1['reviewedAt'],
      severity: 500,
    });
    expect(ev1['CorrectionContent']).toEqual(c1);
    const ev2 = evs.find((e) => e['ResultId'] === r2['resultId'])!;
    expect(ev2).toMatchObject({ CorrectedVerdict: 'INTERNAL_DEFECT', CorrectedEvaluation: 2, VerdictChanged: false, severity: 100 });
    expect(ev2['CorrectionContent']).toEqual(c2);
    const doneA = opcA.lines.find((l) => l.step === 'done')!;
    expect(doneA['lastCorrection']).toEqual(c2);
    expect(doneA['lastVerdict']).toBe('INTERNAL_DEFECT'); // CR-2's published verdict: a correction never rewrites the Last* result

    // REST: the same messages, and the case's current verdict; token required; coded 404.
    expect((await rest(`/inspections/${String(r1['resultId'])}/corrections`, false)).status).toBe(401);
    const got1 = await rest(`/inspections/${String(r1['resultId'])}/corrections`);
    expect(got1.status).toBe(200);
    expect(await got1.json()).toEqual({ resultId: r1['resultId'], originalVerdict: 'PASS', currentVerdict: 'INTERNAL_DEFECT', corrections: [c1] });
    expect(await (await rest(`/inspections/${String(r2['resultId'])}/corrections`)).json()).toEqual({ resultId: r2['resultId'], originalVerdict: 'INTERNAL_DEFECT', currentVerdict: 'INTERNAL_DEFECT', corrections: [c2] });
    const missing = await rest('/inspections/no-such-result/corrections');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('STATION_RESULT_NOT_FOUND');
    const spec = (await (await rest('/openapi.json')).json()) as { paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { properties: { corrections: { items: { properties: Record<string, unknown> } } } } }> }> } }> };
    const schema = spec.paths['/inspections/{id}/corrections']!.get.responses['200']!.content['application/json']!.schema;
    expect(Object.keys(schema.properties.corrections.items.properties)).toEqual(expect.arrayContaining(['resultId', 'correctedVerdict', 'correctedEvaluation', 'verdictChanged']));

    // 3. SIGKILL; restarted, OPC UA still has the last correction (rebuilt from the history).
    st.proc.kill('SIGKILL');
    await st.exited;
    st = startStationProcess(cfg, db, env);
    ready = await st.ready;
    const opcB = startClient(opcEnv(ready['opcua'], 'mes-pki-b', 1));
    const subB = await until('OPC UA client subscribed after restart', () => opcB.lines.find((l) => l.step === 'subscribed' || l.step === 'error'), 60_000);
    expect(subB.step, opcB.stderr()).toBe('subscribed');
    expect(subB['lastCorrection']).toEqual(c2);
    // The reviewer takes the override back (an accept superseding it): CR-1 is PASS again.
    const accept1 = review({ runId: ctRun(r1), decision: 'accept', supersedes: override1 });
    const c3 = await until('CR-1 second correction', () => corrections().find((c) => c['reviewId'] === accept1), 30_000);
    expect(c3).toMatchObject({ resultId: r1['resultId'], supersedesReviewId: override1, originalVerdict: 'PASS', correctedVerdict: 'PASS', correctedEvaluation: 'OK', verdictChanged: false, appliedReviewIds: [accept1] });
    expect(await opcB.exited, opcB.stderr()).toBe(0);
    const ev3 = opcB.lines.find((l) => l.step === 'event')!;
    expect(ev3).toMatchObject({ ResultId: r1['resultId'], CorrectedVerdict: 'PASS', CorrectedEvaluation: 1, VerdictChanged: false });
    expect(ev3['CorrectionContent']).toEqual(c3);

    // 4. A review recorded while the station is down (killed again) is published once after the
    // restart: CR-2's CT overruled ("normal") leaves its surface view, a pass — CR-2 is PASS.
    st.proc.kill('SIGKILL');
    await st.exited;
    const override2 = review({ runId: ctRun(r2), decision: 'override', label: 'normal', supersedes: accept2 });
    st = startStationProcess(cfg, db, env);
    await st.ready;
    const c4 = await until('CR-2 correction after the restart', () => corrections().find((c) => c['reviewId'] === override2), 30_000);
    expect((r2['images'] as Image[]).find((i) => i.view === 'surface' && !i.role)!.decision).toBe('pass');
    expect(c4).toMatchObject({ resultId: r2['resultId'], originalVerdict: 'INTERNAL_DEFECT', correctedVerdict: 'PASS', correctedEvaluation: 'OK', verdictChanged: true, supersedesReviewId: accept2 });
    expect(await (await rest(`/inspections/${String(r2['resultId'])}/corrections`)).json()).toEqual({ resultId: r2['resultId'], originalVerdict: 'INTERNAL_DEFECT', currentVerdict: 'PASS', corrections: [c2, c4] });
    await sleep(2500); // a second poll would publish a repeat now
    expect(corrections().map((c) => c['reviewId'])).toEqual([override1, accept2, accept1, override2]);
    // The published results themselves never change.
    expect(((await (await rest(`/inspections/${String(r2['resultId'])}`)).json()) as { verdict: string }).verdict).toBe('INTERNAL_DEFECT');
    expect(await stopStation(st)).toBe(0);
    const verify = spawnSync(process.execPath, [bin, 'audit', 'verify', '--db', db], { cwd: repoRoot, encoding: 'utf8' });
    expect(verify.stdout).toMatch(/^OK/);
  });
});
