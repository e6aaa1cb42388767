/**
 * De-identification of what leaves the app as a history export (CSV / JSON) or an audit report
 * (PDF): the PS3.15 Annex E Basic Application Level Confidentiality Profile applied in spirit to
 * our rows (docs/PRIVACY.md has each decision and why). The same patient gets the same pseudonym and
 * the same study / series / SOP instance the same UID as in the objects the DICOM node sends
 * de-identified (src/core/dicomnet/deid.ts, same key, same root), so a de-identified export and a
 * de-identified SR of one patient can be put side by side without either naming them.
 * - patient id → `pseudonym()`; UIDs → `derivedUid(root, key \0 uid)`, exactly as the node does;
 * - file paths → `IMG-<hash>.<ext>`: directories dropped (they often hold patient names), the name
 *   replaced by a keyed hash, so the same file keeps the same name across exports;
 * - case keys that are not UIDs (folders, serials, manifest ids) → `CASE-<hash>`;
 * - free text typed by people (review notes, grounding prompts) → "[removed]"; review labels kept
 *   only when they are a class the AI itself gave in this history (the packs' vocabulary);
 * - reviewer names dropped (ids kept): the basic profile removes operators' names too;
 * - station timestamps (run, review, export times) kept: they are the station's, not the patient's;
 *   no study, acquisition or birth date, sex or age is ever exported.
 * Hashes are keyed with the installation's secret (`deidKey`): without it nobody can confirm a
 * guessed path, serial or patient id against an export.
 */
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { HistoryStore } from '../history/index';
import { loadDicomConfig } from '../dicomnet/config';
import { pseudonym } from '../dicomnet/deid';
import { deidKey } from '../dicomnet/node';
import { derivedUid } from '../dicomnet/uid';
import { loadDicomSetting } from '../settings/index';
import { InspectorError } from '../../shared/errors';
import type { DicomIds } from './dicomIds';
import type { ExportRun, FailedImage } from './rows';

/** The marker every de-identified row carries (CSV column `deidentified`) and the JSON header names. */
export const DEID_PROFILE = 'PS3.15 basic profile';
export const REMOVED = '[removed]';

/** The visible statement a de-identified report or export carries. */
export const DEID_STATEMENT =
  'De-identified (PS3.15 basic profile): patient ids pseudonymised as the DICOM node does, UIDs replaced by derived UIDs, file paths and non-UID case keys replaced by keyed hashes, reviewer names, notes and prompts removed, labels outside the AI classes removed; DICOM thumbnails without Burned In Annotation NO omitted; station times kept.';

