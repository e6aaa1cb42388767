/**
 * `station.yaml`: which folders a line station watches, how files group into cases, and where
 * verdicts go (MQTT, OPC UA, REST). Validated on load with one coded error naming every bad key, so a
 * typo on a line PC is found at start, not at the first part.
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { InspectorError } from '../../shared/errors';
import { parseYamlBounded, readTextFileSync } from '../files/yaml';

const After = z.union([z.literal('keep'), z.literal('delete'), z.string().regex(/^move:.+/, 'keep, delete or move:DIR')]);

const Watch = z
  .object({
    dir: z.string().min(1),
    /** Case grouping from the file name, as for `batch`: `{serial}` (the case) and `{view}` are required. */
    pattern: z
      .string()
      .default('{serial}_{view}.{ext}')
      .refine((p) => p.includes('{serial}') && p.includes('{view}'), { message: 'pattern needs {serial} and {view}' }),
    views: z.array(z.string().min(1)).min(1),
    settle_ms: z.number().int().min(0).max(600_000).default(500),
    case_timeout_ms: z.number().int().min(1).max(3_600_000).default(10_000),
    after: After.default('keep'),
  })
  .strict();

const Mqtt = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp):\/\/.+/, 'an mqtt:// or mqtts:// URL'),
    topic: z.string().min(1).refine((t) => !/[#+]/.test(t), { message: 'a topic without wildcards' }),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    username: z.string().optional(),
    /** Name of an environment variable holding the password: secrets stay out of the YAML. */
    password_env: z.string().optional(),
    client_id: z.string().optional(),
  })
  .strict();

const OpcUa = z
  .object({
    port: z.number().int().min(0).max(65535),
    host: z.string().default('127.0.0.1'),
    /** SignAndEncrypt Basic256Sha256 only by default; `none` adds an unsecured endpoint (test benches). */
    security: z.enum(['sign-and-encrypt', 'sign', 'none']).default('sign-and-encrypt'),
    allow_anonymous: z.boolean().default(false),
    /** user → name of an environment variable holding the password. */
    users: z.record(z.string(), z.string()).default({}),
    /** Accept client certificates not yet trusted (commissioning only; off by default). */
    auto_accept_certificates: z.boolean().default(false),
    trigger_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
    ack_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();

const Rest = z
  .object({
    port: z.number().int().min(0).max(65535),
    host: z.string().default('127.0.0.1'),
    /** Name of the environment variable holding the bearer token (default INSPECTOR_STATION_TOKEN). */
    token_env: z.string().default('INSPECTOR_STATION_TOKEN'),
    /** Largest image an upload to POST /inspections may carry (each file), MiB; larger is refused with 413. */
    upload_max_mb: z.number().positive().max(1024).default(32),
  })
  .strict();

/** Background sync of the station's history to the fleet's central PostgreSQL (docs/FLEET.md). */
const Sync = z
  .object({
    to: z.string().regex(/^postgres(ql)?:\/\/.+/, 'a postgres:// URL'),
    interval_s: z.number().min(1).max(86_400).default(10),
    /** Name of the environment variable holding the database password (never in the file). */
    password_env: z.string().default('PGPASSWORD'),
  })
  .strict();

export const StationConfig = z
  .object({
    station: z.object({ id: z.string().min(1), line: z.string().min(1) }).strict(),
    inspection: z.string().min(1),
    watch: z.array(Watch).min(1),
    queue: z.object({ max: z.number().int().min(1).max(100_000).default(64) }).strict().prefault({}),
    // Non-deciding work (a side's grounding findings): after_publish (default) publishes the OK/NG as
    // soon as it is recorded and records/publishes the findings after it; with_decision waits for them.
    findings: z.enum(['after_publish', 'with_decision']).default('after_publish'),
    // The deciding packs' explanation (e.g. the battery pack's HiResCAM): after_publish (default) decides
    // from the scores alone, publishes, then draws the map and records it as its own audited record
    // (run_explanations); with_decision draws it inside the decision and the signed run, as `batch` does.
    explanation: z.enum(['after_publish', 'with_decision']).default('after_publish'),
    publish: z.object({ mqtt: Mqtt.optional(), opcua: OpcUa.optional(), rest: Rest.optional() }).strict().prefault({}),
    sync: Sync.optional(),
  })
  .strict();
export type StationConfig = z.infer<typeof StationConfig>;
export type WatchConfig = z.infer<typeof Watch>;
export type MqttConfig = z.infer<typeof Mqtt>;
export type OpcUaConfig = z.infer<typeof OpcUa>;
export type RestConfig = z.infer<typeof Rest>;
export type SyncConfig = z.infer<typeof Sync>;

export interface LoadedStationConfig {
  config: StationConfig;
  sha256: string;
  path?: string;
}

/** Parses station YAML; relative paths (inspection, watch dirs, move targets) resolve against `baseDir`. */
export function parseStationConfig(text: string, path?: string, baseDir = path ? dirname(path) : process.cwd()): LoadedStationConfig {
  const name = path ?? 'station.yaml';
  let doc: unknown;
  try {
    doc = parseYamlBounded(text) ?? {};
  } catch (err) {
    throw new InspectorError('STATION_CONFIG_UNREADABLE', `${name} is not valid YAML: ${(err as Error).message}`, { path });
  }
  const r = StationConfig.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InspectorError('STATION_CONFIG_INVALID', `${name} is invalid: ${issues.join('; ')}`, { path, issues });
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const c = r.data;
  const config: StationConfig = {
    ...c,
    inspection: abs(c.inspection),
    watch: c.watch.map((w) => ({ ...w, dir: abs(w.dir), after: w.after.startsWith('move:') ? `move:${abs(w.after.slice(5))}` : w.after })),
  };
  const dirs = config.watch.map((w) => w.dir);
  if (new Set(dirs).size !== dirs.length) {
    throw new InspectorError('STATION_CONFIG_INVALID', `${name} is invalid: watch: the same dir is listed twice`, { path, issues: ['watch: duplicate dir'] });
  }
  return { config, sha256: createHash('sha256').update(text).digest('hex'), ...(path ? { path } : {}) };
}

export function loadStationConfig(path: string): LoadedStationConfig {
  let text: string;
  try {
    text = readTextFileSync(path);
  } catch (e) {
    // A FIFO or an oversized file is named as such (FILE_NOT_REGULAR / FILE_TOO_LARGE), not as missing.
    if (e instanceof InspectorError) throw e;
    throw new InspectorError('STATION_CONFIG_NOT_FOUND', `No such station configuration file: ${path}`, { path });
  }
  return parseStationConfig(text, resolve(path));
}
