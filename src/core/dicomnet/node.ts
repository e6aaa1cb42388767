/**
 * The DICOM node: listener → inbox → (study stable) → auto-inspect rules → inspection (through
 * the caller's hook, i.e. the same batch code as `inspector batch`) → SR per run or one per study
 * (destination `sr`), SC per run, SEG/Parametric Map per run or one per CT/MR/PT series
 * (autoVolume.ts) → outbox →
 * destinations, with the outbox retried on a timer. Everything it logs names ids (AE titles, UIDs,
 * patient ids as the sender has them, run ids), never patient names.
 */
import { join } from 'node:path';
import type { HistoryStore } from '../history/index';
import { toErrorInfo } from '../../shared/errors';
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { Destination, DicomNodeConfig, ResultObject } from './config';
import { findHeld } from './findScp';
import { moveDestination, selectHeld, type RetrieveOutcome } from './retrieveScp';
import { DicomListener, type Rejection } from './listener';
import { destinationLabel, enqueue, flushOutbox } from './outbox';
import { recordInstance, setStudyStatus, studyInstances, type ReceivedInstance } from './records';
import { planVolumes, splitByVolume } from './autoVolume';
import { buildResults, buildStudyReport, buildVolume, type ResultFile, type ResultOptions } from './results';
import type { LabelCodingsOf } from './packLabels';
import type { StudySrPredecessor } from './objects/sr';
import { packFor } from './rules';
import { loadTls, type TlsMaterial } from './tls';
import { TlsReloader, type TlsReloaded, type TlsReloadFailure } from './tlsReload';

export interface InspectRequest {
  studyInstanceUid: string;
  pack: string;
  paths: string[];
}

/** Inspects files and records them; returns the batch and the runs it recorded. */
export type InspectHook = (req: InspectRequest) => Promise<{ batchId: number; runIds: number[] }>;

export type NodeEvent =
  | { event: 'listening'; aet: string; bind: string; port: number; inbox: string }
  | { event: 'rejected'; callingAet: string; calledAet: string; host: string; reason: Rejection['reason']; detail?: string }
  | { event: 'stored'; callingAet: string; sopInstanceUid: string; studyInstanceUid: string; patientId: string; modality: string }
  | { event: 'store-failed'; code: string; message: string; sopInstanceUid: string }
  | { event: 'study-stable'; studyInstanceUid: string; instances: number }
  | { event: 'inspected'; studyInstanceUid: string; pack: string; batchId: number; runs: number[] }
  | { event: 'inspect-failed'; studyInstanceUid: string; pack: string; code: string; message: string }
  | { event: 'no-rule'; studyInstanceUid: string }
  | { event: 'queued'; kind: string; sopInstanceUid: string; runId: number; to: string }
  | { event: 'volume-queued'; studyInstanceUid: string; seriesInstanceUid: string; modality: string; runs: number[]; objects: number }
  | { event: 'volume-refused'; studyInstanceUid: string; seriesInstanceUid: string; runs: number[]; code: string; message: string }
  | { event: 'study-sr-queued'; studyInstanceUid: string; runs: number[]; objects: number }
  | { event: 'study-sr-refused'; studyInstanceUid: string; runs: number[]; code: string; message: string }
  | { event: 'review-queued'; runId: number; reviewId: number; decision: string; objects: number }
  | { event: 'review-send-failed'; runId: number; reviewId: number; code: string; message: string }
  | { event: 'find-answered'; callingAet: string; level: string; matches: number }
  | { event: 'find-failed'; callingAet: string; code: string; message: string }
  | ({ event: 'retrieve-answered' } & RetrieveOutcome)
  | ({ event: 'retrieve-failed'; code: string; message: string } & Partial<RetrieveOutcome>)
  | { event: 'sent'; count: number }
  | { event: 'send-failed'; outboxId: number; code: string; message: string }
  | ({ event: 'tls-reloaded' } & TlsReloaded)
  | ({ event: 'tls-reload-failed' } & TlsReloadFailure);

