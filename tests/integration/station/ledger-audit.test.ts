/**
 * Issue 12 item 5 on the real station: a station process (the shipped line-demo packs, Debian's
 * mosquitto on a random loopback port) inspects cases, keeps its messages through a broker outage
 * and resends them; afterwards `inspector audit verify` passes with the station ledger checked, and
 * an edit of the result message the Line room lists (a defect shown as PASS) fails it, naming the
 * table and the case.
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

const verifyCli = (db: string) => {
  const r = spawnSync(process.execPath, [bin, 'audit', 'verify', '--db', db, '--json'], { cwd: repoRoot, encoding: 'utf8' });
  return { status: r.status, report: JSON.parse(r.stdout) as { ok: boolean; derived?: string[]; firstBreak: { code: string; entity?: string; entityId?: string } | null } };
};

describe.skipIf(!hasMosquitto)('station: audit verify covers what the Line room shows', () => {
  it('cases, findings and resends after a broker outage verify; an edited result message does not', { timeout: 300_000 }, async () => {
    const root = tempRoot('station-ledger-audit');
    const broker = await Broker.start(root);
    cleanup.push(() => broker.down());
    const watch = join(root, 'incoming');
    mkdirSync(watch, { recursive: true });
    const cfg = join(root, 'station.yaml');
    writeFileSync(cfg, stationYaml({ watchDir: watch, mqttUrl: broker.url, settleMs: 200, caseTimeoutMs: 5000, after: 'keep' }));
    const mes = await subscriber(broker.url, 'inspector/ST01/result', 'mes-ledger-audit');
    cleanup.push(() => mes.client.endAsync());
    const db = join(root, 'history.sqlite');
    const st = startStationProcess(cfg, db);
    cleanup.push(() => stopStation(st));
    await st.ready;

    dropCell(watch, 'cell-001', 'A-1');
    dropCell(watch, 'cell-002', 'A-2');
    await until('two results', () => mes.results().length >= 2, 120_000);
    // Broker down: the next case's message waits in the outbox (unsent), then is resent.
    await broker.down();
    dropCell(watch, 'cell-004', 'A-3');
    const h = new Database(db, { readonly: true });
    const unsent = () => h.prepare("SELECT count(*) FROM station_outbox WHERE sent_at IS NULL AND channel = 'mqtt'").pluck().get() as number;
    await until('a message held while the broker is down', () => unsent() >= 1, 120_000);
    await broker.up();
    await until('three results', () => mes.results().length >= 3, 120_000);
    await until('every message and findings row done', () => (h.prepare('SELECT count(*) FROM station_outbox WHERE sent_at IS NULL').pluck().get() as number) === 0, 120_000);
    await sleep(500);
    const defect = h.prepare("SELECT uid FROM station_cases WHERE serial = 'A-2'").pluck().get() as string;
    h.close();
    expect(await stopStation(st)).toBe(0);
    expect(mes.results().map((m) => m.json['verdict'])).toEqual(expect.arrayContaining([DEMO_VERDICTS['cell-001'], DEMO_VERDICTS['cell-002'], DEMO_VERDICTS['cell-004']]));

    const clean = verifyCli(db);
    expect(clean.report.firstBreak).toBeNull();
    expect(clean.status).toBe(0);
    expect(clean.report.derived).toEqual(expect.arrayContaining(['station_cases', 'station_files', 'station_runs', 'station_outbox']));

    // The defect shown as PASS in the Line room (and answered so over REST).
    const w = new Database(db);
    const msg = JSON.parse(w.prepare('SELECT message FROM station_cases WHERE uid = ?').pluck().get(defect) as string) as Record<string, unknown>;
    w.prepare(`UPDATE station_cases SET verdict = 'PASS', evaluation = 'OK', message = ? WHERE uid = ?`).run(JSON.stringify({ ...msg, verdict: 'PASS', evaluation: 'OK' }), defect);
    w.close();
    const broken = verifyCli(db);
    expect(broken.status).toBe(1);
    expect(broken.report.firstBreak).toMatchObject({ code: 'AUDIT_DERIVED_MISMATCH', entity: 'station_cases', entityId: defect });
  });
});
