import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadStation, saveStation, stationDirOf, stationFile } from '../../core/station/index';
import type { Command } from '../command';
import { historyDbPath, usageError } from '../historyDb';

/**
 * The station this machine is (id, line, name), in station.yaml beside the history database:
 * every run recorded here carries them, and audit reports state them.
 */
export const stationCommand: Command = {
  name: 'station',
  summary: 'the station id and line recorded with every run (show|set)',
  help: [
    'Usage: inspector station show [--db FILE] [--json]',
    '       inspector station set --id ID [--line LINE] [--name NAME] [--db FILE]',
    '',
    'Kept in station.yaml in the folder of the history database (the data folder by default).',
    'Runs recorded afterwards carry the station id and line (history exports: columns station, line);',
    'the PDF audit report names the exporting station.',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: { db: { type: 'string' }, json: { type: 'boolean' }, id: { type: 'string' }, line: { type: 'string' }, name: { type: 'string' } },
    });
    const dir = stationDirOf(historyDbPath(values.db));
    if (sub === 'show') {
      const s = loadStation(dir);
      process.stdout.write(values.json ? JSON.stringify({ file: stationFile(dir), station: s }, null, 2) + '\n' : s ? `Station ${s.id}${s.line ? `, line ${s.line}` : ''}${s.name ? ` (${s.name})` : ''} — ${stationFile(dir)}\n` : `No station set (${stationFile(dir)}): inspector station set --id ID --line LINE\n`);
      return 0;
    }
    if (sub !== 'set') throw usageError(`station needs "show" or "set"; got "${sub ?? ''}".`);
    if (!values.id) throw usageError('station set needs --id ID.');
    mkdirSync(dirname(stationFile(dir)), { recursive: true });
    const s = saveStation(dir, { id: values.id, ...(values.line ? { line: values.line } : {}), ...(values.name ? { name: values.name } : {}) });
    process.stdout.write(values.json ? JSON.stringify({ file: stationFile(dir), station: s }, null, 2) + '\n' : `Station set: ${s.id}${s.line ? `, line ${s.line}` : ''} in ${stationFile(dir)}.\n`);
    return 0;
  },
};
