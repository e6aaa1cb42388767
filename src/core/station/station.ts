/**
 * The station: hot folders in, one recorded and published result per case out. Files settle, group
 * into cases by serial (complete when every view arrived, or after case_timeout_ms), wait in a bounded
 * queue, are inspected one case at a time by the same inspection core as `inspector batch`, and are
 * recorded — runs, station case, consumed files and outbox — in ONE transaction. Publishers only
 * ever read what that transaction wrote, so a kill -9 at any point loses nothing and repeats nothing
 * (see docs/STATION.md, "Exactly once").
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { InspectReport } from '../engine/inspect';
import type { HistoryStore } from '../history/index';
import { toErrorInfo } from '../../shared/errors';
import type { StationConfig, WatchConfig } from './config';
import { HotFolder, type ReadyFile, type RejectedFile } from './hotFolder';
import { correctedVerdict } from './correctedVerdict';
import { buildExplanation, type StationExplanation } from './explanation';
import { caseUid, FINDINGS_CHANNEL, StationLedger, type FindingsWork, type ReviewRow } from './ledger';
import { buildCorrection, buildFindings, buildResult, type CaseFile, type StationCorrection, type StationFindings, type StationResult, type Trigger } from './result';

/**
 * What one worker call inspects: `decide` the packs that decide (no findings), `detail` only the
 * non-deciding findings, `all` both at once (station.yaml `findings: with_decision`).
 */
export type InspectPart = 'decide' | 'detail' | 'all';
export type MapPart = 'with' | 'none' | 'only';

/** A deciding run that the after-publish step explains: the run and the pack/file it came from. */
export interface ExplainedRun {
  runId: number;
  file: string;
  pack: string;
}

export interface StationDeps {
  store: HistoryStore;
  /** The batch inspection core (worker `inspect`): these files, case ids relative to baseDir. */
  /**
   * `maps`: `with` (default) the deciding packs draw their explanation maps as in `batch`; `none` scores
   * only (the station's decision, station.yaml `explanation: after_publish`); `only` just the deciding
   * packs that draw a map (classifiers), with it — the map drawn after the publish.
   */
  inspect(paths: string[], baseDir: string, part?: InspectPart, maps?: MapPart): Promise<InspectReport>;
  /** Records the report's runs and errors; runs inside the station's transaction. Returns run ids. */
  record(report: InspectReport): (number | undefined)[];
  /**
   * Records the maps of `report`'s deciding results as explanation records of the runs already
   * recorded for them (`runs`, matched by file name and pack); inside the station's transaction.
   * Returns the record ids. Absent: maps drawn after the decision are not kept.
   */
  recordExplanations?(report: InspectReport, runs: readonly ExplainedRun[]): number[];
  /** Work after the commit that may be slow (pack reference distributions). */
  afterRecord?(report: InspectReport): Promise<void>;
  log?(line: string): void;
}

/** Messages each recorded case puts in the outbox (one per channel that needs acknowledgement). */
export type OutboxFactory = (r: StationResult) => { channel: string; topic: string; payload: string; retain?: boolean }[];
export type CorrectionOutboxFactory = (c: StationCorrection) => { channel: string; topic: string; payload: string; retain?: boolean }[];
export type FindingsOutboxFactory = (f: StationFindings) => { channel: string; topic: string; payload: string; retain?: boolean }[];
export type ExplanationOutboxFactory = (x: StationExplanation) => { channel: string; topic: string; payload: string; retain?: boolean }[];

/**
 * Recorded cases whose findings are still to run. Decisions go first; past this many waiting, the
 * station runs findings before the next decision so the backlog (and files kept for it) stays bounded.
 */
const DETAIL_BACKLOG = 8;

interface DetailJob {
  watch: WatchConfig | null;
  result: StationResult;
  files: CaseFile[];
  /** Files to finish (keep/move/delete) once the findings have read them: the case's and its sidecar. */
  finish: CaseFile[];
  recordedAt: number;
  /** Run the side's grounding findings (`findings: after_publish`). */
  findings: boolean;
  /** Draw the deciding packs' maps and record them as explanation records (`explanation: after_publish`). */
  explain: boolean;
}

