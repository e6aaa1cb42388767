/**
 * The explanation record is published (issue 14): after a case's result, once the battery pack's
 * map is recorded (run_explanations), the station sends one explanation message per case on MQTT
 * (`<topic>/explanation`, QoS 1, through the same outbox), raises ExplanationReadyEventType on OPC
 * UA (a node-opcua client in its own process) and serves it on REST (`GET
 * /inspections/:id/explanation`, `.../map.png`). Real station process, real mosquitto, real packs;
 * a SIGKILL between the result's publish and the map: the explanation arrives once after the
 * restart; the hash published is the stored blob's; an edit of the record is caught by audit verify.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { bin, dropCell, hasMosquitto, startClientProcess, startStationProcess, stationWithMesPeers, stopStation, tempRoot, until, type Received } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const TOKEN = 'explanation-token-0123456789';
const audit = (db: string, ...args: string[]) => spawnSync(process.execPath, [bin, 'audit', 'verify', '--db', db, ...args], { cwd: repoRoot, encoding: 'utf8' });

/** The out-of-process OPC UA MES (explanationClient.ts), its JSON lines as they come. */
function startClient(env: Record<string, string>) {
  const c = startClientProcess('explanationClient.ts', env);
  cleanup.push(c.kill);
  return { lines: c.lines, exited: c.exited, stderr: c.stderr };
}

interface Explanation {
  schema: string;
  explanationId: string;
  resultId: string;
  serial: string;
  verdict: string;
  runIds: number[];
  maps: {
    recordId: number;
    runId: number;
    view: string;
    method: string;
    explainedClass: string | null;
    image: { width: number; height: number };
    map: { sha256: string; width: number; height: number };
    regions: { box: [number, number, number, number]; label: string; peak: number | null; share: number }[];
    href: { json: string; png: string };
  }[];
}

