/**
 * The Node settings panel's pure part: the host's parsed config as an editable draft (text inputs),
 * the draft as the edit the host validates, and the host's schema issues by field path.
 */
import type { ErrorInfo } from '../../../shared/errors';

export const RESULT_OBJECTS = ['sr', 'sc', 'seg', 'pmap'] as const;

/** An entry as typed; `extra` keeps the keys the panel does not edit (port/tls of an allow entry, deidentify, volume…). */
export interface AllowRow {
  aet: string;
  host: string;
  extra: Record<string, unknown>;
}
export interface DestinationRow {
  aet: string;
  host: string;
  port: string;
  objects: string[];
  extra: Record<string, unknown>;
}
export interface NodeSettingsDraft {
  ae_title: string;
  port: string;
  allow: AllowRow[];
  send_results: DestinationRow[];
}

type Entry = Record<string, unknown>;
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const without = (o: Entry, keys: string[]): Entry => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

export function draftOf(config: Record<string, unknown>): NodeSettingsDraft {
  const allow = (config['allow'] as Entry[] | undefined) ?? [];
  const dests = ((config['send_results'] as Entry[] | undefined) ?? []).filter((d) => !('url' in d));
  return {
    ae_title: str(config['ae_title']),
    port: str(config['port']),
    allow: allow.map((a) => ({ aet: str(a['aet']), host: str(a['host']), extra: without(a, ['aet', 'host']) })),
    send_results: dests.map((d) => ({ aet: str(d['aet']), host: str(d['host']), port: str(d['port']), objects: (d['objects'] as string[] | undefined) ?? ['sr', 'sc'], extra: without(d, ['aet', 'host', 'port', 'objects']) })),
  };
}

/** A port as typed: a whole number goes as a number, anything else as typed, for the schema to name. */
const portOf = (s: string): unknown => (/^\s*\d+\s*$/.test(s) ? Number(s) : s);

export function editOf(d: NodeSettingsDraft) {
  return {
    ae_title: d.ae_title,
    port: portOf(d.port),
    allow: d.allow.map((a) => ({ ...a.extra, aet: a.aet.trim(), host: a.host.trim() })),
    send_results: d.send_results.map((r) => ({ ...r.extra, aet: r.aet.trim(), host: r.host.trim(), port: portOf(r.port), objects: r.objects })),
  };
}

/** The schema's issues by field path (`port`, `allow.0.aet`); an issue without one is under `''`. */
export function issuesByField(err: ErrorInfo | null): Record<string, string[]> {
  const issues = err?.details?.['issues'];
  const out: Record<string, string[]> = {};
  if (!Array.isArray(issues)) return out;
  for (const i of issues) {
    const s = String(i);
    const at = s.indexOf(': ');
    const [path, message] = at > 0 ? [s.slice(0, at), s.slice(at + 2)] : ['', s];
    (out[path === '(root)' ? '' : path] ??= []).push(message);
  }
  return out;
}