export interface NodeOptions {
  config: DicomNodeConfig;
  store: HistoryStore;
  inbox: string;
  outboxDir: string;
  inspect: InspectHook;
  softwareVersion: string;
  log?: (e: NodeEvent) => void;
  labelNames?: (pack: string) => Record<string, string> | undefined;
  /** The standard codes of a run's pack labels (packLabels.ts); without it, labels keep the private scheme. */
  labelCodings?: LabelCodingsOf;
}

/** The study the node inspected as the batch of `runId` ('' for a run the node did not auto-inspect): what the study-SR events name. */
function studyOfRun(db: Database.Database, runId: number): string {
  const uid = db.prepare('SELECT s.study_instance_uid FROM dicom_studies s JOIN inference_runs r ON r.batch_id = s.batch_id WHERE r.id = ?').pluck().get(runId) as string | undefined;
  return uid ?? '';
}

/** Destinations that take a study's auto-inspected SR as one document (`sr: per_study`) and those that want one per run (absent or `per_run`). */
export function splitBySr(destinations: Destination[]): { perStudy: Destination[]; perRun: Destination[] } {
  return { perStudy: destinations.filter((d) => d.sr === 'per_study'), perRun: destinations.filter((d) => d.sr !== 'per_study') };
}

/** This installation's de-identification key, made once and kept in the history's settings. */
export function deidKey(db: Database.Database): string {
  const row = db.prepare(`SELECT value FROM settings WHERE key = 'dicom.deid_key'`).pluck().get() as string | undefined;
  if (row) return row;
  const key = randomBytes(32).toString('hex');
  db.prepare(`INSERT OR IGNORE INTO settings(key, value) VALUES ('dicom.deid_key', ?)`).run(key);
  return db.prepare(`SELECT value FROM settings WHERE key = 'dicom.deid_key'`).pluck().get() as string;
}

export class DicomNode {
  readonly listener: DicomListener;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private work: Promise<void> = Promise.resolve();
  private flushing: Promise<void> | null = null;
  private reviewScan: Promise<number> = Promise.resolve(0);
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly log: (e: NodeEvent) => void;
  port = 0;

  /** Watches the `tls` files and swaps a renewed set in (tlsReload.ts); absent without `tls`. */
  private readonly tlsReloader: TlsReloader | undefined;

  /** The node's TLS material in service (a missing file fails the start; renewed files replace it, see tlsReload.ts). */
  get tls(): TlsMaterial | undefined {
    return this.tlsReloader?.current;
  }