describe.skipIf(!hasMosquitto)('station: the explanation record is published after the result, exactly once', () => {
  it('MQTT, OPC UA and REST carry the same explanation, once per case, after the result; a kill before it does not lose or repeat it', { timeout: 600_000 }, async () => {
    const root = tempRoot('station-explain-pub');
    const { watch, cfg, restPort, env, mes, db } = await stationWithMesPeers({ root, cleanup, mesClientId: 'mes-explanation-pub', mesPassword: 'mes-secret-password', token: TOKEN });
    const result = (serial: string) => mes.results().find((m: Received) => m.json['serial'] === serial);
    const explanationsOf = (serial: string) => mes.got.filter((m) => m.topic === 'inspector/ST01/explanation' && m.json['serial'] === serial);
    const rest = (path: string, auth = true) => fetch(`http://127.0.0.1:${restPort}${path}`, auth ? { headers: { authorization: `Bearer ${TOKEN}` } } : {});

    // 1. EX-1 decided and published; the station SIGKILLed before its map is drawn.
    let st = startStationProcess(cfg, db, env);
    cleanup.push(() => stopStation(st));
    await st.ready;
    dropCell(watch, 'cell-002', 'EX-1'); // INTERNAL_DEFECT: the battery pack's map has regions
    const r1 = await until('EX-1 result', () => result('EX-1'), 120_000, 5);
    st.proc.kill('SIGKILL');
    await st.exited;
    let h = new Database(db, { readonly: true });
    expect((h.prepare('SELECT count(*) AS n FROM run_explanations').get() as { n: number }).n).toBe(0);
    h.close();
    expect(explanationsOf('EX-1')).toHaveLength(0);

    // 2. Restart: the map is drawn, recorded and published once, after the result.
    st = startStationProcess(cfg, db, env);
    const ready = await st.ready;
    const x1msg = await until('EX-1 explanation', () => explanationsOf('EX-1')[0], 180_000);
    const x1 = x1msg.json as unknown as Explanation;
    expect(x1.schema).toBe('inspector.station.explanation/1');
    expect(x1.resultId).toBe(r1.json['resultId']);
    expect(x1.verdict).toBe('INTERNAL_DEFECT');
    expect(mes.got.indexOf(x1msg)).toBeGreaterThan(mes.got.indexOf(r1));
    const runIds1 = r1.json['runIds'] as number[];
    const ctRun1 = (r1.json['images'] as { view: string; runId: number; role?: string }[]).find((i) => i.view === 'ct' && !i.role)!.runId;
    expect(x1.runIds).toEqual([ctRun1]);
    expect(runIds1).toContain(ctRun1);
    const [m1] = x1.maps;
    expect(m1).toMatchObject({ runId: ctRun1, view: 'ct', method: 'hirescam' });
    expect(m1!.explainedClass).toBeTruthy();
    expect(m1!.regions.length).toBeGreaterThan(0);
    for (const g of m1!.regions) {
      expect(g.box[0]).toBeGreaterThanOrEqual(0);
      expect(g.box[1]).toBeGreaterThanOrEqual(0);
      expect(g.box[0] + g.box[2]).toBeLessThanOrEqual(m1!.image.width);
      expect(g.box[1] + g.box[3]).toBeLessThanOrEqual(m1!.image.height);
      expect(g.share).toBeGreaterThan(0);
      expect(g.share).toBeLessThanOrEqual(1);
      expect(g.label).toBe(m1!.explainedClass);
    }
    // A region holds more of the map than its share of the image's area: it is where the map is.
    const top = [...m1!.regions].sort((a, b) => b.share - a.share)[0]!;
    expect(top.share).toBeGreaterThan((top.box[2] * top.box[3]) / (m1!.image.width * m1!.image.height));

    // The published hash is the stored record's and the blob's own (BlobStore.get re-hashes it).
    h = new Database(db, { readonly: true });
    const rec1 = h.prepare('SELECT id, blob_sha256 FROM run_explanations WHERE run_id = ?').get(ctRun1) as { id: number; blob_sha256: string };
    expect(m1!.recordId).toBe(rec1.id);
    expect(m1!.map.sha256).toBe(rec1.blob_sha256);
    const blob = new BlobStore(join(dirname(db), 'blobs')).get(rec1.blob_sha256);
    expect(createHash('sha256').update(blob).digest('hex')).toBe(m1!.map.sha256);
    expect(blob.byteLength).toBe(m1!.map.width * m1!.map.height * 4);
    h.close();

    // REST: the same message (token required), and the map as a PNG on the image's grid.
    expect((await rest(`/inspections/${x1.resultId}/explanation`, false)).status).toBe(401);
    const got1 = await rest(`/inspections/${x1.resultId}/explanation`);
    expect(got1.status).toBe(200);
    expect(await got1.json()).toEqual(x1);
    const png = await rest(m1!.href.png);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('x-map-sha256')).toBe(m1!.map.sha256);
    const pngBytes = Buffer.from(await png.arrayBuffer());
    const meta = await sharp(pngBytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', m1!.image.width, m1!.image.height, 1]);
    const { data, info } = await sharp(pngBytes).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    let inBox = 0;
    let all = 0;
    for (let y = 0; y < info.height; y++)
      for (let x = 0; x < info.width; x++) {
        const v = data[y * info.width + x]!;
        all += v;
        if (x >= top.box[0] && x < top.box[0] + top.box[2] && y >= top.box[1] && y < top.box[1] + top.box[3]) inBox += v;
      }
    expect(inBox / all).toBeCloseTo(top.share, 1);
    const spec = (await (await rest('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/inspections/{id}/explanation', '/inspections/{id}/explanation/map.png']));
    const unknown = await rest('/inspections/no-such-result/explanation');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('STATION_RESULT_NOT_FOUND');

    // 3. OPC UA (a MES in its own process): LastExplanation* after the restart, then an event for EX-2.
    const opc = startClient({ OPCUA_ENDPOINT: String(ready['opcua']), OPCUA_PKI: join(root, 'mes-pki'), OPCUA_STATION: 'ST01', OPCUA_USER: 'mes', OPCUA_PASSWORD: env.MES_PASSWORD, EXPLANATION_EVENTS: '1', EXPLANATION_TIMEOUT_MS: '240000' });
    await until('OPC UA client subscribed', () => opc.lines.find((l) => l.step === 'subscribed' || l.step === 'error'), 60_000);
    expect(opc.lines.find((l) => l.step === 'error'), opc.stderr()).toBeUndefined();
    dropCell(watch, 'cell-004', 'EX-2');
    const r2 = await until('EX-2 result', () => result('EX-2'), 120_000, 5);
    // Before its map is recorded REST says so (coded); once recorded it is the published message.
    const early = await rest(`/inspections/${String(r2.json['resultId'])}/explanation`);
    const earlyBody = (await early.json()) as { code?: string; resultId?: string };
    if (early.status === 404) expect(earlyBody.code).toBe('STATION_EXPLANATION_PENDING');
    else expect(earlyBody.resultId).toBe(r2.json['resultId']);
    const x2msg = await until('EX-2 explanation', () => explanationsOf('EX-2')[0], 180_000);
    const x2 = x2msg.json as unknown as Explanation;
    expect(mes.got.indexOf(x2msg)).toBeGreaterThan(mes.got.indexOf(r2));
    expect(x2.resultId).toBe(r2.json['resultId']);
    expect(await opc.exited).toBe(0);
    const ev = opc.lines.find((l) => l.step === 'event')!;
    expect(ev, opc.stderr()).toBeDefined();
    expect(ev['resultId']).toBe(x2.resultId);
    expect(ev['partId']).toBe('EX-2');
    expect(ev['runIds']).toEqual(x2.runIds);
    expect(ev['mapSha256']).toEqual(x2.maps.map((m) => m.map.sha256));
    expect(ev['content']).toEqual(x2);
    const done = opc.lines.find((l) => l.step === 'done')!;
    expect(done['events']).toBe(1);
    expect(done['lastResultId']).toBe(x2.resultId);
    expect(done['lastMapSha256']).toBe(x2.maps.map((m) => m.map.sha256).join(','));
    expect(JSON.parse(String(done['last']))).toEqual(x2);
    expect(done['lastVerdict']).toBe(r2.json['verdict']); // the explanation never changes the verdict

    // 4. Exactly once: one explanation message per case, none for a case twice (also across the kill).
    h = new Database(db, { readonly: true });
    await until('after-publish work done', () => (h.prepare("SELECT count(*) AS n FROM station_outbox WHERE sent_at IS NULL").get() as { n: number }).n === 0, 60_000);
    h.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(explanationsOf('EX-1')).toHaveLength(1);
    expect(explanationsOf('EX-2')).toHaveLength(1);
    expect(await stopStation(st)).toBe(0);

    // 5. The records are sealed: verify passes; an edit of one (its map hash) is caught.
    const ok = JSON.parse(audit(db, '--json', '--blobs').stdout) as { ok: boolean; records: Record<string, number> };
    expect(ok.ok).toBe(true);
    expect(ok.records['explanation']).toBe(2);
    const rw = new Database(db);
    rw.exec('DROP TRIGGER run_explanations_no_update');
    rw.prepare('UPDATE run_explanations SET blob_sha256 = ? WHERE id = ?').run('0'.repeat(64), x2.maps[0]!.recordId);
    rw.close();
    const broken = JSON.parse(audit(db, '--json').stdout) as { ok: boolean; firstBreak: { code: string; entity: string; entityId: string } };
    expect(broken.ok).toBe(false);
    expect(broken.firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'explanation', entityId: String(x2.maps[0]!.recordId) });
  });
});
