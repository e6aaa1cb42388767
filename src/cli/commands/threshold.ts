import { parseArgs } from 'node:util';
import { packFacts } from '../../host/evaluate';
import { appPaths } from '../../host/paths';
import { getEvaluation, validationStatus } from '../../core/evaluation/validation';
import { discoverPacks } from '../../core/packs/discover';
import { loadPack } from '../../core/packs/load';
import { resolvePackDir } from '../../core/packs/resolve';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { parseInstant, parseNumber, usageError, withStore } from '../historyDb';
import { proposeFromHistory, type HistoryProposals } from '../../core/evaluation/fromHistory';
import { applyThresholdChoice, applyThresholdFromHistory, type AppliedThreshold } from '../../core/evaluation/applyChoice';
import { recordedTargets } from '../../core/evaluation/recorded';
import type { ThresholdChoice } from '../../core/evaluation/tradeoff';

const HELP = [
  'Usage: inspector threshold apply --evaluation ID --pack NAME|DIR (--objective OBJ | --band) [--db FILE] [--json]',
  '       inspector threshold apply --from-history --pack NAME|DIR (--objective OBJ | --band) [--since DATE] [--until DATE]',
  '                                [--recall-target 0.99] [--false-alarm-target 0.01] [--sigma 3] [--db FILE] [--json]',
  '       inspector threshold status [--pack NAME|DIR] [--db FILE] [--json]',
  '       inspector threshold propose --from-history [--pack NAME|DIR] [--since DATE] [--until DATE]',
  '                                  [--recall-target 0.99] [--false-alarm-target 0.01] [--sigma 3] [--db FILE] [--json]',
  '',
  'apply: writes a new threshold version for the exact pack files that evaluation ID measured: OBJ is',
  '  f1-optimal, recall>=T, false-alarm<=T, mean+Ksigma or manual=T (a proposal the evaluation recorded',
  '  is taken from it; another target is computed from the per-image scores it kept); --band applies',
  '  the uncertain band T1/T2 (low, high). --from-history instead takes reviewed runs of the installed',
  "  pack files as labels (as `propose --from-history`); no evaluation, the label set is the version's",
  '  recorded source. Recorded in the audit chain with the evaluation id or source, the objective and',
  '  the selected operator, who must be a supervisor or admin. Refused when the installed pack files',
  '  differ from those measured.',
  'propose --from-history: reviewed production runs of the installed pack files as labels (accept: the',
  "  AI's label is the truth; override: the reviewer's label; a reject without a class: the other side",
  '  of a binary call) → thresholds by the same objectives as `evaluate --propose`, and the uncertain band.',
  '  Evaluation runs are left out. To apply one: threshold apply --from-history.',
  'status: per pack, whether its current files were evaluated on this station ("not validated on this',
  '  station" otherwise) and the threshold version in force.',
].join('\n');

/** `f1-optimal`, `recall>=0.99`, `false-alarm<=0.01`, `mean+3sigma` (as `evaluate --propose` prints them), or `manual=T`. */
export function parseChoice(text: string): ThresholdChoice {
  if (text === 'f1-optimal' || text === 'f1') return { kind: 'f1' };
  const m = /^(recall>=|false-alarm<=|mean\+|manual=)(-?\d+(?:\.\d+)?(?:e-?\d+)?)(sigma)?$/.exec(text);
  const v = m ? Number(m[2]) : NaN;
  if (m && Number.isFinite(v)) {
    if (m[1] === 'recall>=' && !m[3] && v >= 0 && v <= 1) return { kind: 'recall', target: v };
    if (m[1] === 'false-alarm<=' && !m[3] && v >= 0 && v <= 1) return { kind: 'false-alarm', target: v };
    if (m[1] === 'mean+' && m[3]) return { kind: 'sigma', k: v };
    if (m[1] === 'manual=' && !m[3]) return { kind: 'manual', threshold: v };
  }
  throw new InspectorError('EVAL_BAD_OBJECTIVE', `Unknown threshold objective "${text}": use f1-optimal, recall>=0.99, false-alarm<=0.01, mean+3sigma or manual=T.`);
}

