/**
 * The REST channel of a running station process: loopback, bearer token on everything but /health,
 * an OpenAPI spec, POST /inspections with idempotency keys (same key + body → same result, another
 * body → 409), files outside the watched folders refused, and the result readable by id and by time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_VERDICTS, dropCell, freePort, lineDemo, startStationProcess, stationYaml, stopStation, tempRoot } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const TOKEN = 'test-token-0123456789abcdef';

describe('station → REST', () => {
  it('serves inspections with token auth and idempotency keys', async () => {
    const root = tempRoot('station-rest');
    const watch = join(root, 'incoming');
    const staging = join(root, 'staging');
    mkdirSync(staging, { recursive: true });
    mkdirSync(watch, { recursive: true });
    const port = await freePort();
    const cfg = join(root, 'station.yaml');
    // A long settle: the hot folder would take the files only after 60 s, so only REST inspects them here.
    writeFileSync(cfg, stationYaml({ watchDir: watch, settleMs: 60_000, extra: `  rest: { port: ${port} }` }));
    const db = join(root, 'history.sqlite');
    const st = startStationProcess(cfg, db, { INSPECTOR_STATION_TOKEN: TOKEN });
    cleanup.push(() => stopStation(st));
    const ready = await st.ready;
    const base = String(ready['rest']);
    expect(base).toBe(`http://127.0.0.1:${port}`);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const json = { 'content-type': 'application/json' };

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ station: 'ST01', line: 'L1', state: 'Ready', queueDepth: 0 });

    const noToken = await fetch(`${base}/cases`);
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ code: 'STATION_REST_UNAUTHORIZED' });
    expect((await fetch(`${base}/cases`, { headers: { authorization: 'Bearer wrong-token-0123456789ab' } })).status).toBe(401);

    const spec = (await (await fetch(`${base}/openapi.json`, { headers: auth })).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths).sort()).toEqual(['/cases', '/health', '/inspections', '/inspections/{id}', '/inspections/{id}/corrections', '/inspections/{id}/explanation', '/inspections/{id}/explanation/map.png']);

    const files = dropCell(watch, 'cell-004', 'R-1');
    const post = (body: unknown, key?: string) =>
      fetch(`${base}/inspections`, { method: 'POST', headers: { ...auth, ...json, ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body) });
    const first = await post({ paths: files }, 'order-42');
    expect(first.status).toBe(200);
    const r1 = (await first.json()) as Record<string, unknown>;
    expect(r1).toMatchObject({ serial: 'R-1', verdict: DEMO_VERDICTS['cell-004'], evaluation: 'NotOK', trigger: 'rest', station: 'ST01' });

    const again = (await (await post({ paths: files }, 'order-42')).json()) as Record<string, unknown>;
    expect(again['resultId']).toBe(r1['resultId']);
    const other = await post({ paths: [files[0]] }, 'order-42');
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ code: 'STATION_IDEMPOTENCY_MISMATCH' });

    // Same files without a key: the history already has this case, so the same result (not a second one).
    const nokey = (await (await post({ paths: files })).json()) as Record<string, unknown>;
    expect(nokey['resultId']).toBe(r1['resultId']);

    const outside = await post({ paths: [join(lineDemo, 'cell-001_ct.png')] });
    expect(outside.status).toBe(403);
    expect(await outside.json()).toMatchObject({ code: 'STATION_PATH_NOT_ALLOWED' });
    const badBody = await post({ path: 'x' });
    expect(badBody.status).toBe(400);

    const byId = (await (await fetch(`${base}/inspections/${String(r1['resultId'])}`, { headers: auth })).json()) as Record<string, unknown>;
    expect(byId).toEqual(r1);
    expect((await fetch(`${base}/inspections/nope`, { headers: auth })).status).toBe(404);
    const cases = (await (await fetch(`${base}/cases?since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`, { headers: auth })).json()) as { cases: { resultId: string }[] };
    expect(cases.cases.map((c) => c.resultId)).toEqual([r1['resultId']]);
    expect((await fetch(`${base}/cases?since=${Date.now() + 60_000}`, { headers: auth }).then((r) => r.json())) as unknown).toEqual({ cases: [] });
    expect((await fetch(`${base}/cases?since=yesterday`, { headers: auth })).status).toBe(400);

    expect(await stopStation(st)).toBe(0);
    const h = new Database(db, { readonly: true });
    expect(h.prepare('SELECT count(*) FROM station_cases').pluck().get()).toBe(1);
    // Two views, each by its side's pack and by the line-demo's grounding pack (findings).
    expect(h.prepare('SELECT count(*) FROM inference_runs').pluck().get()).toBe(4);
    h.close();
  }, 120_000);

  it('refuses to start REST without a token', async () => {
    const root = tempRoot('station-rest-notoken');
    const cfg = join(root, 'station.yaml');
    writeFileSync(cfg, stationYaml({ watchDir: join(root, 'in'), extra: `  rest: { port: ${await freePort()} }` }));
    const st = startStationProcess(cfg, join(root, 'h.sqlite'), { INSPECTOR_STATION_TOKEN: '' });
    await expect(st.ready).rejects.toThrow(/STATION_REST_NO_TOKEN/);
    expect(await st.exited).toBe(1);
  }, 60_000);
});
