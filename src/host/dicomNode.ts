/**
 * The desktop app's DICOM node: when `settings.yaml` in the data folder names a node
 * configuration (`dicom: { config: dicom.yaml }`), main starts the same `DicomNode` as
 * `inspector dicom listen` (core/dicomnet), with the same batch code inspecting what arrives, on
 * the app's own history. The worklist room shows its state; a configuration error is shown there
 * (coded) instead of stopping the app.
 */
import { basename, join, resolve } from 'node:path';
import { loadDicomConfig, type DicomNodeConfig } from '../core/dicomnet/config';
import { applyDicomEdit, readDicomConfigFile, restoreDicomConfigFile, writeDicomConfigFile, type DicomSettingsEdit, type EditableField } from '../core/dicomnet/configEdit';
import { canonicalJson, sha256Hex } from '../core/history/hash';
import { recordEvent } from '../core/history/records';
import { DicomNode, type NodeEvent } from '../core/dicomnet/node';
import { requeueUnsent } from '../core/dicomnet/outbox';
import { findStudies, retrieveFromPacs, type StudyMatch, type StudyQuery } from '../core/dicomnet/queryRetrieve';
import { recordInstance } from '../core/dicomnet/records';
import { loadDicomSetting } from '../core/settings/index';
import { InspectorError, toErrorInfo, type ErrorInfo } from '../shared/errors';
import { runBatch } from './batch';
import type { HistoryAccess } from './history';
import type { AppPaths } from './paths';
import type { WorkerClient } from './workerClient';
import { packLabelCodings } from '../core/dicomnet/packLabels';
import { workerConfig } from './workerConfig';

export interface DicomNodeStatus {
  state: 'off' | 'starting' | 'listening' | 'failed';
  aeTitle?: string;
  bind?: string;
  port?: number;
  config?: string;
  inbox?: string;
  error?: ErrorInfo;
  /** The last few events (ids only, as the CLI logs them), newest last. */
  events: NodeEvent[];
}

/** Who may change the node's settings from the app: the AE title, port and allow-list decide who can send patient data here. */
const SETTINGS_ROLES: readonly string[] = ['admin'];

export interface DicomSettingsView {
  /** The dicom.yaml settings.yaml names, or null when none is set (nothing to show or edit). */
  path: string | null;
  /** As parsed by the loader's schema (defaults filled in; TLS paths as written). */
  config: DicomNodeConfig | null;
  sha256: string | null;
  /** The file does not load: shown with its code; an admin may still fix the editable fields. */
  error?: ErrorInfo;
  operator: { id: string; role: string } | null;
  canEdit: boolean;
}

export interface DicomSettingsSaved {
  path: string;
  changed: EditableField[];
  oldSha256: string;
  newSha256: string;
  node: DicomNodeStatus;
}

export class DicomNodeService {
  private node: DicomNode | null = null;
  private status: DicomNodeStatus = { state: 'off', events: [] };
  /** Running retrieves by Study UID: the worklist's Cancel aborts one (C-CANCEL to the PACS, or the WADO-RS download). */
  private readonly retrieving = new Map<string, AbortController>();
  private readonly listeners = new Set<(e: NodeEvent) => void>();
  private saving = false;

  constructor(private readonly deps: { paths: AppPaths; worker: WorkerClient; history: HistoryAccess; version: string; log?: (line: string) => void }) {}

  /** Starts the listener when the settings name a configuration; resolves with the resulting state. */
  async startFromSettings(): Promise<DicomNodeStatus> {
    if (this.node) return this.current();
    let configFile: string | null;
    try {
      configFile = loadDicomSetting(this.deps.paths.userDataDir);
    } catch (e) {
      this.status = { state: 'failed', error: toErrorInfo(e), events: [] };
      return this.current();
    }
    if (!configFile) return this.current();
    this.status = { state: 'starting', config: configFile, events: [] };
    try {
      const config = loadDicomConfig(configFile);
      const base = join(this.deps.paths.userDataDir, 'dicom');
      const inbox = resolve(config.inbox ?? join(base, 'inbox'));
      const history = this.deps.history;
      const store = history.get();
      const node = new DicomNode({
        config,
        store,
        inbox,
        outboxDir: join(base, 'outbox'),
        softwareVersion: this.deps.version,
        labelCodings: packLabelCodings(workerConfig(this.deps.paths, this.deps.version).modelDirs),
        log: (e) => this.event(e),
        inspect: async ({ studyInstanceUid, pack, paths }) => {
          const summary = await runBatch({ worker: this.deps.worker, history }, { paths, packs: [pack], name: `dicom study ${studyInstanceUid}` });
          const runIds = store.db.prepare('SELECT id FROM inference_runs WHERE batch_id = ? ORDER BY id').pluck().all(summary.batchId) as number[];
          return { batchId: summary.batchId, runIds };
        },
      });
      const port = await node.start();
      this.node = node;
      this.status = { ...this.status, state: 'listening', aeTitle: config.ae_title, bind: config.bind, port, inbox };
    } catch (e) {
      this.status = { ...this.status, state: 'failed', error: toErrorInfo(e, 'DICOM_LISTENER_FAILED') };
    }
    return this.current();
  }