  constructor(readonly opts: NodeOptions) {
    this.log = opts.log ?? (() => {});
    const c = opts.config;
    if (c.tls) {
      this.tlsReloader = new TlsReloader(c.tls, loadTls(c.tls), { reloadSeconds: c.tls.reload_seconds ?? 0, apply: (m) => this.listener.setTls(m) });
      this.tlsReloader.on('reloaded', (r: TlsReloaded) => this.log({ event: 'tls-reloaded', ...r }));
      this.tlsReloader.on('failed', (f: TlsReloadFailure) => this.log({ event: 'tls-reload-failed', ...f }));
    }
    // The retrieve service reads the TLS material in service at each C-MOVE, not the one of the start.
    const tlsInService = () => this.tls;
    this.listener = new DicomListener({
      aeTitle: c.ae_title,
      port: c.port,
      bind: c.bind,
      allow: c.allow,
      inbox: opts.inbox,
      tls: this.tls,
      onStored: (r) => recordInstance(opts.store, r),
      ...(c.answer_find ? { onFind: (q: Record<string, unknown>) => findHeld(opts.store.db, q) } : {}),
      ...(c.answer_retrieve
        ? {
            onRetrieve: {
              select: (q: Record<string, unknown>) => selectHeld(opts.store.db, q),
              destination: (aet: string) => moveDestination(c.allow, aet),
              // The node's certificate, for destinations whose allow entry says `tls: true`.
              association: {
                callingAet: c.ae_title,
                timeoutSeconds: c.timeout_seconds,
                get tls() {
                  return tlsInService();
                },
              },
            },
          }
        : {}),
    });
    this.listener.on('retrieved', (o: RetrieveOutcome) => this.log({ event: 'retrieve-answered', ...o }));
    this.listener.on('retrieveFailed', (e: { code: string; message: string } & Partial<RetrieveOutcome>) => this.log({ event: 'retrieve-failed', ...e }));
    this.listener.on('found', (f: { callingAet: string; level: string; matches: number }) => this.log({ event: 'find-answered', ...f }));
    this.listener.on('findFailed', (e: { code: string; message: string; callingAet: string }) => this.log({ event: 'find-failed', ...e }));
    this.listener.on('stored', (r: ReceivedInstance) => this.arrived(r));
    this.listener.on('rejected', (r: Rejection) => this.log({ event: 'rejected', ...r }));
    this.listener.on('storeFailed', (e: { code: string; message: string; sopInstanceUid: string }) =>
      this.log({ event: 'store-failed', code: e.code, message: e.message, sopInstanceUid: e.sopInstanceUid }),
    );
  }

  async start(): Promise<number> {
    this.port = await this.listener.start();
    this.tlsReloader?.start();
    this.log({ event: 'listening', aet: this.opts.config.ae_title, bind: this.opts.config.bind, port: this.port, inbox: this.opts.inbox });
    const every = Math.min(this.opts.config.retry_seconds, 10) * 1000;
    this.retryTimer = setInterval(() => void this.scanReviews().then(() => this.flush()), every);
    void this.scanReviews().then(() => this.flush()); // reviews and whatever a previous run left in the outbox
    return this.port;
  }

  /** An instance retrieved by C-GET or WADO-RS (already recorded): handled like one pushed to the listener. */
  ingest(r: ReceivedInstance): void {
    this.arrived(r);
  }

  /** Association options for this node's outgoing calls. */
  get association(): { callingAet: string; timeoutSeconds: number; tls: TlsMaterial | undefined } {
    return { callingAet: this.opts.config.ae_title, timeoutSeconds: this.opts.config.timeout_seconds, tls: this.tls };
  }

  private arrived(r: ReceivedInstance): void {
    this.log({ event: 'stored', callingAet: r.callingAet, sopInstanceUid: r.sopInstanceUid, studyInstanceUid: r.studyInstanceUid, patientId: r.patientId, modality: r.modality });
    const study = r.studyInstanceUid;
    clearTimeout(this.timers.get(study));
    this.timers.set(
      study,
      setTimeout(() => {
        this.timers.delete(study);
        this.work = this.work.then(() => this.studyStable(study));
      }, this.opts.config.stable_seconds * 1000),
    );
  }

  /** Resolves when every study that became stable so far has been inspected and its results queued. */
  async idle(): Promise<void> {
    await this.work;
    await this.reviewScan;
    await this.flushing;
  }

