/**
 * `dicom.yaml`: the DICOM node's settings — who we are (AE title, port, bind address), whom we
 * accept studies from, which pack inspects what arrives, and where results go. Validated on load
 * with coded errors; keys are the ones issue #17 names (snake_case, as PACS admins write them).
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { InspectorError } from '../../shared/errors';
import { parseYamlBounded, readTextFileSync } from '../files/yaml';

/** PS3.5 §6.2: AE is up to 16 characters of the default repertoire, no backslash or control characters; leading/trailing spaces are not significant. */
export const AeTitle = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'an AE title is up to 16 printable ASCII characters without backslash')
  .refine((s) => s.trim().length > 0, 'an AE title must not be blank');

/** A UID root: digits and dots, no leading zeros in a component, short enough to leave room for our suffixes. */
export const UidRoot = z
  .string()
  .max(40, 'a UID root longer than 40 characters leaves too little room under the 64-character UID limit')
  .regex(/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/, 'a UID root is digits separated by dots, without leading zeros');

const Port = z.number().int().min(1).max(65535);

export const ResultObject = z.enum(['sr', 'sc', 'seg', 'pmap']);
export type ResultObject = z.infer<typeof ResultObject>;

/**
 * `volume` (default true): the auto-inspected maps (pmap, seg) of a CT/MR/PT series go to this
 * destination as ONE multi-frame object per series (autoVolume.ts); false sends one per slice.
 * Optional rather than `.default(true)` so destinations built in code (CLI `--to`, tests) stay valid.
 */
const Volume = z.boolean().optional();

/**
 * `sr`: how the auto-inspected SR goes to this destination — `per_run` (absent: one SR per run,
 * i.e. per image/slice, what existing deployments receive) or `per_study` (ONE TID 1500 SR per
 * study with a measurement group per run; objects/sr.ts `buildStudySr`). Optional, like `volume`.
 */
export const SrGrouping = z.enum(['per_run', 'per_study']);
export type SrGrouping = z.infer<typeof SrGrouping>;
const Sr = SrGrouping.optional();

/** `deidentify: true`: what goes there is de-identified first (PS3.15 basic profile; see deid.ts). */
const DimseDestination = z
  .object({
    aet: AeTitle,
    host: z.string().min(1),
    port: Port,
    objects: z.array(ResultObject).min(1).default(['sr', 'sc']),
    deidentify: z.boolean().optional(),
    /** Reach this peer over DICOM TLS with the node's `tls` certificate (the config must have one). */
    tls: z.boolean().optional(),
    volume: Volume,
    sr: Sr,
  })
  .strict();
const WebDestination = z
  .object({ url: z.url({ protocol: /^https?$/ }), objects: z.array(ResultObject).min(1).default(['sr', 'sc']), deidentify: z.boolean().optional(), volume: Volume, sr: Sr })
  .strict();
export const Destination = z.union([DimseDestination, WebDestination]);
export type Destination = z.infer<typeof Destination>;
export type DimseDestination = z.infer<typeof DimseDestination>;
/** Whom an association goes to: what query, retrieve and C-ECHO need of a destination. */
export type DimsePeer = Pick<DimseDestination, 'aet' | 'host' | 'port' | 'tls'> & Partial<Pick<DimseDestination, 'objects' | 'deidentify'>>;

/**
 * Where the reviewed SR goes by itself once a reviewer decides (the `VERIFIED` SR with the decision
 * and the reviewer's measurements): the decisions that send it and the destinations. Only the SR
 * is sent (SC/SEG do not change with a review). Absent = nothing is sent on review.
 */
export const ReviewDecisionName = z.enum(['accept', 'reject', 'override', 'uncertain']);
const SendReviewed = z
  .object({
    on: z.array(ReviewDecisionName).min(1).default(['accept', 'reject', 'override']),
    to: z.array(Destination).min(1),
  })
  // `sr: per_study` in `to`: each review re-issues the study report (every review so far; node.ts `queueReviewSrs`).
  .strict();
export type SendReviewed = z.infer<typeof SendReviewed>;

export const RuleCondition = z
  .object({
    modality: z.string().min(1).optional(),
    body_part: z.string().min(1).optional(),
    sop_class: z.string().min(1).optional(),
    station_name: z.string().min(1).optional(),
  })
  .strict()
  .refine((w) => Object.values(w).some((v) => v !== undefined), 'a rule needs at least one of modality, body_part, sop_class, station_name');

/**
 * DICOM TLS: our certificate and key, the CA peers must chain to (PEM; relative to the config file). See tls.ts.
 * `reload_seconds`: how often the files are checked for a renewed set, put into service without a restart (tlsReload.ts); 0 = off.
 */
const TlsSection = z
  .object({
    cert: z.string().min(1),
    key: z.string().min(1),
    ca: z.string().min(1),
    require_client_cert: z.boolean().default(true),
    reload_seconds: z.number().nonnegative().max(86400).default(60),
  })
  .strict();

/** The PACS the worklist's query/retrieve form asks (C-FIND, then C-GET or C-MOVE to us; or QIDO/WADO). */
const QueryPacs = z.union([
  z.object({ aet: AeTitle, host: z.string().min(1), port: Port, retrieve: z.enum(['get', 'move']).default('get'), tls: z.boolean().optional() }).strict(),
  z.object({ url: z.url({ protocol: /^https?$/ }) }).strict(),
]);
export type QueryPacs = z.infer<typeof QueryPacs>;