/** Where the time of one case went (ms), for the log (INSPECTOR_STATION_TRACE=1) and the bench. */
export interface CaseTrace {
  serial: string;
  resultId: string;
  /** Last write of the case's files → the case was complete (settle + waiting for the other views). */
  arrivalMs: number;
  /** Complete → taken from the queue. */
  queueMs: number;
  /** The worker's decide call (decode, inference; the deciding packs' map only with `explanation: with_decision`). */
  inspectMs: number;
  /** The worker's own time per pack (preprocess / inference / explanation or map), summed over images. */
  packs: Record<string, { preprocessMs: number; inferenceMs: number; explainMs: number }>;
  /** The record transaction (runs, case, outbox). */
  recordMs: number;
  recordedAt: number;
}

/** How often reviews recorded by other processes (the desktop app) are looked for. */
const REVIEW_POLL_MS = 1000;

export type StationState = 'Initialized' | 'Ready' | 'Busy' | 'Stopped';

interface Pending {
  key: string;
  watch: WatchConfig;
  serial: string;
  lot: string | null;
  files: Map<string, CaseFile>;
  timer: NodeJS.Timeout | undefined;
}

interface Job {
  watch: WatchConfig | null;
  serial: string;
  lot: string | null;
  files: CaseFile[];
  trigger: Trigger;
  views: string[];
  /** When the case was complete (queued). */
  completedAt?: number;
}

export interface StationStatus {
  state: StationState;
  queueDepth: number;
  queueMax: number;
  pendingCases: number;
  processed: number;
  rejected: number;
  lastResultId: string | null;
}

function sha256File(path: string): { sha256: string; size: number } | null {
  try {
    const buf = readFileSync(path);
    return { sha256: createHash('sha256').update(buf).digest('hex'), size: buf.length };
  } catch {
    return null;
  }
}

export class Station extends EventEmitter {
  readonly ledger: StationLedger;
  private readonly folders: HotFolder[];
  private readonly pending = new Map<string, Pending>();
  private readonly queue: Job[] = [];
  private readonly waiters = new Map<string, ((r: StationResult) => void)[]>();
  /** Which channel asked for a part that is still open (OPC UA or REST trigger). */
  private readonly triggerVia = new Map<string, Trigger>();
  private running = false;
  /** Serial of the case being inspected now. */
  private current: string | null = null;
  private state: StationState = 'Initialized';
  private processed = 0;
  private rejected = 0;
  private lastResultId: string | null = null;
  private idle: Promise<void> = Promise.resolve();
  private outboxFactories: OutboxFactory[] = [];
  private correctionFactories: CorrectionOutboxFactory[] = [];
  private findingsFactories: FindingsOutboxFactory[] = [];
  private explanationFactories: ExplanationOutboxFactory[] = [];
  private readonly details: DetailJob[] = [];
  /** Files a recorded case's findings still have to read: not finished (moved/deleted) before. */
  private readonly detailPaths = new Set<string>();
  private reviewTimer: NodeJS.Timeout | undefined;
  /** Whether the hot folders are read (OPC 40100: ContinuousExecution); off, files wait on disk. */
  private intake = true;

  constructor(
    readonly config: StationConfig,
    private readonly deps: StationDeps,
  ) {
    super();
    this.ledger = new StationLedger(deps.store);
    this.folders = config.watch.map(
      (w) =>
        new HotFolder(
          w,
          (f) => this.onFile(w, f),
          (f) => this.onRejected(f),
        ),
    );
  }

  /** Publishers that need acknowledgement add their message here before start(). */
  addOutbox(f: OutboxFactory): void {
    this.outboxFactories.push(f);
  }

  addCorrectionOutbox(f: CorrectionOutboxFactory): void {
    this.correctionFactories.push(f);
  }

  addFindingsOutbox(f: FindingsOutboxFactory): void {
    this.findingsFactories.push(f);
  }

  addExplanationOutbox(f: ExplanationOutboxFactory): void {
    this.explanationFactories.push(f);
  }

  start(): void {
    for (const w of this.config.watch) mkdirSync(w.dir, { recursive: true });
    this.resumeFindings();
    this.setState('Ready');
    for (const f of this.folders) f.start();
    this.reviewTimer = setInterval(() => this.pollReviews(), REVIEW_POLL_MS);
  }

