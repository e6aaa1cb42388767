/**
 * Exactly once, the hard way: the station process is SIGKILLed mid-stream and restarted on the same
 * history and folder (files kept in place), and later the broker is stopped for a while and
 * restarted. The MES subscriber (persistent session) must see every case, each under one result id
 * and verdict (a QoS 1 redelivery of the message in flight at the kill is the only repeat allowed),
 * the history must hold each image's run exactly once, and the audit chain must verify.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';
import { bin, Broker, DEMO_VERDICTS, dropCell, hasMosquitto, sleep, startStationProcess, stationYaml, stopStation, subscriber, tempRoot, until } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const cells = Object.keys(DEMO_VERDICTS);
const serialOf = (i: number) => `K-${String(i).padStart(2, '0')}`;
const expected = (i: number) => DEMO_VERDICTS[cells[i % cells.length]!]!;

describe.skipIf(!hasMosquitto)('station: exactly once across kill -9 and broker outages', () => {
  it('publishes every case once and records every image once', { timeout: 600_000 }, async () => {
    const root = tempRoot('station-once');
    const broker = await Broker.start(root);
    cleanup.push(() => broker.down());
    const watch = join(root, 'incoming');
    mkdirSync(watch, { recursive: true });
    const cfg = join(root, 'station.yaml');
    writeFileSync(cfg, stationYaml({ watchDir: watch, mqttUrl: broker.url, settleMs: 200, caseTimeoutMs: 5000, after: 'keep' }));
    const mes = await subscriber(broker.url, 'inspector/ST01/result', 'mes-exactly-once');
    cleanup.push(() => mes.client.endAsync());
    const db = join(root, 'history.sqlite');

    // 1. Kill -9 mid-stream.
    const N1 = 12;
    let st = startStationProcess(cfg, db);
    cleanup.push(() => stopStation(st));
    await st.ready;
    for (let i = 0; i < N1; i++) dropCell(watch, cells[i % cells.length]!, serialOf(i));
    await until('a few results before the kill', () => mes.results().length >= 3, 90_000, 5);
    st.proc.kill('SIGKILL');
    await st.exited;
    const atKill = mes.results().length;
    expect(atKill).toBeLessThan(N1); // it really was mid-stream

    st = startStationProcess(cfg, db);
    await st.ready;
    await until(`${N1} results after the restart`, () => mes.results().length >= N1, 120_000);
    await sleep(1500);

    // 2. Broker outage: stopped, cases arrive meanwhile, broker back.
    await broker.down();
    const N2 = 4;
    for (let i = N1; i < N1 + N2; i++) dropCell(watch, cells[i % cells.length]!, serialOf(i));
    const h = new Database(db, { readonly: true });
    // MQTT messages not acknowledged yet; `pending` adds the station's own findings still to run.
    const unsent = () => (h.prepare("SELECT count(*) AS n FROM station_outbox WHERE sent_at IS NULL AND channel = 'mqtt'").get() as { n: number }).n;
    const pending = () => (h.prepare('SELECT count(*) AS n FROM station_outbox WHERE sent_at IS NULL').get() as { n: number }).n;
    await until('cases recorded while the broker is down', () => unsent() >= N2, 150_000);
    await sleep(1000);
    await broker.up();
    await until(`${N1 + N2} results after the broker is back`, () => mes.results().length >= N1 + N2, 150_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; got ${mes.results().length}, unsent ${unsent()}\nstation:\n${st.stderr.slice(-3000)}\nbroker:\n${broker.log.slice(-2000)}`);
    });
    await sleep(2000);

    const results = mes.results().map((m) => m.json);
    // Every case published, each under ONE result id with one verdict: inspected and recorded once.
    const idsBySerial = new Map<string, Set<unknown>>();
    for (const r of results) idsBySerial.set(String(r['serial']), (idsBySerial.get(String(r['serial'])) ?? new Set()).add(r['resultId']));
    expect([...idsBySerial.keys()].sort()).toEqual(Array.from({ length: N1 + N2 }, (_, i) => serialOf(i)).sort());
    for (const ids of idsBySerial.values()) expect(ids.size).toBe(1);
    for (const r of results) expect(r['verdict']).toBe(expected(Number(String(r['serial']).slice(2))));
    // MQTT QoS 1 is at-least-once: only the one message whose PUBACK the kill interrupted may come
    // again (same resultId, for the MES to drop). The broker outage itself repeats nothing.
    expect(results.length - (N1 + N2)).toBeLessThanOrEqual(1);
    const afterOutage = results.slice(-N2).map((r) => r['serial']);
    expect(new Set(afterOutage).size).toBe(N2);

    // Findings run after each decision is published (docs/STATION.md, "Decision first"), including
    // those a kill interrupted (resumed at the restart): wait for the last of them.
    await until('every case\'s findings recorded', () => pending() === 0, 120_000);
    const count = (sql: string) => (h.prepare(sql).get() as { n: number }).n;
    expect(count('SELECT count(*) AS n FROM station_cases')).toBe(N1 + N2);
    // No image inspected into the history twice: two views per case, each by its side's pack and
    // by the line-demo's grounding pack (findings), once — none lost to the kill either.
    expect(count('SELECT count(*) AS n FROM inference_runs')).toBe(2 * 2 * (N1 + N2));
    // The battery pack's map of each case's CT run, drawn after the publish: once per run, none lost.
    expect(count('SELECT count(*) AS n FROM run_explanations')).toBe(N1 + N2);
    expect(count('SELECT count(DISTINCT run_id) AS n FROM run_explanations')).toBe(N1 + N2);
    expect(count('SELECT count(*) AS n FROM station_outbox WHERE sent_at IS NULL')).toBe(0);
    expect(unsent()).toBe(0);
    h.close();

    // The broker kept the MES's session across its restart (persistence really written): the
    // subscriber's reconnect found it. Without it the subscription is gone until mqtt.js resubscribes,
    // and the station's resends in between are acknowledged and dropped by the broker — the cause of
    // the rare "two short, outbox empty" runs (a root-started mosquitto could not write its database).
    expect(mes.sessionPresent.at(-1)).toBe(true);
    expect(broker.log).not.toMatch(/Error saving/);

    expect(await stopStation(st)).toBe(0);
    const verify = spawnSync(process.execPath, [bin, 'audit', 'verify', '--db', db], { cwd: repoRoot, encoding: 'utf8' });
    expect(verify.stdout).toMatch(/^OK/);
  });
});
