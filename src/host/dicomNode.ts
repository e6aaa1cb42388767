/**
 * The desktop app's DICOM node: when `settings.yaml` in the data folder names a node
 * configuration (`dicom: { config: dicom.yaml }`), main starts the same `DicomNode` as
 * `inspector dicom listen` (core/dicomnet), with the same batch code inspecting what arrives, on
 * the app's own history. The worklist room shows its state; a configuration error is shown there
 * (coded) instead of stopping the app.
 */
import { join, resolve } from 'node:path';
import { loadDicomConfig } from '../core/dicomnet/config';
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

export class DicomNodeService {
  private node: DicomNode | null = null;
  private status: DicomNodeStatus = { state: 'off', events: [] };
  /** Running retrieves by Study UID: the worklist's Cancel aborts one (C-CANCEL to the PACS, or the WADO-RS download). */
  private readonly retrieving = new Map<string, AbortController>();
  private readonly listeners = new Set<(e: NodeEvent) => void>();

  constructor(private readonly deps: { paths: AppPaths; worker: WorkerClient; history: HistoryAccess; version: string }) {}

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

  async close(): Promise<void> {
    const n = this.node;
    this.node = null;
    // A retrieve still running would hold the association open past the node.
    for (const ctl of this.retrieving.values()) ctl.abort();
    if (n) await n.close();
    this.status = { ...this.status, state: 'off' };
  }
}