  /**
   * Findings a previous run recorded as pending (killed or stopped between a case's decision and its
   * findings): run now, on the same files if they are still there unchanged; otherwise skipped with
   * a logged reason. The decision itself is never repeated.
   */
  private resumeFindings(): void {
    for (const p of this.ledger.pendingFindings()) {
      const result = this.ledger.result(p.caseUid);
      const watch = this.config.watch.find((w) => w.dir === p.work.watchDir) ?? null;
      const intact = p.work.files.every((f) => sha256File(f.path)?.sha256 === f.sha256);
      if (!result || !intact) {
        this.deps.store.write(() => this.ledger.findingsDone(p.caseUid));
        this.log(`STATION_FINDINGS_SKIPPED: ${result?.serial ?? p.caseUid.slice(0, 12)}: its files changed or are gone since its decision (result ${result?.resultId ?? '?'} stands)`);
        continue;
      }
      for (const f of p.work.finish) this.detailPaths.add(f.path);
      // Rows from before maps were drawn after the publish carry neither flag: findings only.
      this.details.push({ watch, result, files: p.work.files, finish: p.work.finish, recordedAt: Date.now(), findings: p.work.findings ?? true, explain: p.work.explain ?? false });
    }
    if (this.details.length > 0 && !this.running) this.idle = this.drain();
  }

  /**
   * Reviews of published cases become correction messages: outbox row and cursor in one
   * transaction, so each review is published once across restarts.
   */
  pollReviews(): void {
    const id = this.config.station.id;
    try {
      for (const { review, result } of this.ledger.reviewsAfter(this.ledger.reviewCursor(id))) {
        if (result.station !== id) continue;
        const c = this.correctionOf(result, review);
        this.deps.store.write(() => this.ledger.enqueueCorrection(id, review.id, result.caseUid, this.correctionFactories.flatMap((f) => f(c))));
        const verdict = c.verdictChanged ? `case ${c.originalVerdict} → ${c.correctedVerdict}` : `case stays ${c.correctedVerdict}`;
        this.log(`${c.serial}: review ${review.id} (${review.decision}${review.label ? ` ${review.label}` : ''}) published as a correction of ${c.resultId}; ${verdict}`);
        this.emit('correction', c);
      }
    } catch (e) {
      this.log(`STATION_REVIEW_POLL_FAILED: ${toErrorInfo(e).message}`); // database busy: next poll retries
    }
  }

  /**
   * The correction a review of a published case is published as: the reviewer's decision and the
   * case verdict with every review of its runs up to this one. Built from the history alone, so
   * the message rebuilt after a restart (OPC UA LastCorrection, REST) is the one that was sent.
   */
  correctionOf(result: StationResult, review: ReviewRow): StationCorrection {
    const upToThis = this.ledger.reviewsOfRuns(result.runIds).filter((x) => x.id <= review.id);
    return buildCorrection(result, review, correctedVerdict(result, upToThis));
  }

  /** The corrections already published for a case, oldest first (REST). */
  corrections(result: StationResult): StationCorrection[] {
    return this.ledger.publishedReviewsOf(this.config.station.id, result.caseUid).map((rv) => this.correctionOf(result, rv));
  }

  /** The last correction this station published (null before its first). */
  lastCorrection(): StationCorrection | null {
    const last = this.ledger.lastPublishedReview(this.config.station.id);
    return last ? this.correctionOf(last.result, last.review) : null;
  }

  async stop(): Promise<void> {
    if (this.reviewTimer) clearInterval(this.reviewTimer);
    for (const f of this.folders) f.stop();
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.queue.length = 0;
    // Findings not run yet wait for the next start (their pending rows stay in the outbox, their files
    // in the folder): a stop finishes only the call in flight. Never a second decision.
    const left = this.details.splice(0);
    if (left.length) this.log(`station: stopping with ${left.length} case(s)' findings still to run; they run at the next start`);
    await this.idle;
    this.setState('Stopped');
  }

  status(): StationStatus {
    return {
      state: this.state,
      queueDepth: this.queue.length,
      queueMax: this.config.queue.max,
      pendingCases: this.pending.size,
      processed: this.processed,
      rejected: this.rejected,
      lastResultId: this.lastResultId,
    };
  }

  private log(line: string): void {
    this.deps.log?.(line);
  }

  private setState(s: StationState): void {
    if (s === this.state) return;
    this.state = s;
    this.emit('state', s);
  }

  private onRejected(f: RejectedFile): void {
    this.rejected++;
    this.log(`${f.code}: ${f.message}`);
    this.emit('rejected', f);
  }

