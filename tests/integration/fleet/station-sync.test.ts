/**
 * A running station service with `sync:` in its station.yaml sends each case it records to a real
 * PostgreSQL 15 in the background: files dropped into the hot folder end up as central records
 * (runs and the published station case) without anyone running `inspector sync`, and central
 * verify passes for the station.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropCell, startStationProcess, stationYaml, stopStation, tempRoot } from '../station/support';
import { postgresAvailable, skipReason, startPostgres, type TempPostgres } from './postgres';
import { cli } from './support';

if (!postgresAvailable) console.warn(`station background sync test skipped: ${skipReason}`);

describe.skipIf(!postgresAvailable)('station service → central PostgreSQL in the background', () => {
  let pgs: TempPostgres;
  beforeAll(async () => {
    pgs = await startPostgres();
  });
  afterAll(() => pgs?.stop());

  it('cases recorded by the station reach central without a sync command', async () => {
    const root = tempRoot('station-sync');
    const watch = join(root, 'incoming');
    mkdirSync(watch, { recursive: true });
    const cfg = join(root, 'station.yaml');
    // No publishing channel: only the history and its sync to central.
    writeFileSync(cfg, `${stationYaml({ watchDir: watch, id: 'LINE7' }).replace(/^publish:\n/m, '')}sync: { to: "${pgs.url}", interval_s: 1 }\n`);
    const db = join(root, 'history.sqlite');
    const st = startStationProcess(cfg, db);
    const central = new pg.Client({ connectionString: pgs.url });
    try {
      await st.ready;
      await central.connect();
      dropCell(watch, 'cell-001', 'S-1');
      dropCell(watch, 'cell-004', 'S-2');
      const count = async (tbl: string) => {
        try {
          const r = await central.query("SELECT count(*)::int AS n FROM records WHERE station_id = 'LINE7' AND tbl = $1", [tbl]);
          return r.rows[0].n as number;
        } catch {
          return 0; // schema not created yet
        }
      };
      const end = Date.now() + 120_000;
      while ((await count('station_cases')) < 2) {
        if (Date.now() > end) throw new Error(`central never got the two cases:\n${st.stderr}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const runs = await count('inference_runs');
      expect(runs).toBeGreaterThanOrEqual(4); // two views × two cases, one or more packs each
      const serials = (await central.query("SELECT row->>'serial' AS s FROM records WHERE station_id = 'LINE7' AND tbl = 'station_cases' ORDER BY 1")).rows.map((r) => r.s);
      expect(serials).toEqual(['S-1', 'S-2']);
    } finally {
      await central.end().catch(() => {});
      await stopStation(st);
    }
    const v = cli(['central', 'verify', '--db', pgs.url, '--stations', 'LINE7'], root);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^OK LINE7: /m);
  }, 240_000);
});
