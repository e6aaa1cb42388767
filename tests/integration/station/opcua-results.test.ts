/**
 * OPC 40100 ResultManagement: an MES back from an outage fetches the results it missed. Real
 * station process, real packs on dropped files, real mosquitto and REST; the MES is a node-opcua
 * client in its own process (resultsClient.ts). It pages through GetResultListFiltered, gets each
 * result with GetResultById and finds the exact JSON MQTT published plus the corrections REST
 * lists; after a SIGKILL and restart the old results still answer; an unknown id is BadNotFound
 * with Error -1; MaxResults is capped at 100; an anonymous session is refused.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { StationLedger } from '../../../src/core/station/ledger';
import type { StationResult } from '../../../src/core/station/result';
import { DEMO_VERDICTS, dropCell, hasMosquitto, runClientProcess, startStationProcess, stationWithMesPeers, stopStation, tempRoot, until, type Received } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const TOKEN = 'results-token-0123456789';

/** The out-of-process OPC UA MES (resultsClient.ts), run to its exit. */
const runClient = (env: Record<string, string>) => runClientProcess('resultsClient.ts', env, undefined, cleanup);

interface Page {
  status: string;
  isComplete: boolean;
  resultCount: number;
  handle: number;
  error: number;
  ids: string[];
  first: Record<string, unknown> | null;
}
interface ById {
  asked: string;
  status: string;
  handle: number;
  error: number;
  result: { resultId: { id: string }; partId: { id: string }; resultState: number; isPartial: boolean; creationTime: string; processingTimes: Record<string, unknown>; resultContent: string[] };
}
type Image = { view: string; runId: number; role?: string };