  private onFile(w: WatchConfig, f: ReadyFile): void {
    const hashed = sha256File(f.path);
    if (!hashed) {
      this.folders.find((h) => h.watch === w)?.release(f.path);
      return; // gone between scan and read (moved by someone else): nothing to inspect
    }
    const file: CaseFile = { view: f.view, path: f.path, name: f.name, sha256: hashed.sha256, size: hashed.size, lastWriteMs: f.lastWriteMs };
    const done = this.ledger.fileCase(f.name, hashed.sha256);
    if (done && this.detailPaths.has(f.path)) return; // its case's findings still read it (resumeFindings)
    if (done) {
      // Consumed before a restart (or a second copy of the same bytes): never inspected twice.
      this.log(`${f.name}: already recorded in case ${done.slice(0, 12)}; not inspected again`);
      this.finishFiles(w, [file]);
      return;
    }
    const key = `${w.dir}\0${f.serial}`;
    let p = this.pending.get(key);
    if (p?.files.has(f.view)) {
      // A second image of the same view: the first case closes as it is, the new file starts the next.
      this.complete(p, 'folder');
      p = undefined;
    }
    if (!p) {
      p = { key, watch: w, serial: f.serial, lot: f.fields['lot'] ?? null, files: new Map(), timer: undefined };
      const pc = p;
      p.timer = setTimeout(() => this.complete(pc, 'folder'), w.case_timeout_ms);
      this.pending.set(key, p);
    }
    p.files.set(f.view, file);
    if (w.views.every((v) => p.files.has(v))) this.complete(p, 'folder');
  }

  private complete(p: Pending, trigger: Trigger): void {
    if (this.pending.get(p.key) !== p) return;
    if (p.timer) clearTimeout(p.timer);
    this.pending.delete(p.key);
    this.enqueue({ watch: p.watch, serial: p.serial, lot: p.lot, files: [...p.files.values()], trigger: this.triggerVia.get(p.serial) ?? trigger, views: p.watch.views });
  }

  private enqueue(job: Job): void {
    job.completedAt = Date.now();
    this.queue.push(job);
    this.queueChanged();
    if (!this.running) this.idle = this.drain();
  }

  /** Starts or stops reading the hot folders; triggered parts are still taken (see trigger). */
  setIntake(on: boolean): void {
    this.intake = on;
    this.queueChanged();
  }

  get intakeOn(): boolean {
    return this.intake;
  }

  private queueChanged(): void {
    const full = this.queue.length >= this.config.queue.max;
    for (const f of this.folders) f.pause(full || !this.intake);
    this.emit('queue', this.queue.length);
  }

  private async drain(): Promise<void> {
    this.running = true;
    this.setState('Busy');
    try {
      while (this.queue.length > 0 || this.details.length > 0) {
        if (this.details.length > 0 && (this.queue.length === 0 || this.details.length >= DETAIL_BACKLOG)) {
          await this.detail(this.details.shift()!);
          continue;
        }
        const job = this.queue.shift()!;
        this.queueChanged();
        this.current = job.serial;
        try {
          await this.process(job);
        } catch (e) {
          // Recording itself failed (disk full, database locked): the files stay where they are and
          // are taken again after a restart; nothing was published.
          const info = toErrorInfo(e);
          this.log(`STATION_RECORD_FAILED: case ${job.serial}: ${info.code}: ${info.message}`);
          this.emit('error-case', { serial: job.serial, error: info });
        }
      }
    } finally {
      this.current = null;
      this.running = false;
      if (this.state !== 'Stopped') this.setState('Ready');
    }
  }

