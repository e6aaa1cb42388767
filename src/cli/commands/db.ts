import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backupDatabase, restoreDatabase } from '../../core/history/index';
import type { Command } from '../command';
import { historyDbPath, openExisting, usageError } from '../historyDb';

export const dbCommand: Command = {
  name: 'db',
  summary: 'online backup of the history database and restore from one (backup|restore)',
  help: [
    'Usage: inspector db backup  FILE [--db FILE] [--json]',
    '       inspector db restore FILE [--db FILE] [--operator ID] [--json]',
    '',
    'backup  copies the database with SQLite\'s online backup API: safe while Inspector is running.',
    'restore checks FILE (integrity, schema, audit chain) and replaces the database with it; the',
    '        replaced database is kept beside it as <db>.pre-restore-<time>. Close Inspector first.',
    'Heatmap blobs live in the data folder\'s blobs/ and are not part of the database file.',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { db: { type: 'string' }, json: { type: 'boolean' }, operator: { type: 'string' } },
    });
    const target = positionals[0];
    if (!target || (sub !== 'backup' && sub !== 'restore')) throw usageError(`db needs "backup FILE" or "restore FILE".`);
    const say = (v: unknown, text: string) => process.stdout.write(values.json ? JSON.stringify(v, null, 2) + '\n' : text);
    if (sub === 'backup') {
      const s = openExisting(values.db);
      try {
        const r = await backupDatabase(s, resolve(target));
        say(r, `Backed up ${s.file} to ${r.file}: ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.pages} pages, ${r.ms.toFixed(0)} ms.\n`);
      } finally {
        s.close();
      }
      return 0;
    }
    const file = historyDbPath(values.db);
    const r = await restoreDatabase(file, resolve(target), values.operator ?? 'cli');
    say(r, `Restored ${file} from ${resolve(target)} (${r.restoredEntries} audit entries verified).${r.previous ? `\nThe replaced database is kept at ${r.previous}.` : ''}\n`);
    return 0;
  },
};
