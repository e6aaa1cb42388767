/**
 * Editing `dicom.yaml` from the app (the worklist's Node settings): the fields an administrator may
 * change there — `ae_title`, `port`, `allow` and the DIMSE `send_results` destinations — are set on
 * the parsed YAML *document*, so comments and every other key (rules, DICOMweb destinations, TLS,
 * keys a later version adds) stay as the file had them. The result is validated by the same
 * `parseDicomConfig` the loader uses (same codes, same `field.path: message` issues) before a byte
 * is written, and written atomically (temp file + rename) with the previous file kept as `.bak`.
 */
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { isScalar, parseDocument } from 'yaml';
import { InspectorError } from '../../shared/errors';
import { sha256Hex } from '../history/hash';
import { parseDicomConfig, readDicomConfigText, type DicomNodeConfig } from './config';

/** The top-level keys the app edits; everything else in the file is shown read-only and kept. */
export const EDITABLE_FIELDS = ['ae_title', 'port', 'allow', 'send_results'] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

/**
 * What the page sends. Values are as typed (a port may be a string or 70000): the config schema,
 * not the IPC layer, says what is wrong with them, with their field paths. `send_results` holds the
 * DIMSE destinations only; the file's DICOMweb ones are kept after them.
 */
export interface DicomSettingsEdit {
  ae_title: unknown;
  port: unknown;
  allow: Record<string, unknown>[];
  send_results: Record<string, unknown>[];
}

export interface DicomConfigFile {
  path: string;
  text: string;
  sha256: string;
  config: DicomNodeConfig;
}

export function readDicomConfigFile(path: string): DicomConfigFile {
  const text = readDicomConfigText(path);
  return { path, text, sha256: sha256Hex(text), config: parseDicomConfig(text, path) };
}

const isDimse = (d: object): boolean => !('url' in d);

/** Drops the empty strings of optional inputs (`host: ""` means "any host", as an absent key does). */
function withoutBlank(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined && v !== null));
}

export interface EditedConfig {
  text: string;
  config: DicomNodeConfig;
  /** The editable fields whose value differs from the file's (names only: values never go to the audit chain). */
  changed: EditableField[];
}

/**
 * The file's text with the edit applied, validated. Only the fields whose parsed value changes are
 * set on the document, so an untouched `allow:` keeps its own comments and flow style.
 * Throws DICOM_CONFIG_INVALID (issues `field.path: message`) when the result is not a valid config.
 */
export function applyDicomEdit(file: DicomConfigFile, edit: DicomSettingsEdit): EditedConfig {
  const doc = parseDocument(file.text);
  if (doc.errors.length) throw new InspectorError('DICOM_CONFIG_UNREADABLE', `${file.path} is not valid YAML: ${doc.errors[0]!.message}`, { path: file.path });
  const old = file.config;
  const web = old.send_results.filter((d) => !isDimse(d));
  const next: Record<EditableField, unknown> = {
    ae_title: typeof edit.ae_title === 'string' ? edit.ae_title.trim() : edit.ae_title,
    port: edit.port,
    allow: edit.allow.map(withoutBlank),
    send_results: [...edit.send_results.map(withoutBlank), ...web],
  };
  const changed = EDITABLE_FIELDS.filter((k) => !isDeepStrictEqual(next[k], old[k]));
  // Nothing to change: the file's own bytes (re-stringifying would re-space its flow collections).
  if (changed.length === 0) return { text: file.text, config: old, changed };
  for (const k of changed) {
    const node = doc.get(k, true);
    // A scalar keeps its node, so `port: 104 # the modality room knows this` keeps its comment.
    if (isScalar(node) && (typeof next[k] !== 'object' || next[k] === null)) node.value = next[k];
    else doc.set(k, doc.createNode(next[k]));
  }
  // lineWidth 0: a long flow entry stays on its line instead of being folded over several.
  const text = doc.toString({ lineWidth: 0 });
  return { text, config: parseDicomConfig(text, file.path), changed };
}

/** Writes `text` over `path` atomically; the file it replaces is kept as `path.bak`. */
export function writeDicomConfigFile(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  copyFileSync(path, `${path}.bak`);
  renameSync(tmp, path);
}

/** Puts `text` back (the file before a save whose node failed to start), atomically, leaving `.bak` alone. */
export function restoreDicomConfigFile(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}