  private async process(job: Job): Promise<void> {
    const station = this.config.station;
    const triggerNonce = job.files.length === 0 ? [{ view: 'trigger', sha256: randomUUID() }] : job.files;
    const uid = caseUid(station.id, job.serial, triggerNonce);
    const existing = this.ledger.result(uid);
    if (existing) {
      this.finishFiles(job.watch, job.files);
      this.resolveWaiters(existing);
      return;
    }
    const sidecar = job.watch ? readSidecar(join(job.watch.dir, `${job.serial}.json`)) : null;
    const inspectStart = Date.now();
    const withFindings = this.config.findings === 'with_decision';
    const explainNow = this.config.explanation === 'with_decision';
    let report: InspectReport | null = null;
    let failure: { code: string; message: string } | undefined;
    if (job.files.length > 0) {
      for (let attempt = 0; attempt < 2 && !report; attempt++) {
        try {
          report = await this.deps.inspect(
            job.files.map((f) => f.path),
            job.watch?.dir ?? process.cwd(),
            withFindings ? 'all' : 'decide',
            explainNow ? 'with' : 'none',
          );
          failure = undefined;
        } catch (e) {
          failure = toErrorInfo(e);
          if (failure.code !== 'WORKER_CRASHED') break; // a crashed worker restarts; anything else is final
        }
      }
    }
    const inspected = Date.now();
    const resultId = randomUUID();
    // store.write, not a bare transaction: the nested run records become savepoints and the audit
    // anchor is written once, after this commit.
    const result = this.deps.store.write(() => {
        const runIds = report ? this.deps.record(report) : [];
        const r = buildResult({
          resultId,
          caseUid: uid,
          station,
          serial: job.serial,
          lot: job.lot ?? sidecar?.lot ?? null,
          ...(sidecar?.partId ? { partId: sidecar.partId } : {}),
          ...(sidecar?.error ? { notes: [sidecar.error] } : {}),
          views: job.views,
          files: job.files,
          trigger: job.trigger,
          report,
          ...(failure ? { failure } : {}),
          runIds,
          startedAt: inspectStart,
          inspectStart,
          now: Date.now(),
        });
        const deferred = (!withFindings || !explainNow) && report !== null && job.files.length > 0;
        // The work still to run after the publish (findings, the deciding packs' map) is an outbox row
        // of its own (channel "findings", drained by the station itself): a kill before it ran is
        // resumed at the next start, never lost.
        const findingsWork = deferred
          ? [findingsRow({ watchDir: job.watch?.dir ?? null, files: job.files, finish: sidecar ? [...job.files, sidecar.file] : job.files, findings: !withFindings, explain: !explainNow })]
          : [];
        this.ledger.insertCase(r, job.files, [...this.outboxFactories.flatMap((f) => f(r)), ...findingsWork]);
        return r;
      });
    const recordedAt = Date.now();
    this.processed++;
    this.lastResultId = result.resultId;
    this.log(`${result.serial}: ${result.verdict} (${result.evaluation}) result ${result.resultId}`);
    // Published from here: the outbox row committed with the record above.
    this.emit('result', result);
    this.emit('trace', traceOf(job, result, report, inspectStart, inspected, recordedAt));
    // The inspection itself could not run (a pack that fails to load, a worker that crashed twice):
    // the case is recorded and published INCOMPLETE as always, and the station says it cannot
    // operate (OPC 40100 Error) until an operator resets it.
    if (failure) this.emit('inspection-failed', { serial: job.serial, resultId: result.resultId, error: failure });
    this.resolveWaiters(result);
    const finish = sidecar ? [...job.files, sidecar.file] : job.files;
    if ((!withFindings || !explainNow) && report && job.files.length > 0) {
      for (const f of finish) this.detailPaths.add(f.path);
      this.details.push({ watch: job.watch, result, files: job.files, finish, recordedAt, findings: !withFindings, explain: !explainNow });
    }
    else this.finishFiles(job.watch, finish);
    if (report && this.deps.afterRecord) await this.deps.afterRecord(report).catch((e: unknown) => this.log(`pack reference: ${toErrorInfo(e).message}`));
  }