  private async studyStable(study: string): Promise<void> {
    const db = this.opts.store.db;
    const instances = studyInstances(db, study);
    this.log({ event: 'study-stable', studyInstanceUid: study, instances: instances.length });
    const byPack = new Map<string, string[]>();
    for (const i of instances) {
      const pack = packFor(this.opts.config.auto_inspect, { modality: i.modality, body_part: i.body_part, sop_class: i.sop_class_uid, station_name: i.station_name });
      if (pack) byPack.set(pack, [...(byPack.get(pack) ?? []), i.path]);
    }
    if (byPack.size === 0) {
      setStudyStatus(this.opts.store, study, 'no-rule');
      this.log({ event: 'no-rule', studyInstanceUid: study });
      return;
    }
    for (const [pack, paths] of byPack) {
      setStudyStatus(this.opts.store, study, 'inspecting');
      try {
        const { batchId, runIds } = await this.opts.inspect({ studyInstanceUid: study, pack, paths });
        setStudyStatus(this.opts.store, study, runIds.length > 0 ? 'inspected' : 'failed', { batchId, ...(runIds.length ? {} : { errorCode: 'DICOM_INSPECT_NO_RUNS' }) });
        this.log({ event: 'inspected', studyInstanceUid: study, pack, batchId, runs: runIds });
        // The SR is small and what PACS-side tools read: it goes out before the pictures are drawn.
        await this.queueSrs(study, runIds);
        await this.queueMaps(study, runIds);
      } catch (e) {
        const info = toErrorInfo(e, 'DICOM_INSPECT_FAILED');
        setStudyStatus(this.opts.store, study, 'failed', { errorCode: info.code });
        this.log({ event: 'inspect-failed', studyInstanceUid: study, pack, code: info.code, message: info.message });
      }
    }
    await this.flush();
  }

  /**
   * The auto-inspected SRs of a study's runs: ONE study SR (`queueStudySr`) for destinations with
   * `sr: per_study`, one per run for the others (`per_run`, the default). When the study SR is
   * refused (a run without its DICOM source, or any other refusal) nothing of it is queued, the node
   * logs `study-sr-refused` with the code and message and those destinations get per-run SRs
   * instead (which fail as they would anyway if the source is gone): no result is lost.
   */
  private async queueSrs(study: string, runIds: number[]): Promise<void> {
    const all = this.opts.config.send_results;
    const { perStudy, perRun } = splitBySr(all);
    let eachRun = perRun;
    if (perStudy.some((d) => d.objects.includes('sr')) && runIds.length > 0) {
      try {
        const n = await this.queueStudySr(runIds, perStudy);
        this.log({ event: 'study-sr-queued', studyInstanceUid: study, runs: runIds, objects: n });
        await this.flush();
      } catch (e) {
        const info = toErrorInfo(e, 'DICOM_STUDY_SR_FAILED');
        this.log({ event: 'study-sr-refused', studyInstanceUid: study, runs: runIds, code: info.code, message: info.message });
        eachRun = all;
      }
    }
    if (!eachRun.some((d) => d.objects.includes('sr'))) return;
    for (const runId of runIds) {
      await this.queueResults(runId, eachRun, ['sr']);
      await this.flush();
    }
  }

  /**
   * One SR over several runs of one study (results.ts `buildStudyReport`) for the destinations that
   * ask for `sr`, queued under the first run; identified and de-identified copies apart. As
   * `queueVolume`: every copy is built before any is queued, so a refusal queues nothing.
   */
  async queueStudySr(runIds: number[], destinations = this.opts.config.send_results): Promise<number> {
    // The node inspects a study once per pack, so the first run's labels are every run's (buildStudyReport refuses another pack).
    const labels = this.labelsOf(runIds[0]!);
    const db = this.opts.store.db;
    const built: { group: Destination[]; files: ResultFile[]; chainKey: string; issued: StudySrPredecessor }[] = [];
    for (const deid of [false, true]) {
      const group = destinations.filter((d) => (d.deidentify ?? false) === deid && d.objects.includes('sr'));
      if (group.length === 0) continue;
      // Every version of one study report (auto-inspected, then re-issued after each review) is one
      // chain per copy: the last issued one is remembered in the history's settings, and the next
      // names it as its predecessor and goes in its series.
      const chainKey = `dicom.study_sr.${runIds[0]}.${deid ? 'deidentified' : 'identified'}`;
      const last = db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(chainKey) as string | undefined;
      const file = buildStudyReport(this.opts.store, runIds, {
        uidRoot: this.opts.config.uid_root,
        softwareVersion: this.opts.softwareVersion,
        outDir: join(this.opts.outboxDir, `study-${runIds[0]}`, deid ? 'deidentified' : 'identified'),
        ...labels,
        ...(deid ? { deidentify: { uidRoot: this.opts.config.uid_root, key: deidKey(this.opts.store.db) } } : {}),
        ...(last ? { predecessor: JSON.parse(last) as StudySrPredecessor } : {}),
      });
      built.push({ group, files: [file], chainKey, issued: file.issued });
    }
    let queued = 0;
    const setChain = db.prepare('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    for (const { group, files, chainKey, issued } of built) {
      queued += this.enqueueFiles(runIds[0]!, group, files);
      setChain.run(chainKey, JSON.stringify(issued));
    }
    return queued;
  }

