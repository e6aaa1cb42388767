/**
 * POST /inspections with an upload, against a running station process: multipart (one part per
 * view) and a raw image body are written into the station's own spool in its data folder (never a
 * client-named path), size-limited (413), and inspected exactly once — the same Idempotency-Key
 * (even two requests at once) or the same images without a key give the same result and no new
 * inference runs; the same key with other images is 409. A refused upload leaves nothing behind.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_VERDICTS, freePort, lineDemo, startStationProcess, stationYaml, stopStation, tempRoot } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const TOKEN = 'upload-token-0123456789abcdef';
const demo = (cell: string, view: 'ct' | 'surface') => readFileSync(join(lineDemo, `${cell}_${view}.${view === 'ct' ? 'png' : 'jpg'}`));

describe('station → REST uploads', () => {
  it('spools multipart and raw uploads in the data folder and inspects each case exactly once', async () => {
    const root = tempRoot('station-upload');
    const watch = join(root, 'incoming');
    const cfg = join(root, 'station.yaml');
    writeFileSync(cfg, stationYaml({ watchDir: watch, settleMs: 60_000, extra: `  rest: { port: ${await freePort()}, upload_max_mb: 1 }` }));
    const db = join(root, 'history.sqlite');
    const st = startStationProcess(cfg, db, { INSPECTOR_STATION_TOKEN: TOKEN });
    cleanup.push(() => stopStation(st));
    const base = String((await st.ready)['rest']);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const spool = join(root, 'spool', 'ST01');
    const h = new Database(db, { readonly: true });
    // Runs of the packs that decide (the line-demo's grounding findings run beside each view as well).
    const runs = () => h.prepare("SELECT count(*) FROM inference_runs WHERE pack_name != 'defects-grounding'").pluck().get() as number;
    const caseDirs = () => (existsSync(spool) ? readdirSync(spool) : []);

    const form = (cell: string, serial: string, lot?: string, ctName = `${cell}_ct.png`) => {
      const f = new FormData();
      f.append('serial', serial);
      if (lot) f.append('lot', lot);
      f.append('ct', new Blob([demo(cell, 'ct')], { type: 'image/png' }), ctName);
      f.append('surface', new Blob([demo(cell, 'surface')], { type: 'image/jpeg' }), `${cell}_surface.jpg`);
      return f;
    };
    const postForm = (f: FormData, key?: string) => fetch(`${base}/inspections`, { method: 'POST', headers: { ...auth, ...(key ? { 'idempotency-key': key } : {}) }, body: f });

    // Multipart: both views of cell-002, a lot, a client file name that tries to climb out.
    const first = await postForm(form('cell-002', 'U-1', 'LOT9', '../../escape.png'), 'up-1');
    expect(first.status, await first.clone().text()).toBe(200);
    const r1 = (await first.json()) as { resultId: string; verdict: string; lot: string; trigger: string; serial: string; images: { view: string; file: string; sha256: string; role?: string; decision: string }[] };
    expect(r1).toMatchObject({ serial: 'U-1', lot: 'LOT9', verdict: DEMO_VERDICTS['cell-002'], trigger: 'rest' });
    // One decision per view; the line-demo's grounding findings runs beside them never decide.
    expect(r1.images.filter((i) => !i.role).map((i) => i.file).sort()).toEqual(['U-1_ct.png', 'U-1_surface.jpg']);
    expect(r1.images.filter((i) => i.role === 'findings').every((i) => ['found', 'none'].includes(i.decision))).toBe(true);
    // In the spool, named by the watch pattern, byte for byte what was sent; nothing outside it.
    expect(caseDirs()).toHaveLength(1);
    const dir = join(spool, caseDirs()[0]!);
    expect(readFileSync(join(dir, 'U-1_ct.png')).equals(demo('cell-002', 'ct'))).toBe(true);
    expect(readFileSync(join(dir, 'U-1_surface.jpg')).equals(demo('cell-002', 'surface'))).toBe(true);
    expect(existsSync(join(root, 'escape.png'))).toBe(false);
    expect(existsSync(join(root, 'spool', 'escape.png'))).toBe(false);
    expect(runs()).toBe(2);

    // The same key and images again: the same result, no inspection, the duplicate upload not kept.
    const again = (await (await postForm(form('cell-002', 'U-1', 'LOT9'), 'up-1')).json()) as { resultId: string };
    expect(again.resultId).toBe(r1.resultId);
    // Without a key, the same images for the same serial: still that result.
    const noKey = (await (await postForm(form('cell-002', 'U-1', 'LOT9'))).json()) as { resultId: string };
    expect(noKey.resultId).toBe(r1.resultId);
    expect(runs()).toBe(2);
    expect(caseDirs()).toHaveLength(1);
    // The same key with other images: refused, nothing spooled.
    const other = await postForm(form('cell-004', 'U-1', 'LOT9'), 'up-1');
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ code: 'STATION_IDEMPOTENCY_MISMATCH' });
    expect(caseDirs()).toHaveLength(1);

    // Two requests with one new key at the same time: one inspection, one result.
    const [a, b] = await Promise.all([postForm(form('cell-004', 'U-2'), 'up-2'), postForm(form('cell-004', 'U-2'), 'up-2')]);
    const [ra, rb] = (await Promise.all([a.json(), b.json()])) as { resultId: string; verdict: string }[];
    expect(ra!.resultId).toBe(rb!.resultId);
    expect(ra!.verdict).toBe(DEMO_VERDICTS['cell-004']);
    expect(runs()).toBe(4);
    expect(caseDirs()).toHaveLength(2);

    // Raw body: one image; the case misses its surface view, so INCOMPLETE (never PASS).
    const raw = await fetch(`${base}/inspections?serial=U-3&view=ct`, { method: 'POST', headers: { ...auth, 'content-type': 'image/png', 'idempotency-key': 'up-3' }, body: demo('cell-001', 'ct') });
    expect(raw.status).toBe(200);
    const r3 = (await raw.json()) as { verdict: string; evaluation: string; reasons: { code: string }[]; images: { file: string; role?: string }[] };
    expect(r3.verdict).toBe('INCOMPLETE');
    expect(r3.evaluation).toBe('NotDecidable');
    expect(r3.reasons.map((r) => r.code)).toContain('STATION_VIEW_MISSING');
    expect(r3.images.filter((i) => !i.role).map((i) => i.file)).toEqual(['U-3_ct.png']);
    expect(runs()).toBe(5);

    // Refused uploads, each with its code; none leaves a file in the spool.
    const big = Buffer.alloc(1024 * 1024 + 10, 7);
    const rawBig = await fetch(`${base}/inspections?serial=U-4&view=ct`, { method: 'POST', headers: { ...auth, 'content-type': 'image/png' }, body: big });
    expect(rawBig.status).toBe(413);
    expect(await rawBig.json()).toMatchObject({ code: 'STATION_UPLOAD_TOO_LARGE' });
    const bigForm = new FormData();
    bigForm.append('serial', 'U-5');
    bigForm.append('ct', new Blob([big], { type: 'image/png' }), 'x.png');
    const partBig = await postForm(bigForm);
    expect(partBig.status).toBe(413);
    expect(await partBig.json()).toMatchObject({ code: 'STATION_UPLOAD_TOO_LARGE' });
    const badSerial = new FormData();
    badSerial.append('serial', '../U-6');
    badSerial.append('ct', new Blob([demo('cell-001', 'ct')], { type: 'image/png' }), 'x.png');
    const rs = await postForm(badSerial);
    expect(rs.status).toBe(400);
    expect(await rs.json()).toMatchObject({ code: 'STATION_UPLOAD_INVALID' });
    const badView = new FormData();
    badView.append('serial', 'U-7');
    badView.append('xray', new Blob([demo('cell-001', 'ct')], { type: 'image/png' }), 'x.png');
    const rv = await postForm(badView);
    expect(rv.status).toBe(400);
    expect(await rv.json()).toMatchObject({ code: 'STATION_VIEW_UNKNOWN' });
    expect((await fetch(`${base}/inspections?serial=U-8&view=ct`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: demo('cell-001', 'ct') })).status).toBe(401);
    expect(caseDirs().filter((d) => d.startsWith('.incoming'))).toEqual([]);
    expect(caseDirs()).toHaveLength(3);
    expect(runs()).toBe(5);

    // JSON bodies still work as before (a path outside the watched folders is refused).
    const jsonOut = await fetch(`${base}/inspections`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ paths: [join(lineDemo, 'cell-001_ct.png')] }) });
    expect(jsonOut.status).toBe(403);
    h.close();
    expect(await stopStation(st)).toBe(0);
  }, 180_000);
});
