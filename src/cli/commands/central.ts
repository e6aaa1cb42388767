import { parseArgs } from 'node:util';
import { connectCentral, fleetStats, listStations, migrateCentral, verifyStation, type StationVerdict } from '../../core/fleet/index';
import type { Command } from '../command';
import { parseInstant, usageError } from '../historyDb';

const HELP = [
  'Usage: inspector central verify --db postgres://… [--stations A,B] [--json]',
  '       inspector central stats  --db postgres://… [--stations A,B] [--from DATE] [--to DATE] [--json]',
  '       inspector central migrate --db postgres://…',
  '',
  "verify  re-walks each station's audit chain from the rows central holds, with the same hashing as",
  '        `inspector audit verify`; an edited, missing or added central row is reported with its',
  '        station, table and record id. Exit 0 all stations intact, 1 a break was found.',
  'stats   runs, verdicts, errors, error rate and AI-vs-reviewer agreement per day, line, station,',
  '        pack and pack version, for the stations chosen (default all).',
  'migrate creates or upgrades the central schema (sync does this too).',
].join('\n');

export const centralCommand: Command = {
  name: 'central',
  summary: 'the central PostgreSQL of many stations: verify every audit chain, fleet statistics (verify|stats|migrate)',
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: { db: { type: 'string' }, stations: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (!sub || !['verify', 'stats', 'migrate'].includes(sub)) throw usageError('central needs verify, stats or migrate');
    if (!values.db) throw usageError(`central ${sub} needs --db postgres://… (the central database)`);
    const stations = values.stations?.split(',').map((s) => s.trim()).filter(Boolean);
    const c = await connectCentral(values.db);
    try {
      if (sub === 'migrate') {
        const from = await migrateCentral(c);
        process.stdout.write(`central schema migrated from version ${from}\n`);
        return 0;
      }
      if (sub === 'verify') {
        const ids = await listStations(c, stations);
        const missing = stations?.filter((s) => !ids.includes(s)) ?? [];
        if (missing.length) throw usageError(`central holds no station ${missing.join(', ')}`);
        const verdicts: StationVerdict[] = [];
        for (const id of ids) verdicts.push(await verifyStation(c, id));
        if (values.json) process.stdout.write(JSON.stringify({ ok: verdicts.every((v) => v.ok), stations: verdicts }, null, 2) + '\n');
        else {
          for (const v of verdicts) {
            const counts = Object.entries(v.records).map(([k, n]) => `${k} ${n}`).join(', ');
            process.stdout.write(
              v.ok
                ? `OK ${v.station}: ${v.entries} entries, ${counts}${v.pending ? `; ${v.pending} rows await their entry` : ''}\n`
                : `BROKEN ${v.station}: ${v.break!.code} at ${v.break!.table ?? '-'} ${v.break!.recordId ?? '-'}: ${v.break!.message}\n`,
            );
          }
          if (ids.length === 0) process.stdout.write('central holds no stations yet\n');
        }
        return verdicts.every((v) => v.ok) ? 0 : 1;
      }
      const rows = await fleetStats(c, {
        ...(stations ? { stations } : {}),
        ...(values.from ? { from: parseInstant(values.from, '--from') } : {}),
        ...(values.to ? { to: parseInstant(values.to, '--to') } : {}),
      });
      if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else {
        const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
        process.stdout.write(['day', 'line', 'station', 'pack', 'version', 'runs', 'verdicts', 'errors', 'error rate', 'reviewed', 'agreement'].join('\t') + '\n');
        for (const r of rows) {
          const v = Object.entries(r.verdicts).map(([k, n]) => `${k}:${n}`).join(' ') || '-';
          process.stdout.write([r.day, r.line ?? '-', r.station, r.pack ?? '-', r.packVersion ?? '-', r.runs, v, r.errors, pct(r.errorRate), r.reviewed, pct(r.agreement)].join('\t') + '\n');
        }
      }
      return 0;
    } finally {
      await c.end().catch(() => {});
    }
  },
};