  /**
   * The runs one study report covers, found from one of them: the runs of its batch (the node
   * inspects a study per pack as one batch, so these are the runs `queueSrs` reported together);
   * a run outside any batch is a report of its own.
   */
  private studyRunsOf(runId: number): number[] {
    const db = this.opts.store.db;
    const batch = db.prepare('SELECT batch_id FROM inference_runs WHERE id = ?').pluck().get(runId) as number | null | undefined;
    if (batch === null || batch === undefined) return [runId];
    return db.prepare('SELECT id FROM inference_runs WHERE batch_id = ? ORDER BY id').pluck().all(batch) as number[];
  }

  /**
   * A review's SRs: the study report re-issued (every review so far, the previous version as its
   * predecessor) for `sr: per_study` destinations, the run's own SR for the others. A study report
   * that is refused (say, a batch of several studies: DICOM_SR_STUDY_MISMATCH) is logged as
   * `study-sr-refused` and those destinations get the run's SR instead: the review is not lost.
   */
  private async queueReviewSrs(runId: number, destinations: Destination[]): Promise<number> {
    const { perStudy, perRun } = splitBySr(destinations);
    let eachRun = perRun;
    let queued = 0;
    if (perStudy.length) {
      const runIds = this.studyRunsOf(runId);
      try {
        const n = await this.queueStudySr(runIds, perStudy);
        queued += n;
        this.log({ event: 'study-sr-queued', studyInstanceUid: studyOfRun(this.opts.store.db, runId), runs: runIds, objects: n });
      } catch (e) {
        const info = toErrorInfo(e, 'DICOM_STUDY_SR_FAILED');
        this.log({ event: 'study-sr-refused', studyInstanceUid: studyOfRun(this.opts.store.db, runId), runs: runIds, code: info.code, message: info.message });
        eachRun = destinations;
      }
    }
    if (eachRun.length) queued += await this.queueResults(runId, eachRun, ['sr']);
    return queued;
  }

  /**
   * The SC, SEG and Parametric Map of a study's runs: per run, except that the maps of a CT/MR/PT
   * series of several slices go as ONE multi-frame object per series to destinations with
   * `volume` (the default; autoVolume.ts). When buildVolume refuses the series (slices that do
   * not form one stack: DICOM_VOLUME_MISMATCH, or any other refusal) its maps go per slice
   * instead, with a `volume-refused` event naming why — the results are never dropped.
   */
  private async queueMaps(study: string, runIds: number[]): Promise<void> {
    const all = this.opts.config.send_results;
    const { volume, perSlice } = splitByVolume(all);
    const plan = volume.some((d) => d.objects.includes('pmap') || d.objects.includes('seg')) ? planVolumes(this.opts.store.db, runIds) : { volumes: [], single: runIds };
    const inVolume = new Set<number>();
    for (const series of plan.volumes) {
      try {
        const n = await this.queueVolume(series.runIds, ['pmap', 'seg'], volume);
        for (const id of series.runIds) inVolume.add(id);
        this.log({ event: 'volume-queued', studyInstanceUid: study, seriesInstanceUid: series.seriesInstanceUid, modality: series.modality, runs: series.runIds, objects: n });
      } catch (e) {
        const info = toErrorInfo(e, 'DICOM_VOLUME_FAILED');
        this.log({ event: 'volume-refused', studyInstanceUid: study, seriesInstanceUid: series.seriesInstanceUid, runs: series.runIds, code: info.code, message: info.message });
      }
    }
    for (const runId of runIds) {
      if (!inVolume.has(runId)) await this.queueResults(runId, all, ['sc', 'seg', 'pmap']);
      else {
        await this.queueResults(runId, all, ['sc']);
        if (perSlice.length) await this.queueResults(runId, perSlice, ['seg', 'pmap']);
      }
    }
  }

