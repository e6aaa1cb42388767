/**
 * The station a workstation is: its id, the line it stands on and a readable name, in
 * `station.yaml` in the data folder (beside inspector.sqlite). One small file rather than a
 * history setting: it belongs to the machine, not to the records (a restored or merged history
 * must not change which station it says it is), and a line engineer can set it by hand or with
 * `inspector station set --id ST01 --line L2`. Each recorded run's case gets these, and the audit
 * report states the exporting station.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { InspectorError } from '../../shared/errors';

const Id = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}._@ -]+$/u, 'letters, digits, spaces or . _ @ -');

export const StationSchema = z.strictObject({ id: Id, line: Id.optional(), name: z.string().trim().min(1).max(120).optional() });
export type StationFacts = z.infer<typeof StationSchema>;

export const STATION_FILE = 'station.yaml';
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
    throw new InspectorError('STATION_BAD_FILE', `${file} is not valid YAML: ${(e as Error).message}`, { file });
  }
  const r = StationSchema.safeParse(raw);
  if (!r.success) throw new InspectorError('STATION_BAD_FILE', `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`, { file });
  return r.data;
}

/** Writes the station file (atomically: a temporary file renamed into place). */
export function saveStation(dataDir: string, facts: StationFacts): StationFacts {
  const r = StationSchema.safeParse(facts);
  if (!r.success) throw new InspectorError('STATION_BAD_FILE', `Station settings: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const file = stationFile(dataDir);
  writeFileSync(`${file}.tmp`, `# Inspector station settings (docs/REPORTS.md)\n${stringify(r.data)}`);
  renameSync(`${file}.tmp`, file);
  return r.data;
}