  private event(e: NodeEvent): void {
    this.status.events = [...this.status.events.slice(-19), e];
    for (const f of this.listeners) f(e);
  }

  /** Hears each node event as it happens (the status keeps only the last few); returns the unsubscribe. */
  subscribe(f: (e: NodeEvent) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  current(): DicomNodeStatus {
    return { ...this.status, events: [...this.status.events] };
  }

  /**
   * A review was recorded: the node sends the reviewed SR where `send_reviewed` says (it scans the
   * history's reviews, so one recorded while the node was off goes out at its next start too).
   */
  reviewed(): Promise<number> {
    return this.node ? this.node.scanReviews() : Promise.resolve(0);
  }

  /** C-FIND / QIDO-RS at the configured PACS (`query:` in dicom.yaml). */
  async query(q: StudyQuery): Promise<StudyMatch[]> {
    const node = this.running();
    return findStudies(node.opts.config.query, q, node.association);
  }

  /** C-GET (or C-MOVE / WADO-RS) of a study into the inbox; it then shows in the worklist and is auto-inspected like a push. */
  async retrieve(studyInstanceUid: string): Promise<{ method: 'get' | 'move' | 'wado'; expected: number | null; arrived: number }> {
    const node = this.running();
    const store = this.deps.history.get();
    if (this.retrieving.has(studyInstanceUid)) {
      throw new InspectorError('DICOM_RETRIEVE_RUNNING', `Study ${studyInstanceUid} is being retrieved already: wait for it or cancel it.`, { studyInstanceUid });
    }
    const ctl = new AbortController();
    this.retrieving.set(studyInstanceUid, ctl);
    try {
      return await retrieveFromPacs(
        node.opts.config.query,
        studyInstanceUid,
        { inbox: node.opts.inbox, record: (r) => recordInstance(store, r), arrived: (r) => node.ingest(r), listener: node.listener },
        { ...node.association, signal: ctl.signal },
      );
    } finally {
      this.retrieving.delete(studyInstanceUid);
    }
  }

  /**
   * Cancels the study's running retrieve: a C-GET / C-MOVE gets its C-CANCEL-RQ (the association
   * is aborted if the PACS does not end it in time), a WADO-RS download is aborted between parts
   * (the part still arriving is dropped). `retrieve` then fails DICOM_CANCELLED, and what arrived
   * whole stays in the inbox, the history and the worklist. False when none is running.
   */
  cancelRetrieve(studyInstanceUid: string): boolean {
    const ctl = this.retrieving.get(studyInstanceUid);
    if (!ctl) return false;
    ctl.abort();
    return true;
  }

  private running(): DicomNode {
    if (!this.node) throw new InspectorError('DICOM_LISTENER_OFF', `The DICOM node is ${this.status.state}: set dicom.config in settings.yaml (with a query: PACS) to search a PACS.`, { state: this.status.state });
    return this.node;
  }

  /** Every unsent outbox entry due now, and a send attempt (the worklist's "Retry now"). */
  async retryOutbox(): Promise<void> {
    if (!this.node) return;
    requeueUnsent(this.deps.history.get());
    await this.node.flush();
  }

  /** Resolves when every study that became stable so far is inspected (tests; the app never waits). */
  async idle(): Promise<void> {
    await this.node?.idle();
  }

  /** The node's configuration file for the Node settings panel, and whether the selected operator may edit it. */
  settings(): DicomSettingsView {
    const op = this.deps.history.exists() ? this.deps.history.get().currentOperator() : null;
    const operator = op ? { id: op.id, role: op.role } : null;
    const canEdit = !!op && SETTINGS_ROLES.includes(op.role);
    let path: string | null;
    try {
      path = loadDicomSetting(this.deps.paths.userDataDir);
    } catch (e) {
      return { path: null, config: null, sha256: null, error: toErrorInfo(e), operator, canEdit: false };
    }
    if (!path) return { path: null, config: null, sha256: null, operator, canEdit: false };
    try {
      const f = readDicomConfigFile(path);
      return { path, config: f.config, sha256: f.sha256, operator, canEdit };
    } catch (e) {
      return { path, config: null, sha256: null, error: toErrorInfo(e), operator, canEdit: false };
    }
  }

  /**
   * An administrator's edit of the node settings: checked (role, then the loader's schema), written
   * atomically with a `.bak`, recorded in the audit chain (file hashes and the names of the changed
   * fields, no values), then the node restarts on it. When the new settings do not start (port in
   * use, address not here), the previous file is put back and the node restarted on it, and the
   * error says why with its code: a typo never leaves the station without a receiver.
   */
  async saveSettings(edit: DicomSettingsEdit): Promise<DicomSettingsSaved> {
    const store = this.deps.history.get();
    const op = store.currentOperator();
    if (!op) throw new InspectorError('DICOM_SETTINGS_OPERATOR_REQUIRED', 'Select an administrator before changing the DICOM node settings.');
    if (!SETTINGS_ROLES.includes(op.role)) {
      throw new InspectorError('DICOM_SETTINGS_ROLE_REQUIRED', `Changing the DICOM node settings needs an admin; ${op.id} is ${op.role}.`, { operator: op.id, role: op.role });
    }
    const path = loadDicomSetting(this.deps.paths.userDataDir);
    if (!path) throw new InspectorError('DICOM_SETTINGS_NO_FILE', 'No DICOM node configuration is set: set dicom.config in settings.yaml first (inspector settings set dicom.config dicom.yaml).');
    if (this.saving) throw new InspectorError('DICOM_SETTINGS_BUSY', 'The DICOM node settings are being saved already: wait for that to finish.');
    this.saving = true;
    try {
      const before = readDicomConfigFile(path);
      const edited = applyDicomEdit(before, edit);
      const newSha256 = sha256Hex(edited.text);
      if (edited.changed.length === 0) return { path, changed: [], oldSha256: before.sha256, newSha256, node: this.current() };
      writeDicomConfigFile(path, edited.text);
      const subject = `${basename(path)} ${edited.changed.join(',')}`;
      store.write((tx) =>
        recordEvent(tx, op.id, 'dicom.settings', subject, sha256Hex(canonicalJson({ file: basename(path), changed: edited.changed, old: before.sha256, new: newSha256 }))),
      );
      this.deps.log?.(`dicom node settings: ${edited.changed.join(', ')} changed by ${op.id} (${before.sha256.slice(0, 12)} -> ${newSha256.slice(0, 12)})`);
      const node = await this.restart();
      if (node.state !== 'listening') {
        const cause = node.error ?? { code: 'DICOM_LISTENER_FAILED', message: `The node is ${node.state}.` };
        restoreDicomConfigFile(path, before.text);
        store.write((tx) =>
          recordEvent(tx, op.id, 'dicom.settings_restored', `${basename(path)} ${cause.code}`, sha256Hex(canonicalJson({ file: basename(path), failed: newSha256, restored: before.sha256, code: cause.code }))),
        );
        const back = await this.restart();
        throw new InspectorError(
          cause.code,
          `The new settings did not start (${cause.message}); the previous file was put back and the node is ${back.state === 'listening' ? `listening on port ${back.port} again` : back.state}.`,
          { path, restored: true, node: back.state, port: back.port ?? null },
        );
      }
      return { path, changed: edited.changed, oldSha256: before.sha256, newSha256, node };
    } finally {
      this.saving = false;
    }
  }

  /** Stops the node (waiting for it) and starts it again from the settings' file. */
  private async restart(): Promise<DicomNodeStatus> {
    await this.close();
    this.status = { state: 'off', events: this.status.events };
    return this.startFromSettings();
  }

  async close(): Promise<void> {
    const n = this.node;
    this.node = null;
    // A retrieve still running would hold the association open past the node.
    for (const ctl of this.retrieving.values()) ctl.abort();
    if (n) await n.close();
    this.status = { ...this.status, state: 'off' };
  }
}
