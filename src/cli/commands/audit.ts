import { parseArgs } from 'node:util';
import { readAnchor, verifyAudit } from '../../core/history/index';
import type { Command } from '../command';
import { historyDbPath, usageError, withStore } from '../historyDb';

export const auditCommand: Command = {
  name: 'audit',
  summary: 'verify the tamper-evident audit chain of the history (verify)',
  help: [
    'Usage: inspector audit verify [--db FILE] [--json]',
    '',
    'Walks the audit chain from its first entry, rehashing every entry and the record it describes,',
    'and checks it against the head written beside the database. Reports the first broken link:',
    'an edited, deleted, reordered or cut-off entry, or an edited, deleted or unlogged record.',
    'Exit status: 0 the chain verifies, 1 it does not (or the database cannot be read).',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'verify') throw usageError(`audit needs "verify"; got "${sub ?? ''}".`);
    const { values } = parseArgs({ args: rest, strict: true, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
    const file = historyDbPath(values.db);
    const report = withStore(values.db, (s) => verifyAudit(s.db, readAnchor(file)));
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else if (report.ok) {
      const recs = Object.entries(report.records).map(([k, v]) => `${v} ${k}${v === 1 ? '' : 's'}`).join(', ');
      process.stdout.write(`OK: ${report.entries} entries verified up to #${report.head.seq} (${report.head.hash.slice(0, 16)}…); ${recs}.\n`);
      if (!report.anchor) process.stdout.write('Note: no head anchor beside the database, so a cut-off end could not be checked.\n');
    } else {
      const b = report.firstBreak!;
      process.stdout.write(`BROKEN at entry #${b.seq}: ${b.code}\n  ${b.message}\n  ${report.entries} entries read; the chain holds up to #${Math.max(0, b.seq - 1)}.\n`);
    }
    return report.ok ? 0 : 1;
  },
};
