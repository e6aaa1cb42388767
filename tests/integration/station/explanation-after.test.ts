/**
 * The explanation is off the decision's path (issue 14): a station case is decided from the packs'
 * scores, recorded and published, and only then is the battery pack's map (HiResCAM) drawn and kept
 * as an audited record of its own (run_explanations) naming the run and the map blob's SHA-256.
 * Real station process, real mosquitto, real packs; a SIGKILL between the publish and the map
 * resumes the map at the restart; `audit verify` seals the record and catches an edit of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobStore, getRun } from '../../../src/core/history/index';
import { repoRoot } from '../../support/paths';
import { bin, Broker, dropCell, hasMosquitto, startStationProcess, stationYaml, stopStation, subscriber, tempRoot, until, type Received } from './support';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

interface ExplanationRow {
  id: number;
  run_id: number;
  created_at: number;
  method: string;
  blob_sha256: string | null;
  regions: string;
  score: number | null;
}

const audit = (db: string, ...args: string[]) => spawnSync(process.execPath, [bin, 'audit', 'verify', '--db', db, ...args], { cwd: repoRoot, encoding: 'utf8' });

describe.skipIf(!hasMosquitto)('station: the map is drawn after the publish, as its own audited record', () => {
  it('publishes before the explanation exists, records it afterwards (resumed after a kill), and audit verify seals it', { timeout: 600_000 }, async () => {
    const root = tempRoot('station-explain');
    const broker = await Broker.start(root);
    cleanup.push(() => broker.down());
    const watch = join(root, 'incoming');
    mkdirSync(watch, { recursive: true });
    const cfg = join(root, 'station.yaml');
    writeFileSync(cfg, stationYaml({ watchDir: watch, mqttUrl: broker.url, settleMs: 200, caseTimeoutMs: 5000 }));
    const mes = await subscriber(broker.url, 'inspector/ST01/result', 'mes-explain');
    cleanup.push(() => mes.client.endAsync());
    // When each result reached the MES, by this machine's clock (the station stamps records with the same).
    const receivedAt = new Map<string, number>();
    mes.client.on('message', (_t, payload) => {
      const serial = String((JSON.parse(payload.toString()) as { serial: string }).serial);
      if (!receivedAt.has(serial)) receivedAt.set(serial, Date.now());
    });
    const db = join(root, 'history.sqlite');
    const result = (serial: string) => mes.results().find((m: Received) => m.json['serial'] === serial)?.json as { resultId: string; verdict: string; runIds: number[]; images: { view: string; runId: number; pack: { name: string }; role?: string }[] } | undefined;

    // 1. A case decided, published, then the station SIGKILLed before its map is drawn.
    let st = startStationProcess(cfg, db);
    cleanup.push(() => stopStation(st));
    await st.ready;
    dropCell(watch, 'cell-002', 'EX-1'); // INTERNAL_DEFECT: the battery pack's map has regions
    const r1 = await until('EX-1 published', () => result('EX-1'), 120_000, 5);
    st.proc.kill('SIGKILL');
    await st.exited;
    expect(r1.verdict).toBe('INTERNAL_DEFECT');
    const ctRun = r1.images.find((i) => i.view === 'ct' && i.role !== 'findings')!.runId;
    let h = new Database(db, { readonly: true });
    const explanations = () => h.prepare('SELECT id, run_id, created_at, method, blob_sha256, regions, score FROM run_explanations ORDER BY id').all() as ExplanationRow[];
    const pendingAfter = () => (h.prepare("SELECT count(*) AS n FROM station_outbox WHERE channel = 'findings' AND sent_at IS NULL").get() as { n: number }).n;
    // The signed run holds the decision only: no map, no regions read off a map.
    const signed = h.prepare('SELECT explanation, regions, score FROM inference_runs WHERE id = ?').get(ctRun) as { explanation: string | null; regions: string; score: number };
    expect(signed.explanation).toBeNull();
    expect(signed.regions).toBe('[]');
    // Killed between the publish and the map: nothing drawn yet, the work waits in the outbox.
    expect(explanations()).toEqual([]);
    expect(pendingAfter()).toBe(1);
    h.close();

    // 2. Restart: the map is drawn and recorded for the run that decided, the decision not repeated.
    st = startStationProcess(cfg, db);
    await st.ready;
    h = new Database(db, { readonly: true });
    await until('EX-1 map after the restart', () => explanations().length >= 1 && pendingAfter() === 0, 180_000);
    const [x1] = explanations();
    expect(x1!.run_id).toBe(ctRun);
    expect(x1!.method).toBe('hirescam');
    expect(x1!.blob_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((JSON.parse(x1!.regions) as unknown[]).length).toBeGreaterThan(0);
    // The map's pass is the deciding pass: the same score as the signed run.
    expect(x1!.score).toBeCloseTo(signed.score, 6);
    expect(x1!.created_at).toBeGreaterThan(receivedAt.get('EX-1')!);
    expect((h.prepare('SELECT count(*) AS n FROM station_cases').get() as { n: number }).n).toBe(1);

    // 3. On a running station: published first, the map recorded afterwards.
    dropCell(watch, 'cell-004', 'EX-2');
    const r2 = await until('EX-2 published', () => result('EX-2'), 120_000, 5);
    const ctRun2 = r2.images.find((i) => i.view === 'ct' && i.role !== 'findings')!.runId;
    await until('EX-2 map', () => explanations().find((x) => x.run_id === ctRun2), 180_000);
    expect(explanations().find((x) => x.run_id === ctRun2)!.created_at).toBeGreaterThan(receivedAt.get('EX-2')!);
    await until('EX-2 after-publish work done', () => pendingAfter() === 0, 60_000);
    // One published result per case (QoS 1 may redeliver the one in flight at the kill: same id).
    for (const serial of ['EX-1', 'EX-2']) expect(new Set(mes.results().filter((m) => m.json['serial'] === serial).map((m) => m.json['resultId'])).size).toBe(1);
    expect(explanations()).toHaveLength(2);
    h.close();
    expect(await stopStation(st)).toBe(0);

    // 4. History and the viewer read the map from the record when the run has none.
    const rw = new Database(db);
    const detail = getRun(rw, ctRun);
    expect(detail.run.explanationRecord).toBe(x1!.id);
    expect(detail.run.explanation?.blob).toBe(x1!.blob_sha256);
    expect(detail.run.regions.length).toBeGreaterThan(0);
    expect(new BlobStore(join(root, 'blobs')).get(x1!.blob_sha256!).byteLength).toBeGreaterThan(0);
    const shown = spawnSync(process.execPath, [bin, 'history', 'show', String(ctRun), '--db', db], { cwd: repoRoot, encoding: 'utf8' });
    expect(shown.stdout).toMatch(new RegExp(`hirescam .*map ${x1!.blob_sha256!.slice(0, 12)}.*explanation record ${x1!.id}`));

    // 5. The records are sealed: verify passes and counts them; an edit of one is caught.
    const ok = audit(db, '--json', '--blobs');
    const report = JSON.parse(ok.stdout) as { ok: boolean; records: Record<string, number>; blobsChecked: number };
    expect(report.ok).toBe(true);
    expect(report.records['explanation']).toBe(2);
    rw.exec('DROP TRIGGER run_explanations_no_update');
    rw.prepare('UPDATE run_explanations SET regions = ? WHERE id = ?').run('[]', x1!.id);
    rw.close();
    const broken = audit(db, '--json');
    const b = JSON.parse(broken.stdout) as { ok: boolean; firstBreak: { code: string; entity: string; entityId: string } };
    expect(b.ok).toBe(false);
    expect(b.firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'explanation', entityId: String(x1!.id) });
  });
});
