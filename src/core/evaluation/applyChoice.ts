/**
 * Applying a threshold: the one set of rules the CLI (`inspector threshold apply`) and the app's
 * Evaluate room share — a supervisor or admin, labels measured on exactly the installed pack
 * files, recorded in the audit chain with where the labels came from, the objective and the
 * operator. The labels are an evaluation's (its id) or reviewed history's (reviewer decisions as
 * labels: the version then has no evaluation, and its `source` records the label set: window,
 * counts and a hash of the run ids and truths used).
 *
 * From an evaluation, a choice it recorded (its proposals, its band at the targets it used) is
 * taken from the record; any other (another target, a threshold set by hand) is computed from its
 * images — those the caller holds, else the per-image predictions the evaluation kept in the blob
 * store (evaluations recorded before those were kept: `EVAL_PREDICTIONS_UNAVAILABLE`).
 */
import { createHash } from 'node:crypto';
import type { HistoryStore } from '../history/index';
import { InspectorError } from '../../shared/errors';
import type { PackFacts } from './evaluate';
import type { HistoryProposals } from './fromHistory';
import { readRecordedEvaluation, recordedTargets } from './recorded';
import { chooseThreshold, choiceObjective, type ThresholdChoice } from './tradeoff';
import { getEvaluation } from './validation';

export const APPLY_ROLES: readonly string[] = ['supervisor', 'admin'];

export interface AppliedThreshold {
  thresholdVersion: number;
  pack: string;
  packIdentity: string;
  /** Null when the labels were reviewed history (`source` says which). */
  evaluationId: number | null;
  source?: ReviewedHistorySource;
  objective: string;
  low: number;
  high: number;
  humanShare: number | null;
  operator: string;
}

export interface ApplyChoiceInput {
  evaluationId: number;
  /** The pack as installed now (its identity is compared with the evaluated one). */
  current: PackFacts;
  choice: ThresholdChoice;
  /** The evaluation's images (truth 0/1, defect score) when this session holds them. */
  images?: readonly { truth: 0 | 1; score: number }[];
  /** The targets the evaluation's recorded band used (default: read off its proposals' names). */
  recordedBandTargets?: { recallTarget: number; falseAlarmTarget: number };
}

/** What a version chosen from reviewed history records as its source (audited with it). */
export interface ReviewedHistorySource {
  kind: 'reviewed-history';
  since: number | null;
  until: number | null;
  runs: number;
  reviewed: number;
  labels: number;
  defects: number;
  normals: number;
  /** SHA-256 over the `runId:truth` lines of the labels used, in run order: which decisions, exactly. */
  labelsSha256: string;
  firstRunId: number;
  lastRunId: number;
}

export interface ApplyFromHistoryInput {
  current: PackFacts;
  choice: ThresholdChoice;
  /** `proposeFromHistory` on the installed pack's current files (its labels are the images). */
  history: HistoryProposals;
  window?: { since?: number; until?: number };
}

function authorisedOperator(store: HistoryStore): string {
  const op = store.currentOperator();
  if (!op) throw new InspectorError('OPERATOR_NOT_SELECTED', 'Choose your operator profile before applying a threshold (inspector operator select ID).');
  if (!APPLY_ROLES.includes(op.role)) {
    throw new InspectorError('THRESHOLD_ROLE_REQUIRED', `Applying a threshold needs a supervisor or admin; ${op.id} is ${op.role}.`, { operator: op.id, role: op.role });
  }
  return op.id;
}

function samePackFiles(current: PackFacts, measured: string, what: string): void {
  if (measured !== current.identity) {
    throw new InspectorError('EVAL_PACK_CHANGED', `The installed ${current.name} files differ from those ${what} measured; evaluate it again before applying a threshold.`, {
      evaluated: measured,
      installed: current.identity,
    });
  }
}

/** The evaluation's kept per-image predictions of one pack, as truth and defect score. */
function keptImages(store: HistoryStore, evaluationId: number, pack: PackFacts): { truth: 0 | 1; score: number }[] {
  const { metrics, predictions } = readRecordedEvaluation(store, evaluationId);
  const evaluated = metrics.packs.find((p) => p.pack.name === pack.name)?.pack;
  const normal = new Set([metrics.set.normalLabel, ...(evaluated?.normalLabels ?? pack.normalLabels)]);
  return predictions.filter((p) => p.pack === pack.name).map((p) => ({ truth: normal.has(p.label) ? 0 : 1, score: p.defectScore }));
}