  /** The display names and standard codes of the labels of the pack that made `runId` (what the caller wired). */
  private labelsOf(runId: number): Pick<ResultOptions, 'labelNames' | 'labelCodings'> {
    const run = this.opts.store.db.prepare('SELECT pack_name AS pack, pack_version AS version FROM inference_runs WHERE id = ?').get(runId) as { pack: string; version: string } | undefined;
    if (!run) return {};
    const labelNames = this.opts.labelNames?.(run.pack);
    const labelCodings = this.opts.labelCodings?.(run.pack, run.version);
    return { ...(labelNames ? { labelNames } : {}), ...(labelCodings ? { labelCodings } : {}) };
  }

  /** Builds what each configured destination asks for and puts it in the outbox. */
  async queueResults(runId: number, destinations = this.opts.config.send_results, only?: ResultObject[]): Promise<number> {
    let queued = 0;
    const labels = this.labelsOf(runId);
    // Identified and de-identified destinations get their own copies, built once per group.
    for (const deid of [false, true]) {
      const group = destinations.filter((d) => (d.deidentify ?? false) === deid);
      const kinds = [...new Set(group.flatMap((d) => d.objects))].filter((k) => !only || only.includes(k)) as ResultObject[];
      if (kinds.length === 0) continue;
      const files = await buildResults(this.opts.store, runId, kinds, {
        uidRoot: this.opts.config.uid_root,
        softwareVersion: this.opts.softwareVersion,
        outDir: join(this.opts.outboxDir, String(runId), deid ? 'deidentified' : 'identified'),
        ...labels,
        ...(deid ? { deidentify: { uidRoot: this.opts.config.uid_root, key: deidKey(this.opts.store.db) } } : {}),
      });
      queued += this.enqueueFiles(runId, group, files);
    }
    return queued;
  }

  /**
   * One multi-frame Parametric Map / SEG (`kinds`) of several runs (a series' slices) for the
   * destinations that ask for it, queued under the first run; identified and de-identified copies apart.
   */
  async queueVolume(runIds: number[], kinds: ('pmap' | 'seg')[], destinations = this.opts.config.send_results): Promise<number> {
    // Everything is built before anything is queued: a refusal (DICOM_VOLUME_MISMATCH) leaves the
    // outbox as it was, so a caller falling back to per-slice objects sends nothing twice.
    const built: { group: Destination[]; files: ResultFile[] }[] = [];
    // buildVolume refuses runs of different packs: the first run's labels are every run's.
    const labels = this.labelsOf(runIds[0]!);
    for (const deid of [false, true]) {
      const group = destinations.filter((d) => (d.deidentify ?? false) === deid);
      const files: ResultFile[] = [];
      for (const kind of kinds.filter((k) => group.some((d) => d.objects.includes(k)))) {
        files.push(
          await buildVolume(this.opts.store, kind, runIds, {
            uidRoot: this.opts.config.uid_root,
            softwareVersion: this.opts.softwareVersion,
            outDir: join(this.opts.outboxDir, `volume-${runIds[0]}`, deid ? 'deidentified' : 'identified'),
            ...labels,
            ...(deid ? { deidentify: { uidRoot: this.opts.config.uid_root, key: deidKey(this.opts.store.db) } } : {}),
          }),
        );
      }
      if (files.length) built.push({ group, files });
    }
    let queued = 0;
    for (const { group, files } of built) queued += this.enqueueFiles(runIds[0]!, group, files);
    return queued;
  }