describe.skipIf(!hasMosquitto)('station → OPC UA ResultManagement (node-opcua MES in another process)', () => {
  it('lists and fetches every published result with its corrections, across a SIGKILL; unknown ids, the MaxResults cap, no anonymous session', { timeout: 600_000 }, async () => {
    const root = tempRoot('station-opcua-results');
    const { watch, cfg, restPort, env, mes, db } = await stationWithMesPeers({ root, cleanup, mesClientId: 'mes-results', mesPassword: 'mes-results-password', token: TOKEN });
    const published = (serial: string) => mes.results().find((m: Received) => m.json['serial'] === serial);
    const corrections = () => mes.got.filter((m) => m.topic === 'inspector/ST01/correction').map((m) => m.json);
    const rest = async (path: string) => (await fetch(`http://127.0.0.1:${restPort}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Promise<unknown>;
    const mesEnv = (endpoint: unknown, o: { page: number; get: string[]; part: string; user?: boolean }) => ({
      OPCUA_ENDPOINT: String(endpoint),
      OPCUA_PKI: join(root, 'mes-pki'),
      OPCUA_STATION: 'ST01',
      ...(o.user === false ? {} : { OPCUA_USER: 'mes', OPCUA_PASSWORD: env.MES_PASSWORD }),
      RESULTS_PAGE: String(o.page),
      RESULTS_GET: o.get.join(','),
      RESULTS_PART: o.part,
    });

    // 1. Three real cases published while the MES is away; a reviewer overrides RM-1's CT.
    let st = startStationProcess(cfg, db, env);
    cleanup.push(() => stopStation(st));
    let ready = await st.ready;
    const cells = { 'RM-1': 'cell-001', 'RM-2': 'cell-002', 'RM-3': 'cell-003' } as const;
    for (const [serial, cell] of Object.entries(cells)) dropCell(watch, cell, serial);
    const sent = new Map<string, Received>();
    for (const serial of Object.keys(cells)) sent.set(serial, await until(`${serial} on MQTT`, () => published(serial), 180_000, 5));
    for (const [serial, cell] of Object.entries(cells)) expect(sent.get(serial)!.json['verdict']).toBe(DEMO_VERDICTS[cell]);
    const idOf = (serial: string) => String(sent.get(serial)!.json['resultId']);
    const ids = Object.keys(cells).map(idOf);
    const store = HistoryStore.open(db);
    store.createOperator({ id: 'lee.s', name: 'Lee Seo-yeon', role: 'reviewer' });
    const ctRun = (r: Record<string, unknown>) => (r['images'] as Image[]).find((i) => i.view === 'ct' && !i.role)!.runId;
    const override = store.recordReview({ operatorId: 'lee.s', note: null, runId: ctRun(sent.get('RM-1')!.json), decision: 'override', label: 'porosity' });
    store.close();
    const correction = await until('RM-1 correction on MQTT', () => corrections().find((c) => c['reviewId'] === override), 30_000);
    expect(correction).toMatchObject({ resultId: idOf('RM-1'), originalVerdict: 'PASS', verdictChanged: true });
    expect(correction['correctedVerdict']).not.toBe('PASS');

    // 2. An anonymous session is refused (anonymous is off), as for TriggerInspection.
    const anon = await runClient(mesEnv(ready['opcua'], { page: 2, get: ids, part: 'RM-2', user: false }));
    expect(anon.code).toBe(1);
    expect(anon.lines.some((l) => l.step === 'connected')).toBe(true);
    expect(anon.lines.some((l) => l.step === 'session')).toBe(false);
    expect(anon.lines.some((l) => l.step === 'resultManagement')).toBe(false);

    // 3. The MES catches up: pages of 2 from index 0, then each result by id.
    const a = await runClient(mesEnv(ready['opcua'], { page: 2, get: ids, part: 'RM-2' }));
    expect(a.code, `${JSON.stringify(a.lines).slice(-3000)}\n${a.stderr.slice(-2000)}\nstation:\n${st.stderr.slice(-2000)}`).toBe(0);
    const step = (c: typeof a, s: string) => c.lines.find((l) => l.step === s)!;
    const pages = step(a, 'pages')['pages'] as Page[];
    expect(pages.map((p) => [p.status, p.resultCount, p.isComplete, p.error, p.handle])).toEqual([
      ['Good', 2, false, 0, 0],
      ['Good', 1, true, 0, 0],
    ]);
    expect(pages.flatMap((p) => p.ids).sort()).toEqual([...ids].sort());
    // List entries: the metadata, no content (GetResultById has it).
    const firstId = pages[0]!.ids[0]!;
    const firstSerial = Object.keys(cells).find((s) => idOf(s) === firstId)!;
    expect(pages[0]!.first).toMatchObject({ resultId: { id: firstId }, partId: { id: firstSerial }, resultState: 1, isPartial: false, creationTime: new Date(String(sent.get(firstSerial)!.json['createdAt'])).toISOString() });
    expect(pages[0]!.first!['resultContent'] ?? null).toBeNull();
    const bounded = step(a, 'bounded') as unknown as Record<'unlimited' | 'oversized', Page>;
    expect([bounded.unlimited.resultCount, bounded.unlimited.isComplete, bounded.oversized.resultCount, bounded.oversized.isComplete]).toEqual([3, true, 3, true]);
    const filtered = step(a, 'filtered') as unknown as Record<'byPart' | 'byJob' | 'aborted', Page>;
    expect(filtered.byPart.ids).toEqual([idOf('RM-2')]);
    expect([filtered.byJob.status, filtered.byJob.resultCount, filtered.byJob.isComplete]).toEqual(['Good', 0, true]);
    expect(filtered.aborted.resultCount).toBe(0);

    const byIdOf = (c: typeof a) => new Map((c.lines.filter((l) => l.step === 'byId') as unknown as ById[]).map((b) => [b.asked, b]));
    const before = byIdOf(a);
    expect([...before.keys()]).toEqual(ids);
    for (const serial of Object.keys(cells)) {
      const b = before.get(idOf(serial))!;
      const m = sent.get(serial)!;
      expect([b.status, b.error, b.handle]).toEqual(['Good', 0, 0]);
      expect(b.result).toMatchObject({ resultId: { id: idOf(serial) }, partId: { id: serial }, resultState: 1, isPartial: false, creationTime: new Date(String(m.json['createdAt'])).toISOString() });
      // Element 0: byte for byte what MQTT published; element 1: the corrections, as REST lists them.
      expect(b.result.resultContent[0]).toBe(m.payload);
      expect(JSON.parse(b.result.resultContent[1]!)).toEqual(await rest(`/inspections/${idOf(serial)}/corrections`));
    }
    const reviewed = JSON.parse(before.get(idOf('RM-1'))!.result.resultContent[1]!) as { currentVerdict: string; corrections: Record<string, unknown>[] };
    expect(reviewed.corrections).toEqual([correction]);
    expect(reviewed.currentVerdict).toBe(correction['correctedVerdict']);
    expect((JSON.parse(before.get(idOf('RM-2'))!.result.resultContent[1]!) as { corrections: unknown[] }).corrections).toEqual([]);
    const unknown = step(a, 'unknown');
    expect(unknown).toMatchObject({ status: 'BadNotFound', outputs: [0, null, -1], empty: 'BadInvalidArgument' });
    const components = step(a, 'components')['outputs'] as unknown[];
    expect(step(a, 'components')['status']).toBe('Good');
    expect(components).toHaveLength(17);
    expect(components[6]).toMatchObject({ id: Object.keys(cells)[0] }); // PartId
    expect(components[4]).toBe(1); // ResultState: Completed
    expect((components[15] as string[])[0]).toBe(sent.get('RM-1')!.payload); // ResultContent
    expect(components[16]).toBe(0); // Error
    expect(step(a, 'release')).toMatchObject({ found: false });

    // 4. SIGKILL. The history grows past the cap meanwhile: 120 copies of RM-3's recorded result
    // written through the ledger (as a long-running station's history would hold), not inspected.
    st.proc.kill('SIGKILL');
    await st.exited;
    const grow = HistoryStore.open(db);
    const ledger = new StationLedger(grow);
    const model = ledger.result(idOf('RM-3'))!;
    for (let i = 0; i < 120; i++) {
      const serial = `RM-X${String(i).padStart(3, '0')}`;
      const uid = createHash('sha256').update(`copy ${i} of ${model.caseUid}`).digest('hex');
      const copy: StationResult = { ...model, resultId: `${model.resultId}-copy-${i}`, caseUid: uid, serial, partId: serial, runIds: [] };
      ledger.insertCase(copy, [], []);
    }
    grow.close();

    // 5. Restarted: the old results answer the same; the list is capped at 100 whatever is asked.
    st = startStationProcess(cfg, db, env);
    ready = await st.ready;
    const b = await runClient(mesEnv(ready['opcua'], { page: 50, get: ids, part: 'RM-X007' }));
    expect(b.code, `${JSON.stringify(b.lines).slice(-3000)}\n${b.stderr.slice(-2000)}`).toBe(0);
    const after = byIdOf(b);
    for (const id of ids) expect(after.get(id)).toEqual(before.get(id));
    const bounded2 = step(b, 'bounded') as unknown as Record<'unlimited' | 'oversized', Page>;
    expect([bounded2.unlimited.resultCount, bounded2.unlimited.isComplete, bounded2.oversized.resultCount, bounded2.oversized.isComplete]).toEqual([100, false, 100, false]);
    const pages2 = step(b, 'pages')['pages'] as Page[];
    expect(pages2.map((p) => [p.resultCount, p.isComplete])).toEqual([
      [50, false],
      [50, false],
      [23, true],
    ]);
    const all = pages2.flatMap((p) => p.ids);
    expect(new Set(all).size).toBe(123);
    // Publication order: the three inspected results first, then the copies in the order written.
    expect(all.slice(0, 3).sort()).toEqual([...ids].sort());
    expect(all.slice(3)).toEqual(Array.from({ length: 120 }, (_, i) => `${model.resultId}-copy-${i}`));
    expect((step(b, 'filtered')['byPart'] as Page).ids).toEqual([`${model.resultId}-copy-7`]);
    expect(await stopStation(st)).toBe(0);
  });
});