export function applyThresholdChoice(store: HistoryStore, input: ApplyChoiceInput): AppliedThreshold {
  const { evaluationId, current, choice } = input;
  const operator = authorisedOperator(store);
  const ev = getEvaluation(store.db, evaluationId);
  if (!ev) throw new InspectorError('EVAL_NOT_FOUND', `There is no evaluation ${evaluationId} in ${store.file}.`);
  const entry = ev.summary.packs.find((p) => p.pack === current.name);
  if (!entry) throw new InspectorError('EVAL_PACK_NOT_EVALUATED', `Evaluation ${evaluationId} did not evaluate ${current.name}.`);
  samePackFiles(current, entry.identity, `evaluation ${evaluationId}`);
  if (choice.kind === 'band' && !entry.band) throw new InspectorError('EVAL_NO_BAND', `Evaluation ${evaluationId} has no uncertain band for ${current.name} (the set needs normal and defective images).`);
  const objective = choiceObjective(choice);
  let low: number;
  let high: number;
  let humanShare: number | null = null;
  const recorded = entry.proposals.find((p) => p.objective === objective);
  const t = input.recordedBandTargets ?? recordedTargets([entry], { recallTarget: 0.99, falseAlarmTarget: 0.01, sigmaK: 3 });
  if (recorded) {
    low = high = recorded.threshold;
  } else if (choice.kind === 'band' && entry.band && t.recallTarget === choice.recallTarget && t.falseAlarmTarget === choice.falseAlarmTarget) {
    ({ low, high, humanShare } = entry.band);
  } else {
    const images = input.images?.length ? input.images : (ev.summary as { predictionsBlob?: string }).predictionsBlob ? keptImages(store, evaluationId, current) : [];
    if (!images.length) {
      throw new InspectorError('EVAL_PREDICTIONS_UNAVAILABLE', `Evaluation ${evaluationId} recorded no "${objective}" threshold for ${current.name}, and its per-image scores were not kept (it predates that); evaluate the set again to choose another.`, {
        evaluationId,
        objective,
      });
    }
    ({ low, high, humanShare } = chooseThreshold(images.map((i) => i.truth), images.map((i) => i.score), choice));
  }
  const thresholdVersion = store.recordThresholdVersion({ packName: current.name, packIdentity: current.identity, evaluationId, objective, low, high, humanShare, operatorId: operator });
  return { thresholdVersion, pack: current.name, packIdentity: current.identity, evaluationId, objective, low, high, humanShare, operator };
}

/**
 * A threshold version from reviewed history: reviewer decisions on production runs of exactly the
 * installed pack files as labels (`proposeFromHistory`), no evaluation. The same role rule; the
 * threshold is computed from those labels by the same objectives; the label set is the source.
 */
export function applyThresholdFromHistory(store: HistoryStore, input: ApplyFromHistoryInput): AppliedThreshold {
  const { current, choice, history } = input;
  const operator = authorisedOperator(store);
  samePackFiles(current, history.packIdentity, 'the reviewed runs');
  if (!history.labels.length) throw new InspectorError('EVAL_NO_REVIEWS', `No reviewed runs of ${current.name} to use as labels.`, { pack: current.name });
  if (choice.kind === 'band' && !history.band) throw new InspectorError('EVAL_NO_BAND', `The reviewed runs of ${current.name} give no uncertain band (they need defective and normal parts).`);
  const y = history.labels.map((l) => l.defect);
  const s = history.labels.map((l) => l.score);
  const { objective, low, high, humanShare } = chooseThreshold(y, s, choice);
  const source: ReviewedHistorySource = {
    kind: 'reviewed-history',
    since: input.window?.since ?? null,
    until: input.window?.until ?? null,
    runs: history.runs,
    reviewed: history.reviewed,
    labels: history.labels.length,
    defects: history.defects,
    normals: history.normals,
    labelsSha256: createHash('sha256').update(history.labels.map((l) => `${l.runId}:${l.defect}\n`).join('')).digest('hex'),
    firstRunId: history.labels[0]!.runId,
    lastRunId: history.labels.at(-1)!.runId,
  };
  const thresholdVersion = store.recordThresholdVersion({
    packName: current.name,
    packIdentity: current.identity,
    evaluationId: null,
    source: source as unknown as Record<string, unknown>,
    objective,
    low,
    high,
    humanShare,
    operatorId: operator,
  });
  return { thresholdVersion, pack: current.name, packIdentity: current.identity, evaluationId: null, source, objective, low, high, humanShare, operator };
}