  /**
   * The after-publish work of a recorded, published case: its findings (a side's grounding pack) and
   * the deciding packs' maps, from one worker call. Findings are recorded (runs linked to the case,
   * the findings message in the outbox) and each map as an explanation record of the run it explains
   * (run_explanations) in one transaction, then published. A failure here is logged and changes
   * nothing already published.
   */
  private async detail(d: DetailJob): Promise<void> {
    this.current = d.result.serial;
    try {
      // Findings only, the deciding packs again (their map), or both.
      const part: InspectPart = d.findings && d.explain ? 'all' : d.explain ? 'decide' : 'detail';
      const report = await this.deps.inspect(
        d.files.map((f) => f.path),
        d.watch?.dir ?? process.cwd(),
        part,
        d.explain ? 'only' : 'none',
      );
      const findingsReport = { ...report, results: report.results.filter((r) => r.role === 'findings') };
      const explained = d.explain ? { ...report, results: report.results.filter((r) => r.role !== 'findings' && !r.error) } : null;
      const runs: ExplainedRun[] = d.result.images
        .filter((i) => i.runId !== null && i.role !== 'findings')
        .map((i) => ({ runId: i.runId!, file: i.file, pack: i.pack.name }));
      if (explained) this.checkScores(d, explained, runs);
      const out = this.deps.store.write(() => {
        let findings: StationFindings | null = null;
        if (findingsReport.results.length > 0) {
          // Runs and error rows only: the case's verdict was recorded with its decision.
          const runIds = this.deps.record({ ...findingsReport, cases: [], skipped: [] });
          const now = Date.now();
          findings = buildFindings(d.result, findingsReport, d.files, runIds, now - d.recordedAt, now);
          this.ledger.insertFindings(findings, this.findingsFactories.flatMap((x) => x(findings!)));
        }
        const explanations = explained && this.deps.recordExplanations ? this.deps.recordExplanations(explained, runs) : [];
        // The explanation message goes into the outbox with the records it is built from (exactly once).
        const message = explanations.length ? buildExplanation(this.deps.store, d.result) : null;
        if (message) this.ledger.insertExplanation(d.result.station, d.result.caseUid, this.explanationFactories.flatMap((x) => x(message)));
        this.ledger.findingsDone(d.result.caseUid);
        return { findings, explanations, message };
      });
      if (out.findings) this.emit('findings', out.findings);
      if (out.explanations.length) {
        this.log(`${d.result.serial}: ${out.explanations.length} map(s) recorded after result ${d.result.resultId} (explanation records ${out.explanations.join(', ')})`);
        this.emit('explanations', { resultId: d.result.resultId, caseUid: d.result.caseUid, ids: out.explanations, afterMs: Date.now() - d.recordedAt });
      }
      if (out.message) this.emit('explanation', out.message);
    } catch (e) {
      const info = toErrorInfo(e);
      this.log(`STATION_FINDINGS_FAILED: ${d.result.serial}: ${info.code}: ${info.message} (result ${d.result.resultId} stands)`);
      try {
        this.deps.store.write(() => this.ledger.findingsDone(d.result.caseUid));
      } catch {
        /* the database is failing: the row stays pending and the next start retries */
      }
    } finally {
      this.current = null;
    }
    for (const f of d.finish) this.detailPaths.delete(f.path);
    this.finishFiles(d.watch, d.finish);
  }

  /**
   * The pass that draws the map must be the pass that decided: same files (hash-checked before a
   * resume), same pack, so the same score. A difference is logged with both scores; the map is still
   * recorded with its own score, and the published decision stands.
   */
  private checkScores(d: DetailJob, report: InspectReport, runs: readonly ExplainedRun[]): void {
    for (const r of report.results) {
      const file = d.files.find((f) => f.path === r.source)?.name;
      const decided = d.result.images.find((i) => i.file === file && i.pack.name === r.pack.name && i.role !== 'findings');
      if (!decided || !runs.some((x) => x.runId === decided.runId)) continue;
      if (decided.defectScore !== null && r.defectScore !== undefined && Math.abs(decided.defectScore - r.defectScore) > 1e-6) {
        this.log(`STATION_EXPLANATION_SCORE_DIFFERS: ${d.result.serial} ${file} ${r.pack.name}: decided at ${decided.defectScore}, the map's pass scored ${r.defectScore} (result ${d.result.resultId} stands)`);
      }
    }
  }

  private resolveWaiters(r: StationResult): void {
    const list = this.waiters.get(r.serial);
    if (!list) return;
    this.waiters.delete(r.serial);
    this.triggerVia.delete(r.serial);
    for (const f of this.folders) f.allow(r.serial, false);
    for (const w of list) w(r);
  }

  /** Applies `after` (keep | move:DIR | delete) to files whose case is recorded. */
  private finishFiles(w: WatchConfig | null, files: readonly CaseFile[]): void {
    const folder = w ? this.folders.find((h) => h.watch === w) : undefined;
    for (const f of files) {
      const after = w?.after ?? 'keep';
      try {
        if (after === 'delete' && existsSync(f.path)) unlinkSync(f.path);
        else if (after.startsWith('move:') && existsSync(f.path)) moveFile(f.path, after.slice(5));
      } catch (e) {
        this.log(`STATION_AFTER_FAILED: ${f.name}: ${(e as Error).message}`);
      }
      if (after !== 'keep') folder?.release(f.path);
    }
  }

