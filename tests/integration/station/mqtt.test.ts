/**
 * A station on the line, end to end with real peers: files dropped into its hot folder (one written
 * slowly in pieces, one corrupt, one case missing a view) give exactly one MQTT result per case from
 * Debian's mosquitto, with the verdicts `inspector batch` gives for the same images, INCOMPLETE where
 * a view is missing or unreadable, retained last verdict and birth/LWT state, and every case in the
 * history under the station's id with a verifying audit chain; a reviewer's override is published
 * once as a correction naming the original result, with the case verdict it leaves.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { bin, Broker, DEMO_VERDICTS, dropCell, hasMosquitto, lineDemo, sleep, startStationProcess, stationYaml, stopStation, subscriber, tempRoot, until } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

describe.skipIf(!hasMosquitto)('station → MQTT (mosquitto on loopback)', () => {
  if (!hasMosquitto) console.warn('skipped: /usr/sbin/mosquitto is not installed (apt-get install mosquitto)');

  it('publishes one result per case with the batch verdicts; INCOMPLETE for missing or corrupt views', async () => {
    const root = tempRoot('station-mqtt');
    const broker = await Broker.start(root);
    cleanup.push(() => broker.down());
    const watch = join(root, 'incoming');
    const done = join(root, 'done');
    mkdirSync(watch, { recursive: true });
    const cfg = join(root, 'station.yaml');
    writeFileSync(cfg, stationYaml({ watchDir: watch, mqttUrl: broker.url, settleMs: 400, caseTimeoutMs: 2500, after: `move:${done}` }));
    const mes = await subscriber(broker.url, 'inspector/ST01/#');
    cleanup.push(() => mes.client.endAsync());

    const db = join(root, 'history.sqlite');
    const st = startStationProcess(cfg, db);
    cleanup.push(() => stopStation(st));
    await st.ready;
    await until('birth message', () => mes.got.find((m) => m.topic === 'inspector/ST01/state' && m.json['state'] === 'online'));

    // Traceability the file name does not carry comes from a sidecar written before the images.
    writeFileSync(join(watch, 'SN-1.json'), JSON.stringify({ lot: 'LOT-7', partId: 'PN-0001' }));
    writeFileSync(join(watch, 'SN-8.json'), '{"lot": ');
    for (const [i, cell] of Object.keys(DEMO_VERDICTS).entries()) dropCell(watch, cell, `SN-${i + 1}`);
    dropCell(watch, 'cell-001', 'SN-8');
    // Slow writer: the CT view of SN-5 is written in 6 pieces over ~1.2 s (settle 400 ms); read half, it would not decode.
    dropCell(watch, 'cell-002', 'SN-5', ['surface']);
    const bytes = readFileSync(join(lineDemo, 'cell-002_ct.png'));
    const fd = openSync(join(watch, 'SN-5_ct.png'), 'w');
    for (let k = 0; k < 6; k++) {
      writeSync(fd, bytes.subarray(Math.floor((k * bytes.length) / 6), Math.floor(((k + 1) * bytes.length) / 6)));
      await sleep(220);
    }
    closeSync(fd);
    // Corrupt CT image (a truncated PNG) with a good surface photo; and a case whose surface never comes.
    writeFileSync(join(watch, 'SN-6_ct.png'), bytes.subarray(0, 300));
    dropCell(watch, 'cell-001', 'SN-6', ['surface']);
    dropCell(watch, 'cell-003', 'SN-7', ['ct']);

    const results = await until('8 results', () => (mes.results().length >= 8 ? mes.results() : null), 90_000);
    await sleep(1500); // anything extra would arrive now
    const byserial = new Map<string, Record<string, unknown>[]>();
    for (const m of mes.results()) byserial.set(String(m.json['serial']), [...(byserial.get(String(m.json['serial'])) ?? []), m.json]);
    expect([...byserial.keys()].sort()).toEqual(['SN-1', 'SN-2', 'SN-3', 'SN-4', 'SN-5', 'SN-6', 'SN-7', 'SN-8']);
    for (const list of byserial.values()) expect(list).toHaveLength(1);
    const v = (s: string) => byserial.get(s)![0]!;
    expect(v('SN-1')['verdict']).toBe(DEMO_VERDICTS['cell-001']);
    expect(v('SN-2')['verdict']).toBe(DEMO_VERDICTS['cell-002']);
    expect(v('SN-3')['verdict']).toBe(DEMO_VERDICTS['cell-003']);
    expect(v('SN-4')['verdict']).toBe(DEMO_VERDICTS['cell-004']);
    expect(v('SN-5')['verdict']).toBe('INTERNAL_DEFECT'); // the slowly written cell-002 CT, read whole
    expect(v('SN-6')).toMatchObject({ verdict: 'INCOMPLETE', evaluation: 'NotDecidable' });
    expect((v('SN-6')['reasons'] as { code: string }[]).map((r) => r.code).join()).toMatch(/IMAGE_/);
    expect(v('SN-7')).toMatchObject({ verdict: 'INCOMPLETE', views: { expected: ['ct', 'surface'], missing: ['surface'] } });
    expect((v('SN-7')['reasons'] as { code: string }[])[0]!.code).toBe('STATION_VIEW_MISSING');
    expect(v('SN-1')).toMatchObject({ station: 'ST01', line: 'L1', partId: 'PN-0001', lot: 'LOT-7', evaluation: 'OK', trigger: 'folder' });
    expect(v('SN-2')).toMatchObject({ partId: 'SN-2', lot: null });
    // A malformed sidecar is a coded reason, never silently dropped traceability.
    expect(v('SN-8')).toMatchObject({ verdict: 'INCOMPLETE', reasons: [{ code: 'STATION_SIDECAR_INVALID' }] });
    expect(v('SN-2')['evaluation']).toBe('NotOK');
    const sn4 = v('SN-4') as { resultId: string; images: { view: string; runId: number; decision: string; role?: string; pack: { name: string } }[]; packs: { name: string; version: string; manifestSha256: string }[]; runIds: number[] };
    // Decision first: the result carries the runs that decide, one per view (its side's pack)…
    expect(sn4.images.map((i) => i.view).sort()).toEqual(['ct', 'surface']);
    for (const i of sn4.images) expect(i.role).toBeUndefined();
    expect(sn4.packs.map((p) => p.name).sort()).toEqual(['battery-ct-porosity', 'surface-pitting-ae']);
    for (const p of sn4.packs) expect(p.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sn4.runIds).toHaveLength(2);
    // …and the line-demo's grounding findings follow on <topic>/findings, naming the result. A
    // findings run never reads as a defect call to the MES: role "findings", decision found / none.
    const f4 = await until('SN-4 findings', () => mes.got.find((m) => m.topic === 'inspector/ST01/findings' && m.json['resultId'] === sn4.resultId));
    const findings = (f4.json as { images: { view: string; role?: string; decision: string; runId: number; pack: { name: string } }[] }).images;
    expect(findings.map((i) => i.view).sort()).toEqual(['ct', 'surface']);
    for (const f of findings) {
      expect(f.pack.name).toBe('defects-grounding');
      expect(f.role).toBe('findings');
      expect(['found', 'none']).toContain(f.decision);
      expect(sn4.runIds).not.toContain(f.runId);
    }
    expect(f4.json).toMatchObject({ schema: 'inspector.station.findings/1', serial: 'SN-4', verdict: DEMO_VERDICTS['cell-004'] });
    // One findings message per case with images (SN-1..8), each once.
    await until('8 findings messages', () => mes.got.filter((m) => m.topic === 'inspector/ST01/findings').length >= 8, 90_000);
    expect(new Set(mes.got.filter((m) => m.topic === 'inspector/ST01/findings').map((m) => m.json['resultId'])).size).toBe(8);
    expect(new Set(results.map((m) => m.json['resultId'])).size).toBe(8);
    // Queue depth is published: it rose while cases waited and is back to 0.
    const depths = mes.got.filter((m) => m.topic === 'inspector/ST01/queue').map((m) => Number(m.json['depth']));
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(1);
    await until('queue drained', () => mes.got.filter((m) => m.topic === 'inspector/ST01/queue').at(-1)?.json['depth'] === 0);

    // Retained last verdict and the birth state reach a subscriber that connects afterwards.
    const late = await subscriber(broker.url, 'inspector/ST01/+');
    cleanup.push(() => late.client.endAsync());
    await until('retained last and state', () => late.got.some((m) => m.topic.endsWith('/last') && m.retain) && late.got.some((m) => m.topic.endsWith('/state') && m.retain));
    const last = late.got.find((m) => m.topic.endsWith('/last'))!;
    expect(mes.results().map((m) => m.json['resultId'])).toContain(last.json['resultId']);

    // after: move — consumed files left the hot folder, except nothing (every case was recorded).
    await until('files moved', () => readdirSync(watch).length === 0);
    expect(readdirSync(done).sort()).toHaveLength(13 + 2 + 2); // images + SN-8's images + both sidecars

    // The history holds every case under the station, with runs for each decoded image.
    const h = new Database(db, { readonly: true });
    const runs = h.prepare("SELECT count(*) AS n FROM inference_runs r JOIN cases c ON c.id = r.case_id WHERE c.station = 'ST01' AND c.line = 'L1'").get() as { n: number };
    // SN-1..5 both views, SN-6 surface, SN-7 ct, SN-8 both; each view twice: its side's pack and the line-demo's grounding pack (findings)
    expect(runs.n).toBe(2 * (2 * 5 + 1 + 1 + 2));
    expect((h.prepare('SELECT count(*) AS n FROM station_cases').get() as { n: number }).n).toBe(8);
    expect((h.prepare('SELECT count(*) AS n FROM station_outbox WHERE sent_at IS NULL').get() as { n: number }).n).toBe(0);
    // The corrupt view, once per pack that tried it (its side's and the grounding pack).
    expect((h.prepare('SELECT count(*) AS n FROM errors').get() as { n: number }).n).toBe(2);
    h.close();

    // A reviewer (another process: here this test, as the desktop app would) overrides SN-2's CT run:
    // the station publishes one correction naming the original result; the result itself stays.
    const reviewer = HistoryStore.open(db);
    reviewer.createOperator({ id: 'lee.s', name: 'Lee Seo-yeon', role: 'reviewer' });
    const sn2 = v('SN-2') as { resultId: string; images: { view: string; runId: number; role?: string }[] };
    const ctRun = sn2.images.find((i) => i.view === 'ct' && !i.role)!.runId;
    const reviewId = reviewer.recordReview({ runId: ctRun, operatorId: 'lee.s', decision: 'override', label: 'normal', note: 'void is a fixture artefact' });
    reviewer.close();
    const correction = await until('correction', () => mes.got.find((m) => m.topic === 'inspector/ST01/correction'), 30_000);
    expect(correction.json).toMatchObject({
      schema: 'inspector.station.correction/1',
      resultId: sn2.resultId,
      serial: 'SN-2',
      originalVerdict: 'INTERNAL_DEFECT',
      reviewId,
      runId: ctRun,
      view: 'ct',
      decision: 'override',
      label: 'normal',
      reviewer: 'lee.s',
      // The CT overruled, SN-2's surface view (a pass) decides: the case is PASS after the review.
      correctedVerdict: 'PASS',
      correctedEvaluation: 'OK',
      verdictChanged: true,
      appliedReviewIds: [reviewId],
    });
    await sleep(2500);
    expect(mes.got.filter((m) => m.topic === 'inspector/ST01/correction')).toHaveLength(1);

    // A clean stop publishes "offline" on purpose.
    expect(await stopStation(st)).toBe(0);
    await until('offline state', () => mes.got.find((m) => m.topic.endsWith('/state') && m.json['state'] === 'offline'));
    const verify = spawnSync(process.execPath, [bin, 'audit', 'verify', '--db', db], { cwd: repoRoot, encoding: 'utf8' });
    expect(verify.stdout).toMatch(/^OK/);
    expect(existsSync(db)).toBe(true);
  }, 180_000);
});
