/**
 * Settings of this workstation, in `settings.yaml` in the data folder (beside inspector.sqlite):
 * for now the station it is — `station.id`, `station.line`, `station.name`. One small file rather
 * than a history setting: it belongs to the machine, not to the records (a restored or merged
 * history must not change which station it says it is), and a line engineer can set it by hand or
 * with `inspector settings set station.id ST01`. Each recorded run's case gets the id and line, and
 * the audit report states the exporting station. (The line service's own `station.yaml`,
 * docs/STATION.md, is a different file: its --config.)
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { InspectorError } from '../../shared/errors';

const Id = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}._@ -]+$/u, 'letters, digits, spaces or . _ @ -');

export const StationSchema = z.strictObject({ id: Id, line: Id.optional(), name: z.string().trim().min(1).max(120).optional() });
export type StationFacts = z.infer<typeof StationSchema>;
/** The line service the desktop app runs while it is open: `station_service.config` is a station.yaml (docs/STATION.md). */
export const StationServiceSchema = z.strictObject({ config: z.string().trim().min(1).max(4096) });
export type StationServiceSettings = z.infer<typeof StationServiceSchema>;
const SettingsSchema = z.strictObject({ station: StationSchema.optional(), station_service: StationServiceSchema.optional() });
type Settings = z.infer<typeof SettingsSchema>;

export const STATION_FILE = 'settings.yaml';
export const stationFile = (dataDir: string) => join(dataDir, STATION_FILE);
/** The station file that goes with a history database: in the same folder. */
export const stationDirOf = (databaseFile: string) => dirname(databaseFile);

/** The station's facts, or null when the file does not exist. A malformed file is an error, never ignored. */
export function loadStation(dataDir: string): StationFacts | null {
  return loadSettings(dataDir)?.station ?? null;
}

/** The line service to run in the desktop app, or null when none is set. */
export function loadStationService(dataDir: string): StationServiceSettings | null {
  return loadSettings(dataDir)?.station_service ?? null;
}

/** Sets (or with null, clears) the line service; the station facts are kept. */
export function saveStationService(dataDir: string, service: StationServiceSettings | null): StationServiceSettings | null {
  const r = service ? StationServiceSchema.safeParse(service) : null;
  if (r && !r.success) throw new InspectorError('SETTINGS_BAD_VALUE', `station_service.${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const current = loadSettings(dataDir) ?? {};
  writeSettings(dataDir, { ...(current.station ? { station: current.station } : {}), ...(r?.data ? { station_service: r.data } : {}) });
  return r?.data ?? null;
}

function writeSettings(dataDir: string, settings: Settings): void {
  const file = stationFile(dataDir);
  writeFileSync(`${file}.tmp`, `# Inspector workstation settings (docs/REPORTS.md)\n${stringify(settings)}`);
  renameSync(`${file}.tmp`, file);
}

function loadSettings(dataDir: string): Settings | null {
  const file = stationFile(dataDir);
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InspectorError('SETTINGS_BAD_FILE', `${file} is not valid YAML: ${(e as Error).message}`, { file });
  }
  const r = SettingsSchema.safeParse(raw ?? {});
  if (!r.success) throw new InspectorError('SETTINGS_BAD_FILE', `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`, { file });
  return r.data;
}

/** Writes the station file (atomically: a temporary file renamed into place). */
export function saveStation(dataDir: string, facts: StationFacts): StationFacts {
  const r = StationSchema.safeParse(facts);
  if (!r.success) throw new InspectorError('SETTINGS_BAD_VALUE', `station.${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const service = loadSettings(dataDir)?.station_service;
  writeSettings(dataDir, { station: r.data, ...(service ? { station_service: service } : {}) });
  return r.data;
}
