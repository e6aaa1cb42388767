/**
 * Applying a threshold chosen in the UI: the same rules as `inspector threshold apply` (a
 * supervisor or admin, an evaluation of exactly the installed pack files, recorded in the audit
 * chain with the evaluation id, objective and operator), for any `ThresholdChoice`. A choice the
 * evaluation recorded (its proposals, its band at the targets it used) is taken from the record;
 * any other (another target, a threshold set by hand) is computed from the evaluation's images,
 * which only the session that ran it holds.
 */
import type { HistoryStore } from '../history/index';
import { InspectorError } from '../../shared/errors';
import type { PackFacts } from './evaluate';
import { chooseThreshold, choiceObjective, type ThresholdChoice } from './tradeoff';
import { getEvaluation } from './validation';

export const APPLY_ROLES: readonly string[] = ['supervisor', 'admin'];

export interface AppliedThreshold {
  thresholdVersion: number;
  pack: string;
  packIdentity: string;
  evaluationId: number;
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
  /** The targets the evaluation's recorded band used (its defaults). */
  recordedBandTargets?: { recallTarget: number; falseAlarmTarget: number };
}

export function applyThresholdChoice(store: HistoryStore, input: ApplyChoiceInput): AppliedThreshold {
  const { evaluationId, current, choice } = input;
  const op = store.currentOperator();
  if (!op) throw new InspectorError('OPERATOR_NOT_SELECTED', 'Choose your operator profile before applying a threshold.');
  if (!APPLY_ROLES.includes(op.role)) {
    throw new InspectorError('THRESHOLD_ROLE_REQUIRED', `Applying a threshold needs a supervisor or admin; ${op.id} is ${op.role}.`, { operator: op.id, role: op.role });
  }
  const ev = getEvaluation(store.db, evaluationId);
  if (!ev) throw new InspectorError('EVAL_NOT_FOUND', `There is no evaluation ${evaluationId} in ${store.file}.`);
  const entry = ev.summary.packs.find((p) => p.pack === current.name);
  if (!entry) throw new InspectorError('EVAL_PACK_NOT_EVALUATED', `Evaluation ${evaluationId} did not evaluate ${current.name}.`);
  if (entry.identity !== current.identity) {
    throw new InspectorError('EVAL_PACK_CHANGED', `The installed ${current.name} files differ from those evaluation ${evaluationId} measured; evaluate it again before applying a threshold.`, {
      evaluated: entry.identity,
      installed: current.identity,
    });
  }
  const objective = choiceObjective(choice);
  let low: number;
  let high: number;
  let humanShare: number | null = null;
  const recorded = entry.proposals.find((p) => p.objective === objective);
  const t = input.recordedBandTargets;
  if (recorded) {
    low = high = recorded.threshold;
  } else if (choice.kind === 'band' && entry.band && t && t.recallTarget === choice.recallTarget && t.falseAlarmTarget === choice.falseAlarmTarget) {
    ({ low, high, humanShare } = entry.band);
  } else {
    if (!input.images?.length) {
      throw new InspectorError('EVAL_PREDICTIONS_UNAVAILABLE', `Evaluation ${evaluationId} recorded no "${objective}" threshold for ${current.name}, and its images are not held by this session; run the evaluation again to choose another.`, {
        evaluationId,
        objective,
      });
    }
    const c = chooseThreshold(input.images.map((i) => i.truth), input.images.map((i) => i.score), choice);
    ({ low, high, humanShare } = c);
  }
  const thresholdVersion = store.recordThresholdVersion({ packName: current.name, packIdentity: current.identity, evaluationId, objective, low, high, humanShare, operatorId: op.id });
  return { thresholdVersion, pack: current.name, packIdentity: current.identity, evaluationId, objective, low, high, humanShare, operator: op.id };
}
