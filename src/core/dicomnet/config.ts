/**
 * `dicom.yaml`: the DICOM node's settings — who we are (AE title, port, bind address), whom we
 * accept studies from, which pack inspects what arrives, and where results go. Validated on load
 * with coded errors; keys are the ones issue #17 names (snake_case, as PACS admins write them).
 */
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

export const ResultObject = z.enum(['sr', 'sc', 'seg']);
export type ResultObject = z.infer<typeof ResultObject>;

/** `deidentify: true`: what goes there is de-identified first (PS3.15 basic profile; see deid.ts). */
const DimseDestination = z
  .object({ aet: AeTitle, host: z.string().min(1), port: Port, objects: z.array(ResultObject).min(1).default(['sr', 'sc']), deidentify: z.boolean().optional() })
  .strict();
const WebDestination = z
  .object({ url: z.url({ protocol: /^https?$/ }), objects: z.array(ResultObject).min(1).default(['sr', 'sc']), deidentify: z.boolean().optional() })
  .strict();
export const Destination = z.union([DimseDestination, WebDestination]);
export type Destination = z.infer<typeof Destination>;
export type DimseDestination = z.infer<typeof DimseDestination>;

export const RuleCondition = z
  .object({
    modality: z.string().min(1).optional(),
    body_part: z.string().min(1).optional(),
    sop_class: z.string().min(1).optional(),
    station_name: z.string().min(1).optional(),
  })
  .strict()
  .refine((w) => Object.values(w).some((v) => v !== undefined), 'a rule needs at least one of modality, body_part, sop_class, station_name');

export const DicomNodeConfig = z
  .object({
    ae_title: AeTitle.default('INSPECTOR'),
    port: Port.default(11112),
    /** Loopback unless an administrator opens it on purpose. */
    bind: z.string().min(1).default('127.0.0.1'),
    /** Peers we accept associations from; an empty list accepts nobody. `host` omitted = any host for that AE title. */
    allow: z.array(z.object({ aet: AeTitle, host: z.string().min(1).optional() }).strict()).default([]),
    auto_inspect: z.array(z.object({ when: RuleCondition, pack: z.string().min(1) }).strict()).default([]),
    send_results: z.array(Destination).default([]),
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

export function parseDicomConfig(text: string, path?: string): DicomNodeConfig {
  let doc: unknown;
  try {
    doc = parseYamlBounded(text) ?? {};
  } catch (err) {
    throw new InspectorError('DICOM_CONFIG_UNREADABLE', `${path ?? 'dicom.yaml'} is not valid YAML: ${(err as Error).message}`, { path });
  }
  const r = DicomNodeConfig.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InspectorError('DICOM_CONFIG_INVALID', `${path ?? 'dicom.yaml'} is invalid: ${issues.join('; ')}`, { path, issues });
  }
  return r.data;
}

export function loadDicomConfig(path: string | undefined): DicomNodeConfig {
  if (!path) return parseDicomConfig('');
  let text: string;
  try {
    text = readTextFileSync(path);
  } catch (e) {
    // A FIFO or an oversized file is named as such (FILE_NOT_REGULAR / FILE_TOO_LARGE), not as missing.
    if (e instanceof InspectorError) throw e;
    throw new InspectorError('DICOM_CONFIG_NOT_FOUND', `No such DICOM configuration file: ${path}`, { path });
  }
  return parseDicomConfig(text, path);
}

/** `AET@host:port`, as `inspector dicom send --to` takes it. */
export function parseAddress(s: string): DimseDestination {
  const m = /^([^@]+)@(.+):(\d+)$/.exec(s);
  if (!m) throw new InspectorError('USAGE', `A DICOM address looks like AET@host:port; got "${s}".`);
  const r = DimseDestination.safeParse({ aet: m[1], host: m[2], port: Number(m[3]) });
  if (!r.success) throw new InspectorError('USAGE', `Bad DICOM address "${s}": ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}