  /**
   * A PLC/MES trigger for one part: the case for `partId` is closed now if its files are here, or as
   * soon as its first file arrives; with none by `timeoutMs` the part gets an INCOMPLETE result.
   * Resolves with the recorded result (the same one the other channels publish).
   */
  trigger(partId: string, via: Trigger, timeoutMs: number): Promise<StationResult> {
    return new Promise((resolveResult) => {
      const list = this.waiters.get(partId) ?? [];
      list.push(resolveResult);
      this.waiters.set(partId, list);
      this.triggerVia.set(partId, via);
      for (const f of this.folders) {
        f.allow(partId, true);
        f.scan();
      }
      const open = [...this.pending.values()].find((p) => p.serial === partId);
      if (open) {
        this.complete(open, via);
        return;
      }
      setTimeout(() => {
        if (!this.waiters.has(partId)) return;
        const p = [...this.pending.values()].find((x) => x.serial === partId);
        if (p) this.complete(p, via);
        else if (this.queue.some((j) => j.serial === partId) || this.current === partId) return; // its result is on the way
        else this.enqueue({ watch: null, serial: partId, lot: null, files: [], trigger: via, views: this.config.watch[0]!.views });
      }, timeoutMs);
    });
  }

  /** Files given directly (REST): grouped by the first watch whose pattern names them. */
  submitFiles(serial: string, files: CaseFile[], watch: WatchConfig, via: Trigger, lot: string | null = null): Promise<StationResult> {
    return new Promise((resolveResult) => {
      const list = this.waiters.get(serial) ?? [];
      list.push(resolveResult);
      this.waiters.set(serial, list);
      for (const f of files) this.folders.find((h) => h.watch === watch)?.markHandled(f.path);
      this.enqueue({ watch, serial, lot, files, trigger: via, views: watch.views });
    });
  }
}

/**
 * `<serial>.json` beside the images: `{ "lot": "...", "partId": "..." }` for traceability the file
 * name does not carry. Unreadable or malformed, it makes the case INCOMPLETE with a coded reason.
 */
function readSidecar(path: string): { lot?: string; partId?: string; error?: { code: string; message: string; file: string }; file: CaseFile } | null {
  if (!existsSync(path)) return null;
  const file: CaseFile = { view: 'sidecar', path, name: basename(path), sha256: '', size: 0, lastWriteMs: 0 };
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    const o = v as Record<string, unknown>;
    const str = (k: string) => (o[k] === undefined ? undefined : typeof o[k] === 'string' || typeof o[k] === 'number' ? String(o[k]) : null);
    const lot = str('lot');
    const partId = str('partId');
    if (lot === null || partId === null) throw new Error('lot and partId must be strings');
    return { ...(lot ? { lot } : {}), ...(partId ? { partId } : {}), file };
  } catch (e) {
    return { error: { code: 'STATION_SIDECAR_INVALID', message: `${basename(path)}: ${(e as Error).message}`, file: basename(path) }, file };
  }
}

function findingsRow(work: FindingsWork): { channel: string; topic: string; payload: string } {
  return { channel: FINDINGS_CHANNEL, topic: 'findings', payload: JSON.stringify(work) };
}

function traceOf(job: Job, r: StationResult, report: InspectReport | null, inspectStart: number, inspected: number, recordedAt: number): CaseTrace {
  const lastWrite = Math.max(0, ...job.files.map((f) => f.lastWriteMs));
  const packs: CaseTrace['packs'] = {};
  for (const x of report?.results ?? []) {
    const p = (packs[x.pack.name] ??= { preprocessMs: 0, inferenceMs: 0, explainMs: 0 });
    p.preprocessMs += x.timings.preprocessMs;
    p.inferenceMs += x.timings.inferenceMs;
    p.explainMs += x.timings.explainMs;
  }
  const completed = job.completedAt ?? inspectStart;
  return {
    serial: r.serial,
    resultId: r.resultId,
    arrivalMs: lastWrite ? Math.max(0, completed - lastWrite) : 0,
    queueMs: Math.max(0, inspectStart - completed),
    inspectMs: inspected - inspectStart,
    packs,
    recordMs: recordedAt - inspected,
    recordedAt,
  };
}

function moveFile(path: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  let target = join(dir, basename(path));
  if (existsSync(target)) target = join(dir, `${basename(path, extname(path))}.${Date.now()}${extname(path)}`);
  try {
    renameSync(path, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    copyFileSync(path, target);
    unlinkSync(path);
  }
}

export { sha256File };