  /**
   * Reviews recorded since the last scan (by this process — the app's review handler calls this
   * at once — or by another one on the same history, or while the node was off): when
   * `send_reviewed` names the decision, the VERIFIED SR (decision, reviewer, measurements) goes
   * into the outbox for its destinations and is sent; a peer that is down keeps it queued for the
   * retry timer. The mark (`dicom.reviews_sent_upto` in the history's settings) moves past each
   * review once its SR is queued, so a restart neither loses nor repeats one (a crash between the
   * two re-queues it: at least once). The first start marks what exists as seen: turning the
   * setting on does not resend old reviews. Runs of non-DICOM images and other decisions send
   * nothing. Never throws: the review is already recorded.
   */
  scanReviews(): Promise<number> {
    this.reviewScan = this.reviewScan.then(() => this.scanReviewsNow());
    return this.reviewScan;
  }

  private async scanReviewsNow(): Promise<number> {
    const rule = this.opts.config.send_reviewed;
    if (!rule) return 0;
    const db = this.opts.store.db;
    const MARK = 'dicom.reviews_sent_upto';
    const setMark = db.prepare('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    const mark = db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(MARK) as string | undefined;
    if (mark === undefined) {
      setMark.run(MARK, String((db.prepare('SELECT coalesce(max(id), 0) FROM reviews').pluck().get() as number) ?? 0));
      return 0;
    }
    const reviews = db
      .prepare(
        `SELECT v.id, v.run_id AS runId, v.decision, i.format FROM reviews v JOIN inference_runs r ON r.id = v.run_id JOIN images i ON i.id = r.image_id
         WHERE v.id > ? ORDER BY v.id`,
      )
      .all(Number(mark)) as { id: number; runId: number; decision: string; format: string }[];
    let queued = 0;
    for (const v of reviews) {
      if (v.format === 'dicom' && (rule.on as string[]).includes(v.decision)) {
        try {
          const n = await this.queueReviewSrs(
            v.runId,
            rule.to.map((d) => ({ ...d, objects: ['sr' as const] })),
          );
          queued += n;
          this.log({ event: 'review-queued', runId: v.runId, reviewId: v.id, decision: v.decision, objects: n });
        } catch (e) {
          const info = toErrorInfo(e, 'DICOM_REVIEW_SEND_FAILED');
          this.log({ event: 'review-send-failed', runId: v.runId, reviewId: v.id, code: info.code, message: info.message });
        }
      }
      setMark.run(MARK, String(v.id));
    }
    if (queued) await this.flush();
    return queued;
  }

  private enqueueFiles(runId: number, destinations: Destination[], files: ResultFile[]): number {
    let queued = 0;
    for (const d of destinations) {
      for (const f of files.filter((x) => d.objects.includes(x.kind))) {
        enqueue(this.opts.store, { destination: d, kind: f.kind, sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid, studyInstanceUid: f.studyInstanceUid, runId, path: f.path });
        this.log({ event: 'queued', kind: f.kind, sopInstanceUid: f.sopInstanceUid, runId, to: destinationLabel(d) });
        queued++;
      }
    }
    return queued;
  }

  flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        const r = await flushOutbox(this.opts.store, { callingAet: this.opts.config.ae_title, timeoutSeconds: this.opts.config.timeout_seconds, retrySeconds: this.opts.config.retry_seconds, tls: this.tls });
        if (r.sent) this.log({ event: 'sent', count: r.sent });
        for (const f of r.failed) this.log({ event: 'send-failed', outboxId: f.id, code: f.error.code, message: f.error.message });
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  async close(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.tlsReloader?.stop();
    await this.listener.close();
    await this.work;
    await this.reviewScan;
    await this.flushing;
  }
}
