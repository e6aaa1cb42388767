import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDicomConfig } from '../../core/dicomnet/config';
import { loadDicomSetting, loadStation, saveDicomSetting, saveStation, stationDirOf, stationFile, type StationFacts } from '../../core/settings/index';
import type { Command } from '../command';
import { historyDbPath, usageError } from '../historyDb';

const KEYS = { 'station.id': 'id', 'station.line': 'line', 'station.name': 'name' } as const;

/**
 * This workstation's settings (settings.yaml beside the history database): the station id, line
 * and name that every run recorded here carries and that audit reports state.
 */
export const settingsCommand: Command = {
  name: 'settings',
  summary: 'workstation settings: station.id / station.line / station.name stamped on runs and reports (show|set)',
  help: [
    'Usage: inspector settings show [--db FILE] [--json]',
    '       inspector settings set station.id|station.line|station.name VALUE [--db FILE]',
    '       inspector settings set dicom.config dicom.yaml [--db FILE]   # the desktop app runs this DICOM node',
    '',
    'Kept in settings.yaml in the folder of the history database (the data folder by default).',
    'Runs recorded afterwards carry the station id and line (history exports: columns station, line);',
    'the PDF audit report names the exporting station. station.id is needed before line or name.',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
    const dir = stationDirOf(historyDbPath(values.db));
    const say = (s: StationFacts | null) =>
      process.stdout.write(
        values.json
          ? JSON.stringify({ file: stationFile(dir), station: s }, null, 2) + '\n'
          : s
            ? `station.id ${s.id}\n${s.line ? `station.line ${s.line}\n` : ''}${s.name ? `station.name ${s.name}\n` : ''}(${stationFile(dir)})\n`
            : `No station set (${stationFile(dir)}): inspector settings set station.id ID\n`,
      );
    if (sub === 'show') {
      say(loadStation(dir));
      const dicom = loadDicomSetting(dir);
      if (dicom && !values.json) process.stdout.write(`dicom.config ${dicom}\n`);
      return 0;
    }
    if (sub !== 'set') throw usageError(`settings needs "show" or "set KEY VALUE"; got "${sub ?? ''}".`);
    const [key, value] = positionals;
    if (key === 'dicom.config' && value !== undefined) {
      mkdirSync(dir, { recursive: true });
      // Checked now (coded DICOM_CONFIG_* errors), not first at the app's next start.
      loadDicomConfig(resolve(dir, value));
      process.stdout.write(`dicom.config ${saveDicomSetting(dir, value)}\n`);
      return 0;
    }
    if (!key || !(key in KEYS) || value === undefined) throw usageError(`settings set needs a key (${Object.keys(KEYS).join(', ')}) and a value.`);
    const field = KEYS[key as keyof typeof KEYS];
    const current = loadStation(dir);
    if (field !== 'id' && !current) throw usageError('Set station.id first.');
    mkdirSync(dirname(stationFile(dir)), { recursive: true });
    say(saveStation(dir, { ...(current ?? { id: value }), [field]: value }));
    return 0;
  },
};