const f3 = (v: number) => v.toFixed(3);

export function historyProposalText(h: HistoryProposals): string {
  const skipped = Object.entries(h.skipped).map(([why, n]) => `${n} ${why}`).join('; ');
  const lines = [
    `${h.pack} (${h.packIdentity.slice(0, 12)}): ${h.labels.length} reviewed runs as labels (${h.defects} defective, ${h.normals} normal) of ${h.runs} runs, ${h.reviewed} reviewed${skipped ? `; not used: ${skipped}` : ''}`,
    `  proposed thresholds on ${h.scoreUnit} (score ≥ threshold is a defect), reviewer decisions as truth:`,
  ];
  for (const q of h.proposals) {
    const o = q.point;
    lines.push(`    ${q.objective.padEnd(18)} ${o.threshold.toPrecision(5).padStart(10)}  F1 ${f3(o.f1)}  recall ${f3(o.recall)}  false alarms ${f3(o.falseAlarmRate)}  (TP ${o.tp} FP ${o.fp} TN ${o.tn} FN ${o.fn})${q.note ? `  ${q.note}` : ''}`);
  }
  if (!h.proposals.length) lines.push('    none: the reviewed runs need both defective and normal parts (mean + kσ needs two normal ones)');
  if (h.band) lines.push(`    uncertain band     T1 ${h.band.low.toPrecision(5)} … T2 ${h.band.high.toPrecision(5)}: ${(h.band.humanShare * 100).toFixed(1)} % of these runs to a person`);
  return lines.join('\n') + '\n';
}

function packRoots() {
  const p = appPaths();
  return [
    { dir: p.appModelsDir, source: 'app' as const },
    { dir: p.userModelsDir, source: 'user' as const },
  ];
}

