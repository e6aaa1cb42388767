import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { approvePack, connectCentral, fleetDrift, fleetStats, listStations, migrateCentral, pullPacks, verifyStation, type StationVerdict } from '../../core/fleet/index';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { parseInstant, usageError } from '../historyDb';

const HELP = [
  'Usage: inspector central verify --db postgres://… [--stations A,B] [--json]',
  '       inspector central stats  --db postgres://… [--stations A,B] [--from DATE] [--to DATE] [--json]',
  '       inspector central drift  --db postgres://… [--stations A,B] [--from DATE] [--to DATE] [--baseline-days N] [--json]',
  '       inspector central migrate --db postgres://…',
  '       inspector central approve-pack DIR --db postgres://… --key ed25519-private.pem --approver NAME',
  '       inspector central pull-packs --db postgres://… --share DIR --into DIR --public-key ed25519-public.pem [--json]',
  '',
  "verify  re-walks each station's audit chain from the rows central holds, with the same hashing as",
  '        `inspector audit verify`; an edited, missing or added central row is reported with its',
  '        station, table and record id. Exit 0 all stations intact, 1 a break was found.',
  'stats   runs, verdicts, errors, error rate and AI-vs-reviewer agreement per day, line, station,',
  '        pack and pack version, for the stations chosen (default all).',
  'drift   PSI of each pack version\'s score distribution in the window against its first N days (default 7)',
  '        in production on those stations; status drift above PSI 0.2.',
  'migrate creates or upgrades the central schema (sync does this too).',
  'approve-pack  hashes a pack folder, signs name, version and hash with Ed25519 and records the approval.',
  'pull-packs    installs every approved pack found on the share as NAME-VERSION into --into, only when its',
  '        bytes match the approved hash and the signature verifies with the trusted public key; others',
  '        are refused (PACK_UNSIGNED, PACK_SIGNATURE_INVALID, PACK_ALTERED, PACK_NOT_FOUND). Exit 1 if any.',
].join('\n');

export const centralCommand: Command = {
  name: 'central',
  summary: 'the central PostgreSQL of many stations: verify every audit chain, fleet statistics and drift, signed packs (verify|stats|drift|migrate|approve-pack|pull-packs)',
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        stations: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        key: { type: 'string' },
        approver: { type: 'string' },
        share: { type: 'string' },
        into: { type: 'string' },
        'public-key': { type: 'string' },
        'baseline-days': { type: 'string' },
      },
    });
    if (!sub || !['verify', 'stats', 'drift', 'migrate', 'approve-pack', 'pull-packs'].includes(sub)) throw usageError('central needs verify, stats, drift, migrate, approve-pack or pull-packs');
    if (!values.db) throw usageError(`central ${sub} needs --db postgres://… (the central database)`);
    const stations = values.stations?.split(',').map((s) => s.trim()).filter(Boolean);
    const c = await connectCentral(values.db);
    try {
      if (sub === 'migrate') {
        const from = await migrateCentral(c);
        process.stdout.write(`central schema migrated from version ${from}\n`);
        return 0;
      }
      const readKey = (file: string | undefined, option: string) => {
        if (!file) throw usageError(`central ${sub} needs ${option} FILE (PEM)`);
        try {
          return readFileSync(resolve(file), 'utf8');
        } catch (e) {
          throw new InspectorError('FLEET_KEY_UNREADABLE', `Cannot read the key ${file}: ${(e as Error).message}`, { file });
        }
      };
      if (sub === 'approve-pack') {
        if (positionals.length !== 1) throw usageError('central approve-pack needs one pack folder');
        if (!values.approver) throw usageError('central approve-pack needs --approver NAME');
        await migrateCentral(c);
        const a = await approvePack(c, resolve(positionals[0]!), readKey(values.key, '--key'), values.approver);
        process.stdout.write(`approved ${a.name} ${a.version} (hash ${a.hash}) by ${a.approver}\n`);
        return 0;
      }
      if (sub === 'pull-packs') {
        if (!values.share || !values.into) throw usageError('central pull-packs needs --share DIR and --into DIR');
        const r = await pullPacks(c, resolve(values.share), resolve(values.into), readKey(values['public-key'], '--public-key'));
        if (values.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else {
          for (const id of r.installed) process.stdout.write(`installed ${id}\n`);
          for (const id of r.current) process.stdout.write(`current ${id}\n`);
          for (const x of r.refused) process.stdout.write(`REFUSED ${x.name}-${x.version}: ${x.code}: ${x.message}\n`);
        }
        return r.refused.length ? 1 : 0;
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
      const window = {
        ...(stations ? { stations } : {}),
        ...(values.from ? { from: parseInstant(values.from, '--from') } : {}),
        ...(values.to ? { to: parseInstant(values.to, '--to') } : {}),
      };
      if (sub === 'drift') {
        const days = values['baseline-days'] === undefined ? 7 : Number(values['baseline-days']);
        if (!Number.isInteger(days) || days < 1 || days > 366) throw usageError('--baseline-days must be a whole number of days, 1 to 366');
        const drift = await fleetDrift(c, { ...window, baselineDays: days });
        if (values.json) process.stdout.write(JSON.stringify(drift, null, 2) + '\n');
        else {
          process.stdout.write(['pack', 'version', 'baseline', 'baseline n', 'window n', 'PSI', 'status'].join('\t') + '\n');
          for (const d of drift) {
            process.stdout.write([d.pack, d.packVersion, `${d.baselineFrom}..${d.baselineTo}`, d.baselineN, d.windowN, d.psi === null ? '-' : d.psi.toFixed(3), d.status].join('\t') + '\n');
          }
        }
        return drift.some((d) => d.status === 'drift') ? 1 : 0;
      }
      const rows = await fleetStats(c, window);
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