export const DicomNodeConfig = z
  .object({
    ae_title: AeTitle.default('INSPECTOR'),
    port: Port.default(11112),
    /** Loopback unless an administrator opens it on purpose. */
    bind: z.string().min(1).default('127.0.0.1'),
    /** Peers we accept associations from; an empty list accepts nobody. `host` omitted = any host for that AE title. */
    allow: z
      .array(
        z
          .object({
            aet: AeTitle,
            host: z.string().min(1).optional(),
            /** Makes the entry a C-MOVE destination (with host). */
            port: Port.optional(),
            /** The C-MOVE sub-association to this destination goes over DICOM TLS with the node's `tls` certificate (as `tls: true` on a send destination). */
            tls: z.boolean().optional(),
          })
          .strict()
          .refine((a) => a.port === undefined || a.host !== undefined, { message: 'an allow entry with a port (a C-MOVE destination) needs its host: Inspector never sends to an address a peer names' })
          .refine((a) => !a.tls || a.port !== undefined, { message: 'tls on an allow entry is for C-MOVE destinations: give it host and port' }),
      )
      .default([]),
    auto_inspect: z.array(z.object({ when: RuleCondition, pack: z.string().min(1) }).strict()).default([]),
    send_results: z.array(Destination).default([]),
    send_reviewed: SendReviewed.optional(),
    /** With it, the listener accepts DICOM TLS only; destinations with `tls: true` are sent to over TLS. */
    tls: TlsSection.optional(),
    query: QueryPacs.optional(),
    /** C-FIND SCP: answer allow-listed peers' study/series queries about what the inbox holds (off unless set: it tells patient ids). */
    answer_find: z.boolean().default(false),
    /** C-MOVE and C-GET SCP for what the inbox holds, to allow-listed peers; C-MOVE only to allow entries with host and port (retrieveScp.ts). */
    answer_retrieve: z.boolean().default(false),
    /** A study counts as complete when no instance of it arrived for this long (Orthanc's StableAge). */
    stable_seconds: z.number().positive().max(3600).default(5),
    /** Root for the UIDs of objects we create; default 2.25 (UUID-derived, PS3.5 B.2). */
    uid_root: UidRoot.default('2.25'),
    /** Inbox folder; default `<data folder>/dicom/inbox`. */
    inbox: z.string().min(1).optional(),
    /** Seconds before a failed send is retried (doubled per attempt, capped at one hour). */
    retry_seconds: z.number().positive().max(3600).default(30),
    /** Network timeouts for outgoing associations, in seconds. */
    timeout_seconds: z.number().positive().max(600).default(15),
  })
  .strict();
export type DicomNodeConfig = z.infer<typeof DicomNodeConfig>;

/**
 * A destination is a union (DIMSE or DICOMweb), whose own issue only says "Invalid input": report
 * the issues of the form it is closest to (fewest issues), with their full paths, so
 * `volume: "no"` reads `send_results.0.volume: Invalid input: expected boolean`.
 */
function closestIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
  if (best.length === 0) return [issue];
  return best.flatMap((i) => closestIssues({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue));
}

export function parseDicomConfig(text: string, path?: string): DicomNodeConfig {
  let doc: unknown;
  try {
    doc = parseYamlBounded(text) ?? {};
  } catch (err) {
    throw new InspectorError('DICOM_CONFIG_UNREADABLE', `${path ?? 'dicom.yaml'} is not valid YAML: ${(err as Error).message}`, { path });
  }
  const r = DicomNodeConfig.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.flatMap(closestIssues).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InspectorError('DICOM_CONFIG_INVALID', `${path ?? 'dicom.yaml'} is invalid: ${issues.join('; ')}`, { path, issues });
  }
  const tlsPeers = [...r.data.send_results, ...(r.data.send_reviewed?.to ?? []), ...(r.data.query ? [r.data.query] : []), ...r.data.allow].filter((d) => 'tls' in d && d.tls);
  if (tlsPeers.length && !r.data.tls) {
    throw new InspectorError('DICOM_CONFIG_INVALID', `${path ?? 'dicom.yaml'} is invalid: a destination asks for tls but the file has no tls section (cert, key, ca)`, { path, issues: ['tls: required by a tls: true destination'] });
  }
  if (r.data.answer_retrieve && r.data.allow.length === 0) {
    throw new InspectorError('DICOM_CONFIG_INVALID', `${path ?? 'dicom.yaml'} is invalid: answer_retrieve is on but the allow-list is empty, so no peer could retrieve`, { path, issues: ['answer_retrieve: needs allow entries'] });
  }
  return r.data;
}

/** The text of a dicom.yaml: missing is DICOM_CONFIG_NOT_FOUND; a FIFO or an oversized file is named as such (FILE_NOT_REGULAR / FILE_TOO_LARGE). */
export function readDicomConfigText(path: string): string {
  try {
    return readTextFileSync(path);
  } catch (e) {
    if (e instanceof InspectorError) throw e;
    throw new InspectorError('DICOM_CONFIG_NOT_FOUND', `No such DICOM configuration file: ${path}`, { path });
  }
}

export function loadDicomConfig(path: string | undefined): DicomNodeConfig {
  if (!path) return parseDicomConfig('');
  const config = parseDicomConfig(readDicomConfigText(path), path);
  // Certificate paths are written relative to the file that names them.
  if (config.tls) {
    const base = dirname(resolve(path));
    for (const k of ['cert', 'key', 'ca'] as const) config.tls[k] = resolve(base, config.tls[k]);
  }
  return config;
}

/** `AET@host:port`, as `inspector dicom send --to` takes it. */
export function parseAddress(s: string): DimseDestination {
  const m = /^([^@]+)@(.+):(\d+)$/.exec(s);
  if (!m) throw new InspectorError('USAGE', `A DICOM address looks like AET@host:port; got "${s}".`);
  const r = DimseDestination.safeParse({ aet: m[1], host: m[2], port: Number(m[3]) });
  if (!r.success) throw new InspectorError('USAGE', `Bad DICOM address "${s}": ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}
