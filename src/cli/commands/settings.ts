import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDicomConfig } from '../../core/dicomnet/config';
import { checkCentralTls } from '../../core/fleet/central';
import { loadDicomSetting, loadFleetSetting, loadStation, loadStationService, saveDicomSetting, saveFleetSetting, saveStation, saveStationService, stationDirOf, stationFile, type StationFacts } from '../../core/settings/index';
import type { Command } from '../command';
import { historyDbPath, usageError } from '../historyDb';

const KEYS = { 'station.id': 'id', 'station.line': 'line', 'station.name': 'name' } as const;

/**
 * This workstation's settings (settings.yaml beside the history database): the station id, line
 * and name that every run recorded here carries and that audit reports state.
 */
export const settingsCommand: Command = {
  name: 'settings',
  summary: 'workstation settings: station id/line/name stamped on runs and reports, station/DICOM/fleet configs (show|set)',
  help: [
    'Usage: inspector settings show [--db FILE] [--json]',
    '       inspector settings set station.id|station.line|station.name VALUE [--db FILE]',
    '       inspector settings set station.config station.yaml|none [--db FILE]',
    '       inspector settings set dicom.config dicom.yaml [--db FILE]   # the desktop app runs this DICOM node',
    '       inspector settings set fleet.central|fleet.dashboard postgres://…|none [--db FILE]',
    '       inspector settings set fleet.interval_s SECONDS [--db FILE]',
    '',
    'Kept in settings.yaml in the folder of the history database (the data folder by default).',
    'Runs recorded afterwards carry the station id and line (history exports: columns station, line);',
    'the PDF audit report names the exporting station. station.id is needed before line or name.',
    'station.config: the line service (docs/STATION.md) the desktop app starts and shows in its Line room.',
    'fleet.central: the desktop app syncs this history there in the background (docs/FLEET.md);',
    'fleet.dashboard: a read-only connection (own credentials) for the Fleet room\'s statistics.',
    'A URL to another host must state sslmode (FLEET_TLS_REQUIRED); passwords come from PGPASSWORD.',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { db: { type: 'string' }, json: { type: 'boolean' } } });
    const dir = stationDirOf(historyDbPath(values.db));
    const say = (s: StationFacts | null) =>
      process.stdout.write(
        values.json
          ? JSON.stringify({ file: stationFile(dir), station: s, stationService: loadStationService(dir) }, null, 2) + '\n'
          : s
            ? `station.id ${s.id}\n${s.line ? `station.line ${s.line}\n` : ''}${s.name ? `station.name ${s.name}\n` : ''}(${stationFile(dir)})\n`
            : `No station set (${stationFile(dir)}): inspector settings set station.id ID\n`,
      );
    if (sub === 'show') {
      say(loadStation(dir));
      const service = loadStationService(dir);
      if (service && !values.json) process.stdout.write(`station.config ${service.config}\n`);
      const dicom = loadDicomSetting(dir);
      if (dicom && !values.json) process.stdout.write(`dicom.config ${dicom}\n`);
      const fleet = loadFleetSetting(dir);
      if (fleet && !values.json) for (const [k, v] of Object.entries(fleet)) process.stdout.write(`fleet.${k} ${String(v).replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}\n`);
      return 0;
    }
    if (sub !== 'set') throw usageError(`settings needs "show" or "set KEY VALUE"; got "${sub ?? ''}".`);
    const [key, value] = positionals;
    if (key === 'station.config') {
      if (!value) throw usageError('settings set station.config needs a station.yaml path (or none).');
      mkdirSync(dirname(stationFile(dir)), { recursive: true });
      const saved = saveStationService(dir, value === 'none' ? null : { config: resolve(value) });
      process.stdout.write(saved ? `station.config ${saved.config}\n(${stationFile(dir)})\n` : `station.config cleared (${stationFile(dir)})\n`);
      return 0;
    }
    if (key === 'dicom.config' && value !== undefined) {
      mkdirSync(dir, { recursive: true });
      // Checked now (coded DICOM_CONFIG_* errors), not first at the app's next start.
      loadDicomConfig(resolve(dir, value));
      process.stdout.write(`dicom.config ${saveDicomSetting(dir, value)}\n`);
      return 0;
    }
    if ((key === 'fleet.central' || key === 'fleet.dashboard' || key === 'fleet.interval_s') && value !== undefined) {
      mkdirSync(dir, { recursive: true });
      const field = key.slice('fleet.'.length) as 'central' | 'dashboard' | 'interval_s';
      if (value !== 'none' && field !== 'interval_s') checkCentralTls(value); // refused now, not first at the app's next start
      const v = value === 'none' ? null : field === 'interval_s' ? Number(value) : value;
      const saved = saveFleetSetting(dir, { [field]: v });
      process.stdout.write(v === null ? `${key} cleared (${stationFile(dir)})\n` : `${key} set (${stationFile(dir)}); fleet: ${Object.keys(saved ?? {}).join(', ')}\n`);
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
