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
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { InspectorError } from '../../shared/errors';

const Id = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}._@ -]+$/u, 'letters, digits, spaces or . _ @ -');

export const StationSchema = z.strictObject({ id: Id, line: Id.optional(), name: z.string().trim().min(1).max(120).optional() });
export type StationFacts = z.infer<typeof StationSchema>;
/** `dicom: { config: dicom.yaml }`: the desktop app runs the DICOM node with that file (relative to the data folder). */
const DicomSetting = z.strictObject({ config: z.string().trim().min(1) });
const SettingsSchema = z.strictObject({ station: StationSchema.optional(), dicom: DicomSetting.optional() });

export const STATION_FILE = 'settings.yaml';
export const stationFile = (dataDir: string) => join(dataDir, STATION_FILE);
/** The station file that goes with a history database: in the same folder. */
export const stationDirOf = (databaseFile: string) => dirname(databaseFile);

/** The station's facts, or null when the file does not exist. A malformed file is an error, never ignored. */
export function loadStation(dataDir: string): StationFacts | null {
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
  return r.data.station ?? null;
}

/** The DICOM node configuration file the app should run, resolved against the data folder; null when not set. */
export function loadDicomSetting(dataDir: string): string | null {
  const file = stationFile(dataDir);
  if (!existsSync(file)) return null;
  const r = SettingsSchema.safeParse(readSettingsYaml(file) ?? {});
  if (!r.success) throw new InspectorError('SETTINGS_BAD_FILE', `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`, { file });
  return r.data.dicom ? resolve(dataDir, r.data.dicom.config) : null;
}

/** Names the DICOM node configuration the app runs (kept as given: relative paths resolve against the data folder). */
export function saveDicomSetting(dataDir: string, config: string): string {
  const r = DicomSetting.safeParse({ config });
  if (!r.success) throw new InspectorError('SETTINGS_BAD_VALUE', `dicom.config: ${r.error.issues.map((i) => i.message).join('; ')}`);
  const file = stationFile(dataDir);
  const prev = existsSync(file) ? (readSettingsYaml(file) as Record<string, unknown> | null) : null;
  writeFileSync(`${file}.tmp`, `# Inspector workstation settings (docs/REPORTS.md)\n${stringify({ ...(prev ?? {}), dicom: r.data })}`);
  renameSync(`${file}.tmp`, file);
  return resolve(dataDir, r.data.config);
}

function readSettingsYaml(file: string): unknown {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InspectorError('SETTINGS_BAD_FILE', `${file} is not valid YAML: ${(e as Error).message}`, { file });
  }
}

/** Writes the station file (atomically: a temporary file renamed into place). */
export function saveStation(dataDir: string, facts: StationFacts): StationFacts {
  const r = StationSchema.safeParse(facts);
  if (!r.success) throw new InspectorError('SETTINGS_BAD_VALUE', `station.${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const file = stationFile(dataDir);
  // Other settings in the file (the DICOM node's) stay as they were.
  const prev = existsSync(file) ? (readSettingsYaml(file) as Record<string, unknown> | null) : null;
  writeFileSync(`${file}.tmp`, `# Inspector workstation settings (docs/REPORTS.md)\n${stringify({ ...(prev ?? {}), station: r.data })}`);
  renameSync(`${file}.tmp`, file);
  return r.data;
}
