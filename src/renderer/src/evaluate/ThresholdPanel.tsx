/**
 * The live trade-off of one pack: a slider over the evaluated images' scores and the objective
 * presets (the host computes them with the core's threshold rules) move the threshold; the
 * confusion at it, the curves' marker and the histogram's line follow at once (counted here).
 * Apply writes a threshold version in the host, which checks the operator's role.
 */
import { useMemo } from 'react';
import { useT } from '../i18n';
import { classNamer, proposalNoteText } from '../i18n/domain';
import { usePackLabels } from '../i18n/usePackLabels';
import { useAppStore } from '../state/appStore';
import { formatPercent, formatScore } from '../history/format';
import { useOperatorStore } from '../history/operatorStore';
import type { EvaluatedPack } from '../../../shared/evaluation';
import { useEvaluateStore, type PresetKind } from './evaluateStore';
import { fill } from './messages';
import { ConfusionMatrix } from './plots';
import { cellOf, countsRanked, rank, stepOf, thresholdSteps } from './tradeoff';
import { openInViewer } from './openCases';

const PRESETS: PresetKind[] = ['f1', 'recall', 'false-alarm', 'sigma', 'band', 'manual'];
const APPLY_ROLES = ['supervisor', 'admin'];

export function ThresholdPanel({ p }: { p: EvaluatedPack }) {
  const t = useT();
  const { preset, targets, proposal, applied, applyError, setThreshold, choosePreset, apply } = useEvaluateStore();
  const threshold = useEvaluateStore((s) => s.threshold[p.name] ?? p.threshold);
  const operator = useOperatorStore((s) => s.current);
  const steps = useMemo(() => thresholdSteps(p.tradeoff), [p.tradeoff]);
  const ranked = useMemo(() => rank(p.tradeoff), [p.tradeoff]);
  const live = countsRanked(ranked, threshold);
  const locale = useAppStore((s) => s.locale);
  const name = classNamer(locale, usePackLabels(p.name));
  const ids: [string, string] = p.kind === 'anomaly' ? [p.labels[0]!, p.labels[1]!] : [p.normalLabels[0] ?? 'normal', p.labels.filter((l) => !p.normalLabels.includes(l)).join(' / ') || 'defect'];
  const classes: [string, string] = [name(ids[0]), name(ids[1])];
  const presetLabel: Record<PresetKind, string> = {
    f1: t('eval.presetF1'),
    recall: t('eval.presetRecall'),
    'false-alarm': t('eval.presetFalseAlarm'),
    sigma: t('eval.presetSigma'),
    band: t('eval.presetBand'),
    manual: t('eval.presetManual'),
  };
  const target = (kind: PresetKind) => {
    const edit = (key: 'recall' | 'falseAlarm' | 'sigma', value: number, step: number, min: number, max: number) => (
      <input
        type="number"
        className="eval-target"
        value={value}
        step={step}
        min={min}
        max={max}
        aria-label={presetLabel[kind]}
        data-testid={`eval-target-${kind}`}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (Number.isFinite(v) && v >= min && v <= max) void choosePreset(kind, { [key]: v });
        }}
      />
    );
    if (kind === 'recall') return edit('recall', targets.recall, 0.01, 0, 1);
    if (kind === 'false-alarm') return edit('falseAlarm', targets.falseAlarm, 0.01, 0, 1);
    if (kind === 'sigma') return edit('sigma', targets.sigma, 0.5, -10, 10);
    return null;
  };
  const role = operator?.role;
  const mayApply = !!role && APPLY_ROLES.includes(role);
  return (
    <section className="card eval-tradeoff" aria-labelledby="eval-tradeoff-title" data-testid="eval-tradeoff">
      <h3 id="eval-tradeoff-title" className="card-title">
        {t('eval.tradeoff')}
      </h3>
      <div className="eval-tradeoff-grid">
        <div>
          <label className="eval-slider">
            <span>
              {t('eval.threshold')}{' '}
              <output data-testid="eval-threshold" data-value={threshold}>
                {threshold.toPrecision(5)}
              </output>{' '}
              <small>({t(p.scoreUnit === 'probability' ? 'eval.unitProbability' : 'eval.unitRaw')})</small>
            </span>
            <input
              type="range"
              min={0}
              max={steps.length - 1}
              step={1}
              value={stepOf(steps, threshold)}
              aria-valuetext={threshold.toPrecision(5)}
              aria-describedby="eval-slider-hint"
              data-testid="eval-slider"
              onChange={(e) => setThreshold(p.name, steps[Number(e.target.value)]!)}
            />
          </label>
          <p id="eval-slider-hint" className="hint">
            {t('eval.thresholdHint')}
          </p>
          <fieldset className="eval-presets">
            <legend>{t('eval.objective')}</legend>
            {PRESETS.map((k) => (
              <div key={k} className="eval-preset">
                <label>
                  <input type="radio" name="eval-preset" value={k} checked={preset === k} onChange={() => void choosePreset(k)} data-testid={`eval-preset-${k}`} /> {presetLabel[k]}
                </label>
                {target(k)}
              </div>
            ))}
          </fieldset>
          {proposal?.humanShare !== null && proposal?.humanShare !== undefined && (
            <p data-testid="eval-band" role="status">
              {fill(t('eval.bandShare'), { share: formatPercent(proposal.humanShare), low: proposal.low.toPrecision(4), high: proposal.high.toPrecision(4) })}
            </p>
          )}
          {proposal?.note && <p className="hint">{proposalNoteText(locale, proposal.note)}</p>}
        </div>
        <div>
          <ConfusionMatrix
            counts={live}
            classes={classes}
            caption={t('eval.confusion')}
            truthLabel={t('eval.truth')}
            decisionLabel={t('eval.decision')}
            cellName={(n) => fill(t('eval.cellOpen'), { n })}
            onOpen={(cell) => openInViewer(p, p.tradeoff.filter((i) => cellOf(i, threshold) === cell), threshold)}
          />
          <dl className="eval-live" data-testid="eval-live">
            <dt>{t('eval.precision')}</dt>
            <dd data-testid="eval-live-precision">{formatScore(live.precision)}</dd>
            <dt>{t('eval.recall')}</dt>
            <dd data-testid="eval-live-recall">{formatScore(live.recall)}</dd>
            <dt>{t('eval.f1')}</dt>
            <dd data-testid="eval-live-f1">{formatScore(live.f1)}</dd>
            <dt>{t('eval.fpr')}</dt>
            <dd data-testid="eval-live-far">{formatScore(live.falseAlarmRate)}</dd>
          </dl>
        </div>
        <div className="eval-apply">
          <button type="button" className="primary" onClick={() => void apply()} disabled={!p || !useEvaluateStore.getState().result?.evaluationId} aria-describedby="eval-apply-hint" data-testid="eval-apply">
            {t('eval.apply')}
          </button>
          <p id="eval-apply-hint" className="hint">
            {t('eval.applyHint')}
          </p>
          {!mayApply && role && (
            <p className="hint" data-testid="eval-apply-role">
              {fill(t('eval.applyRole'), { role: t(`operator.role.${role}`) })}
            </p>
          )}
          {applied && (
            <p role="status" data-testid="eval-applied" data-version={applied.thresholdVersion}>
              {fill(t('eval.applied'), { version: applied.thresholdVersion, pack: applied.pack, objective: applied.objective, low: applied.low.toPrecision(5), high: applied.high.toPrecision(5), operator: applied.operator })}
            </p>
          )}
          {applyError && (
            <p role="alert" className="eval-error" data-testid="eval-apply-error" data-code={applyError.code}>
              {applyError.code}: {applyError.message}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