export const thresholdCommand: Command = {
  name: 'threshold',
  summary: 'apply a threshold from an evaluation or reviewed history (audited, role-checked); propose from history; show validated status (apply|propose|status)',
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        evaluation: { type: 'string' },
        pack: { type: 'string' },
        objective: { type: 'string' },
        band: { type: 'boolean' },
        db: { type: 'string' },
        json: { type: 'boolean' },
        'from-history': { type: 'boolean' },
        since: { type: 'string' },
        until: { type: 'string' },
        'recall-target': { type: 'string' },
        'false-alarm-target': { type: 'string' },
        sigma: { type: 'string' },
      },
    });
    const say = (obj: unknown, text: string) => process.stdout.write(values.json ? JSON.stringify(obj, null, 2) + '\n' : text);
    if (sub === 'status') {
      const dirs = values.pack ? [resolvePackDir(values.pack, packRoots())] : discoverPacks(packRoots()).filter((p) => !p.error).map((p) => p.dir);
      return withStore(values.db, (s) => {
        const rows = dirs.map((d) => {
          const f = packFacts(loadPack(d));
          return { pack: f.name, version: f.version, ...validationStatus(s.db, f.identity) };
        });
        say(
          rows,
          rows
            .map((r) => `${r.pack} ${r.version} (${r.packIdentity.slice(0, 12)}): ${r.validated ? `validated by evaluation ${r.lastEvaluationId}` : r.notice}; threshold ${r.threshold ? `version ${r.threshold.id}: low ${r.threshold.low.toPrecision(5)} high ${r.threshold.high.toPrecision(5)} (${r.threshold.objective}, ${r.threshold.evaluationId !== null ? `evaluation ${r.threshold.evaluationId}` : 'reviewed history'}, by ${r.threshold.operatorId})` : "the pack's shipped one"}\n`)
            .join(''),
        );
        return 0;
      });
    }
    if (sub === 'propose') {
      if (!values['from-history']) throw usageError('threshold propose needs --from-history (proposals from a labelled set come from `inspector evaluate --propose`)');
      const dirs = values.pack ? [resolvePackDir(values.pack, packRoots())] : discoverPacks(packRoots()).filter((p) => !p.error).map((p) => p.dir);
      const facts = dirs.map((d) => packFacts(loadPack(d)));
      const opts = {
        ...(values.since ? { since: parseInstant(values.since, '--since') } : {}),
        ...(values.until ? { until: parseInstant(values.until, '--until') } : {}),
        recallTarget: parseNumber(values['recall-target'], '--recall-target', 0.99),
        falseAlarmTarget: parseNumber(values['false-alarm-target'], '--false-alarm-target', 0.01),
        sigmaK: parseNumber(values.sigma, '--sigma', 3),
      };
      return withStore(values.db, (s) => {
        // One pack named: its missing reviews are an error; all packs: those with reviews.
        const rows = values.pack
          ? [proposeFromHistory(s.db, facts[0]!, opts)]
          : facts.flatMap((f) => {
              try {
                return [proposeFromHistory(s.db, f, opts)];
              } catch (e) {
                if ((e as { code?: string }).code === 'EVAL_NO_REVIEWS') return [];
                throw e;
              }
            });
        if (!rows.length) throw new InspectorError('EVAL_NO_REVIEWS', `No reviewed runs of any installed pack's current files in ${s.file}.`);
        say(
          rows.map(({ labels: _l, ...r }) => r),
          rows.map(historyProposalText).join('\n'),
        );
        return 0;
      });
    }
    if (sub !== 'apply') throw usageError('threshold needs a subcommand: apply, status or propose');
    const fromHistory = !!values['from-history'];
    const evalId = Number(values.evaluation);
    if (fromHistory === (values.evaluation !== undefined)) throw usageError('threshold apply needs --evaluation ID or --from-history (one of them)');
    if (!fromHistory && !Number.isInteger(evalId)) throw usageError('threshold apply needs --evaluation ID');
    if (!values.pack) throw usageError('threshold apply needs --pack NAME|DIR');
    if (!values.objective && !values.band) throw usageError('threshold apply needs --objective OBJ or --band');
    const current = packFacts(loadPack(resolvePackDir(values.pack, packRoots())));
    const window = {
      ...(values.since ? { since: parseInstant(values.since, '--since') } : {}),
      ...(values.until ? { until: parseInstant(values.until, '--until') } : {}),
    };
    return withStore(values.db, (s) => {
      // The rules (role, same pack files, recorded or recomputed threshold, audit) are the core's,
      // shared with the app's Evaluate room.
      let applied: AppliedThreshold;
      if (fromHistory) {
        const targets = {
          recallTarget: parseNumber(values['recall-target'], '--recall-target', 0.99),
          falseAlarmTarget: parseNumber(values['false-alarm-target'], '--false-alarm-target', 0.01),
          sigmaK: parseNumber(values.sigma, '--sigma', 3),
        };
        const choice: ThresholdChoice = values.band ? { kind: 'band', recallTarget: targets.recallTarget, falseAlarmTarget: targets.falseAlarmTarget } : parseChoice(values.objective!);
        const history = proposeFromHistory(s.db, current, { ...window, ...targets });
        applied = applyThresholdFromHistory(s, { current, choice, history, window });
      } else {
        const ev = getEvaluation(s.db, evalId);
        const entry = ev?.summary.packs.find((p) => p.pack === current.name);
        const t = recordedTargets(entry ? [entry] : [], { recallTarget: 0.99, falseAlarmTarget: 0.01, sigmaK: 3 });
        const choice: ThresholdChoice = values.band ? { kind: 'band', recallTarget: t.recallTarget, falseAlarmTarget: t.falseAlarmTarget } : parseChoice(values.objective!);
        applied = applyThresholdChoice(s, { evaluationId: evalId, current, choice });
      }
      const from = applied.evaluationId !== null ? `evaluation ${applied.evaluationId}` : `reviewed history (${applied.source!.labels} reviewed runs as labels: ${applied.source!.defects} defective, ${applied.source!.normals} normal)`;
      say(
        applied,
        `Threshold version ${applied.thresholdVersion} for ${current.name} (${current.identity.slice(0, 12)}): low ${applied.low.toPrecision(5)} high ${applied.high.toPrecision(5)} by ${applied.objective} from ${from}, applied by ${applied.operator}; recorded in the audit chain.\n`,
      );
      return 0;
    });
  },
};
