import { parseArgs } from 'node:util';
import { BackgroundSync, connectCentral, migrateCentral, redact, requeueAll, stationId, syncStation, type SyncResult } from '../../core/fleet/index';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { openExisting, parseNumber, usageError } from '../historyDb';

const HELP = [
  'Usage: inspector sync --to postgres://USER@HOST/DB [--db FILE] [--station ID] [--once]',
  '                      [--batch-size N] [--interval SECONDS] [--json]',
  '       inspector sync --requeue-all [--db FILE]',
  '',
  "Sends this station's history (runs, reviews, errors, cases, images, operators, batches and audit",
  'entries, each queued in the transaction that wrote it) to the central PostgreSQL, in batches of',
  'one PostgreSQL transaction each, with a per-station watermark: killed at any point and started',
  'again, it loses and duplicates nothing. Creates or upgrades the central schema first.',
  'Without --once it keeps running, sending new records every --interval seconds (default 10) and',
  'retrying while the network is gone; Ctrl-C/SIGTERM stops it after the batch in flight.',
  'The station id is --station, else the station setting.',
  'A URL to a host other than this machine must name its TLS (sslmode=verify-full&sslrootcert=CA.pem)',
  'or say sslmode=disable; the password comes from PGPASSWORD, never the URL.',
  '--requeue-all  queues every synced row again: the recovery when central lost records it had',
  '        acknowledged (FLEET_CENTRAL_BEHIND) or the station moves to a new central database.',
  '',
  'Exit status: 0 everything pending was sent, 1 error, 2 usage.',
].join('\n');

export const syncCommand: Command = {
  name: 'sync',
  summary: "send this station's history to the central PostgreSQL (outbox, exactly once; --once or background loop)",
  help: HELP,
  async run(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: {
        to: { type: 'string' },
        db: { type: 'string' },
        station: { type: 'string' },
        once: { type: 'boolean' },
        'batch-size': { type: 'string' },
        interval: { type: 'string' },
        json: { type: 'boolean' },
        'requeue-all': { type: 'boolean' },
      },
    });
    if (values['requeue-all']) {
      const store = openExisting(values.db);
      try {
        process.stdout.write(`queued ${requeueAll(store.db)} records again; the next sync sends them (central keeps one copy of each)\n`);
        return 0;
      } finally {
        store.close();
      }
    }
    if (!values.to) throw usageError('sync needs --to postgres://… (the central database)');
    const batchSize = parseNumber(values['batch-size'], '--batch-size', 5000);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw usageError('--batch-size expects a whole number ≥ 1');
    const interval = parseNumber(values.interval, '--interval', 10);
    const store = openExisting(values.db);
    let stop = false;
    const onSignal = () => (stop = true);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const station = stationId(store.db, values.station);
      const report = (r: SyncResult) => {
        if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
        else process.stdout.write(`station ${r.station}: sent ${r.sent} records in ${r.batches} batches; central holds up to ${r.lastSeq}; pending ${r.pending}\n`);
      };
      const once = async () => {
        const central = await connectCentral(values.to!);
        try {
          await migrateCentral(central);
          return await syncStation(store.db, central, station, { batchSize });
        } finally {
          await central.end().catch(() => {});
        }
      };
      if (values.once) {
        report(await once());
        return 0;
      }
      process.stderr.write(`syncing station ${station} to ${redact(values.to)} every ${interval} s (Ctrl-C stops)\n`);
      // The same loop the station service and the app run (core/fleet/background.ts).
      let failure: { code: string; message: string } | null = null;
      const bg = new BackgroundSync(store.db, {
        url: values.to,
        station,
        intervalMs: interval * 1000,
        batchSize,
        log: (l) => process.stderr.write(`${l}\n`),
        onState: (st) => {
          if (st.status === 'synced' && st.last && st.last.sent > 0) report(st.last);
          // Offline is normal on a line PC and is retried; a bad station state is not.
          if (st.status === 'failed') failure = st.lastError;
        },
      }).start();
      while (!stop && !failure) await new Promise((r) => setTimeout(r, 200));
      await bg.stop();
      if (failure) throw new InspectorError((failure as { code: string }).code, (failure as { message: string }).message);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      store.close();
    }
  },
};