const UID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
/** Absolute paths (POSIX or Windows) inside free text such as error messages. */
const PATH_IN_TEXT = /(?:[A-Za-z]:)?[\\/][^\s'"`,;)]+/g;

export interface DeidSettings {
  /** The organisation root the DICOM node derives UIDs under (dicom.yaml `uid_root`, default 2.25). */
  uidRoot: string;
}

/** The `uid_root` of the DICOM node configured in `dataDir`'s settings, else the node's default (2.25). */
export function configuredUidRoot(dataDir: string): string {
  const file = loadDicomSetting(dataDir);
  return file ? loadDicomConfig(file).uid_root : '2.25';
}

/** The installation key; made on first use like the node does, but never on a read-only history. */
function keyOf(store: HistoryStore): string {
  if (!store.db.readonly) return deidKey(store.db);
  const row = store.db.prepare(`SELECT value FROM settings WHERE key = 'dicom.deid_key'`).pluck().get() as string | undefined;
  if (!row) {
    throw new InspectorError(
      'EXPORT_DEID_NO_KEY',
      'This history is read-only and has no de-identification key yet, so its pseudonyms could not match the ones the DICOM node gives; export it de-identified from a writable copy.',
      { file: store.file },
    );
  }
  return row;
}

export class Deidentifier {
  private constructor(
    private readonly key: string,
    readonly uidRoot: string,
    /** Labels the AI gave in this history: review labels outside it may be free text. */
    private readonly vocabulary: ReadonlySet<string>,
  ) {}

  static open(store: HistoryStore, settings: DeidSettings): Deidentifier {
    if (!UID.test(settings.uidRoot)) throw new InspectorError('DICOM_UID_INVALID', `"${settings.uidRoot}" is not a valid UID root.`, { uidRoot: settings.uidRoot });
    const vocabulary = new Set(store.db.prepare('SELECT DISTINCT verdict FROM inference_runs').pluck().all() as string[]);
    return new Deidentifier(keyOf(store), settings.uidRoot, vocabulary);
  }

  private hash(kind: string, value: string): string {
    return createHash('sha256').update(`${this.key}\0${kind}\0${value}`).digest('hex').slice(0, 12).toUpperCase();
  }

  patientId(id: string): string {
    return pseudonym(id, this.key);
  }

  uid(uid: string): string {
    return derivedUid(this.uidRoot, `${this.key}\0${uid}`);
  }

  /** `IMG-<hash>.dcm`: no folder, no original name; the extension kept when it is a plain one. */
  path(p: string): string {
    const norm = p.replaceAll('\\', '/');
    const ext = extname(norm).toLowerCase();
    return `IMG-${this.hash('path', norm)}${/^\.[a-z0-9]{1,5}$/.test(ext) ? ext : ''}`;
  }

  caseKey(k: string): string {
    return UID.test(k) && k.length <= 64 ? this.uid(k) : `CASE-${this.hash('case', k)}`;
  }

  label(l: string | null, also: readonly (string | undefined)[] = []): string | null {
    if (l === null) return null;
    return this.vocabulary.has(l) || also.includes(l) ? l : REMOVED;
  }

  text(s: string | null): string | null {
    return s ? REMOVED : s;
  }

  /** An error message: its file named as `path()` names it, any other path replaced. */
  message(m: string, sourcePath: string | null): string {
    const own = sourcePath ? m.split(sourcePath).join(this.path(sourcePath)) : m;
    return own.replace(PATH_IN_TEXT, '[path]');
  }

  dicom(ids: DicomIds | null | undefined): DicomIds | null {
    if (!ids) return null;
    return {
      patientId: ids.patientId === null ? null : this.patientId(ids.patientId),
      studyUid: ids.studyUid && this.uid(ids.studyUid),
      seriesUid: ids.seriesUid && this.uid(ids.seriesUid),
      sopUid: ids.sopUid && this.uid(ids.sopUid),
      burnedIn: ids.burnedIn,
    };
  }

  /** A run as it leaves the app. Numbers, verdicts, hashes of the pack and image, and station times stay. */
  run(r: ExportRun): ExportRun {
    const regionLabels = r.regions.map((g) => g.label);
    return {
      ...r,
      caseKey: this.caseKey(r.caseKey),
      sourcePath: this.path(r.sourcePath),
      groundingPrompt: this.text(r.groundingPrompt),
      reviews: r.reviews.map((v) => ({ ...v, operatorName: null, note: this.text(v.note), label: this.label(v.label) })),
      boxDecisions: r.boxDecisions.map((d) => ({ ...d, label: this.label(d.label, [regionLabels[d.boxIndex]]) ?? d.label })),
      caseVerdict: { ...r.caseVerdict, caseKey: this.caseKey(r.caseVerdict.caseKey) },
      dicom: this.dicom(r.dicom),
      deidentified: DEID_PROFILE,
    };
  }

  failed(f: FailedImage): FailedImage {
    return {
      ...f,
      sourcePath: f.sourcePath === null ? null : this.path(f.sourcePath),
      caseKey: f.caseKey === null ? null : this.caseKey(f.caseKey),
      message: this.message(f.message, f.sourcePath),
    };
  }

  /** The export's filters as stated: the case-key search text is what a user typed (a patient's name, perhaps). */
  filters(f: Record<string, string | string[]>): Record<string, string | string[]> {
    return f['case_key_contains'] !== undefined ? { ...f, case_key_contains: REMOVED } : f;
  }

  /** `override -> dent` as the report's case section lists reviews, with the label checked. */
  reviewText(s: string): string {
    const m = /^(\w+) -> (.*)$/.exec(s);
    return m ? `${m[1]} -> ${this.label(m[2]!)}` : s;
  }

  /** What the JSON header says about it. */
  describe(): { profile: string; statement: string; uid_root: string; patient_id: string } {
    return { profile: DEID_PROFILE, statement: DEID_STATEMENT, uid_root: this.uidRoot, patient_id: 'pseudonym ANON-<12 hex> from the installation key, as the DICOM node gives it' };
  }
}
