/**
 * Settings of this workstation, in `settings.yaml` in the data folder (beside inspector.sqlite):
 * the station it is (`station.id`, `station.line`, `station.name`), the services the desktop app
 * runs while open (`station_service.config`, `dicom.config`) and its fleet connection
 * (`fleet.central`, `fleet.dashboard`, `fleet.interval_s`). One small file rather than a history
 * setting: it belongs to the machine, not to the records (a restored or merged history must not
 * change which station it says it is), and a line engineer can set it by hand or with
 * `inspector settings set KEY VALUE`. (The line service's own `station.yaml`, docs/STATION.md, is a
 * different file: its --config.)
 *
 * One reader and one writer serve every section: a section is replaced as a whole and every other
 * section is kept exactly as it was; a malformed file is an error, never ignored or overwritten.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { InspectorError } from '../../shared/errors';
import { parseYamlBounded, readTextFileSync } from '../files/yaml';

const Id = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}._@ -]+$/u, 'letters, digits, spaces or . _ @ -');

export const StationSchema = z.strictObject({ id: Id, line: Id.optional(), name: z.string().trim().min(1).max(120).optional() });
export type StationFacts = z.infer<typeof StationSchema>;
/** `dicom: { config: dicom.yaml }`: the desktop app runs the DICOM node with that file (relative to the data folder). */
const DicomSetting = z.strictObject({ config: z.string().trim().min(1) });
/** The line service the desktop app runs while it is open: `station_service.config` is a station.yaml (docs/STATION.md). */
export const StationServiceSchema = z.strictObject({ config: z.string().trim().min(1).max(4096) });
export type StationServiceSettings = z.infer<typeof StationServiceSchema>;
const PgUrl = z.string().trim().regex(/^postgres(ql)?:\/\/.+/, 'a postgres:// URL');
/**
 * The fleet (docs/FLEET.md): `central` is where the app syncs this station's history in the
 * background (the sync role); `dashboard` is a read-only connection for the Fleet room's
 * statistics (its own, read-only credentials: the app never writes central data except by sync).
 * Passwords never go here: PGPASSWORD, or libpq's password file.
 */
export const FleetSchema = z.strictObject({ central: PgUrl.optional(), dashboard: PgUrl.optional(), interval_s: z.number().min(1).max(86_400).optional() });
export type FleetSettings = z.infer<typeof FleetSchema>;
const SettingsSchema = z.strictObject({
  station: StationSchema.optional(),
  dicom: DicomSetting.optional(),
  station_service: StationServiceSchema.optional(),
  fleet: FleetSchema.optional(),
});
type Settings = z.infer<typeof SettingsSchema>;

export const STATION_FILE = 'settings.yaml';
export const stationFile = (dataDir: string) => join(dataDir, STATION_FILE);
/** The station file that goes with a history database: in the same folder. */
export const stationDirOf = (databaseFile: string) => dirname(databaseFile);

function readSettingsYaml(file: string): unknown {
  try {
    return parseYamlBounded(readTextFileSync(file));
  } catch (e) {
    throw new InspectorError('SETTINGS_BAD_FILE', `${file} is not valid YAML: ${(e as Error).message}`, { file });
  }
}

/** Every section, validated; null when the file does not exist. */
export function loadSettings(dataDir: string): Settings | null {
  const file = stationFile(dataDir);
  if (!existsSync(file)) return null;
  const r = SettingsSchema.safeParse(readSettingsYaml(file) ?? {});
  if (!r.success) throw new InspectorError('SETTINGS_BAD_FILE', `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`, { file });
  return r.data;
}

/** Replaces one section (null removes it), keeping the others; atomically (a temporary file renamed into place). */
function writeSection<K extends keyof Settings>(dataDir: string, key: K, value: Settings[K] | null): void {
  const file = stationFile(dataDir);
  const prev = (existsSync(file) ? (readSettingsYaml(file) as Record<string, unknown> | null) : null) ?? {};
  const { [key]: _old, ...rest } = prev;
  void _old;
  writeFileSync(`${file}.tmp`, `# Inspector workstation settings (docs/REPORTS.md)\n${stringify({ ...rest, ...(value ? { [key]: value } : {}) })}`);
  renameSync(`${file}.tmp`, file);
}

function checked<T>(schema: z.ZodType<T>, value: unknown, section: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new InspectorError('SETTINGS_BAD_VALUE', `${section}.${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The station's facts, or null when the file does not exist. A malformed file is an error, never ignored. */
export function loadStation(dataDir: string): StationFacts | null {
  return loadSettings(dataDir)?.station ?? null;
}

/** Writes the station facts; the other settings stay as they were. */
export function saveStation(dataDir: string, facts: StationFacts): StationFacts {
  const v = checked(StationSchema, facts, 'station');
  writeSection(dataDir, 'station', v);
  return v;
}

/** The DICOM node configuration file the app should run, resolved against the data folder; null when not set. */
export function loadDicomSetting(dataDir: string): string | null {
  const d = loadSettings(dataDir)?.dicom;
  return d ? resolve(dataDir, d.config) : null;
}

/** Names the DICOM node configuration the app runs (kept as given: relative paths resolve against the data folder). */
export function saveDicomSetting(dataDir: string, config: string): string {
  const v = checked(DicomSetting, { config }, 'dicom');
  writeSection(dataDir, 'dicom', v);
  return resolve(dataDir, v.config);
}

/** The line service to run in the desktop app, or null when none is set. */
export function loadStationService(dataDir: string): StationServiceSettings | null {
  return loadSettings(dataDir)?.station_service ?? null;
}

/** Sets (or with null, clears) the line service; the other settings are kept. */
export function saveStationService(dataDir: string, service: StationServiceSettings | null): StationServiceSettings | null {
  const v = service ? checked(StationServiceSchema, service, 'station_service') : null;
  writeSection(dataDir, 'station_service', v);
  return v;
}

/** The fleet connection, or null when none is set. */
export function loadFleetSetting(dataDir: string): FleetSettings | null {
  return loadSettings(dataDir)?.fleet ?? null;
}

/** Changes fleet keys (a null value removes that key); the other settings are kept. */
export function saveFleetSetting(dataDir: string, patch: { [K in keyof FleetSettings]?: FleetSettings[K] | null }): FleetSettings | null {
  const merged: Record<string, unknown> = { ...(loadFleetSetting(dataDir) ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else if (v !== undefined) merged[k] = v;
  }
  const v = Object.keys(merged).length ? checked(FleetSchema, merged, 'fleet') : null;
  writeSection(dataDir, 'fleet', v);
  return v;
}
