/**
 * The Evaluate room: choose a labelled set (a folder the user picks: that choice is the grant)
 * and a pack or station config, run it in the host with progress and cancel, then the results
 * with their plots and the live threshold trade-off (ThresholdPanel).
 */
import { useEffect, useMemo, useRef } from 'react';
import { useT } from '../i18n';
import { classNamer } from '../i18n/domain';
import { usePackLabels } from '../i18n/usePackLabels';
import { formatPercent, formatScore, formatTime } from '../history/format';
import { useAppStore } from '../state/appStore';
import type { EvaluatedPack } from '../../../shared/evaluation';
import { useEvaluateStore } from './evaluateStore';
import { fill } from './messages';
import { Curve, Histogram } from './plots';
import { countsRanked, rank } from './tradeoff';
import { openInViewer } from './openCases';
import { ThresholdPanel } from './ThresholdPanel';
import { BoxResults, SystemsTable } from './SystemsTable';
import { AppliedVersions, RecordedEvaluations } from './RecordedEvaluations';
import './evaluate.css';

const ci = (i: { low: number; high: number } | null) => (i ? ` [${i.low.toFixed(3)}, ${i.high.toFixed(3)}]` : '');

function Kpi({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="kpi">
      <span className="kpi-label">{label}</span>
      <strong className="kpi-value" data-testid={testId}>
        {value}
      </strong>
    </div>
  );
}

function Setup() {
  const t = useT();
  const packs = useAppStore((s) => s.packs).filter((p) => !p.error);
  const { setDir, config, pack, job, error, chooseSet, chooseConfig, clearConfig, setPack, start, cancel } = useEvaluateStore();
  useEffect(() => {
    if (!pack && packs[0]) setPack(packs[0].name);
  }, [pack, packs, setPack]);
  const running = job?.state === 'running';
  return (
    <section className="card eval-setup" aria-labelledby="eval-setup-title">
      <h3 id="eval-setup-title" className="card-title">
        {t('eval.setup')}
      </h3>
      <div className="filters">
        <button type="button" onClick={() => void chooseSet()} disabled={running} data-testid="eval-choose-set">
          {t('eval.chooseSet')}
        </button>
        <span className="eval-path" data-testid="eval-set">
          {setDir ? `${t('eval.set')}: ${setDir}` : t('eval.noSet')}
        </span>
      </div>
      <div className="filters">
        {config ? (
          <>
            <span className="eval-path" data-testid="eval-config">
              {t('eval.config')}: {config}
            </span>
            <button type="button" onClick={clearConfig} disabled={running}>
              {t('eval.clearConfig')}
            </button>
          </>
        ) : (
          <>
            <label>
              {t('eval.pack')}
              <select value={pack} onChange={(e) => setPack(e.target.value)} disabled={running} data-testid="eval-pack">
                {packs.map((p) => (
                  <option key={p.dir} value={p.name}>
                    {p.name} {p.version}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" onClick={() => void chooseConfig()} disabled={running} data-testid="eval-choose-config">
              {t('eval.chooseConfig')}
            </button>
          </>
        )}
        <button type="button" className="primary" onClick={() => void start()} disabled={!setDir || running || (!config && !pack)} data-testid="eval-run">
          {t('eval.run')}
        </button>
      </div>
      {job && <Progress />}
      {running && (
        <button type="button" onClick={() => void cancel()} disabled={job.cancelling} data-testid="eval-cancel">
          {t('eval.cancel')}
        </button>
      )}
      {error && (
        <p role="alert" className="eval-error" data-testid="eval-error" data-code={error.code}>
          {error.code}: {error.message}
        </p>
      )}
    </section>
  );
}

function Progress() {
  const t = useT();
  const job = useEvaluateStore((s) => s.job)!;
  const text =
    job.state === 'failed'
      ? `${t('eval.failed')}: ${job.error?.code} — ${job.error?.message}`
      : job.state === 'stopped'
        ? fill(t('eval.stopped'), { done: job.done, total: job.total, batch: job.batchId ?? '—' })
        : job.state === 'done' && job.result
          ? fill(t('eval.done'), { id: job.result.evaluationId ?? '—', images: job.result.set.images, set: job.result.set.identity.slice(0, 12) })
          : job.cancelling
            ? t('eval.cancelling')
            : job.batchId === null
              ? t('eval.starting')
              : fill(t('eval.progress'), { batch: job.batchId, done: job.done, total: job.total });
  return (
    <div className="eval-progress" data-testid="eval-progress" data-state={job.state} data-done={job.done} data-total={job.total}>
      <progress max={job.total || 1} value={job.done} aria-label={t('eval.run')} aria-valuetext={`${job.done} / ${job.total}`} data-testid="eval-bar" />
      <span role="status" data-testid="eval-status">
        {text}
      </span>
    </div>
  );
}

function PackResults({ p }: { p: EvaluatedPack }) {
  const t = useT();
  const threshold = useEvaluateStore((s) => s.threshold[p.name] ?? p.threshold);
  const band = useEvaluateStore((s) => (s.proposal?.humanShare !== null && s.proposal?.humanShare !== undefined ? s.proposal : null));
  const ranked = useMemo(() => rank(p.tradeoff), [p.tradeoff]);
  const live = countsRanked(ranked, threshold);
  const unit = t(p.scoreUnit === 'probability' ? 'eval.unitProbability' : p.kind === 'grounding' ? 'eval.unitBox' : 'eval.unitRaw');
  const [normalName, defectName] = [t('eval.normal'), t('eval.defect')];
  return (
    <>
      <div className="kpis" aria-label={fill(t('eval.headline'), { t: p.threshold.toPrecision(4) })}>
        <Kpi label={`${t('eval.f1')} @ ${p.threshold.toPrecision(4)}`} value={`${formatScore(p.point.f1)}${ci(p.f1Ci)}`} testId="eval-f1" />
        <Kpi label={t('eval.precision')} value={formatScore(p.point.precision)} testId="eval-precision" />
        <Kpi label={t('eval.recall')} value={formatScore(p.point.recall)} testId="eval-recall" />
        <Kpi label={t('eval.accuracy')} value={formatScore(p.accuracy)} testId="eval-accuracy" />
        <Kpi label={t('eval.rocAuc')} value={`${formatScore(p.rocAuc)}${ci(p.rocAucCi)}`} testId="eval-auc" />
        <Kpi label={t('eval.ap')} value={formatScore(p.averagePrecision)} testId="eval-ap" />
        <Kpi label={t('eval.ece')} value={formatScore(p.calibration?.ece)} testId="eval-ece" />
      </div>
      <BoxResults p={p} />
      {/* A detector's cut-off is its box threshold, not an image threshold version: nothing to apply. */}
      {p.kind === 'grounding' ? null : p.tradeoff.length ? (
        <ThresholdPanel p={p} />
      ) : (
        <p className="hint" data-testid="eval-no-images">
          {t('eval.noImages')}
        </p>
      )}
      <div className="dash-grid eval-plots">
        <section className="card dash-card" aria-labelledby="eval-roc-title">
          <h3 id="eval-roc-title" className="card-title">
            {t('eval.roc')}
          </h3>
          {p.roc ? (
            <Curve x={p.roc.fpr} y={p.roc.tpr} xLabel={t('eval.fpr')} yLabel={t('eval.tpr')} label={t('eval.roc')} testId="eval-roc" diagonal marker={[live.falseAlarmRate, live.recall]} />
          ) : (
            <p className="empty">{t('eval.noCurve')}</p>
          )}
        </section>
        <section className="card dash-card" aria-labelledby="eval-pr-title">
          <h3 id="eval-pr-title" className="card-title">
            {t('eval.pr')}
          </h3>
          {p.pr ? (
            <Curve x={p.pr.recall} y={p.pr.precision} xLabel={t('eval.recall')} yLabel={t('eval.precision')} label={t('eval.pr')} testId="eval-pr" marker={[live.recall, live.precision]} />
          ) : (
            <p className="empty">{t('eval.noCurve')}</p>
          )}
        </section>
        <section className="card dash-card" aria-labelledby="eval-hist-title">
          <h3 id="eval-hist-title" className="card-title">
            {t('eval.histogram')}
          </h3>
          <Histogram
            normal={p.histogram.normal}
            defect={p.histogram.defect}
            range={p.histogramRange}
            threshold={threshold}
            {...(band ? { low: band.low } : {})}
            xLabel={fill(t('eval.score'), { unit })}
            yLabel={t('eval.count')}
            label={t('eval.histogram')}
            seriesLabel={[normalName, defectName]}
            barName={(n, from, to) => fill(t('eval.barOpen'), { n, from, to })}
            onOpen={(truth, bin) => openInViewer(p, p.tradeoff.filter((i) => i.truth === truth && i.bin === bin), threshold)}
            testId="eval-hist"
          />
        </section>
        <section className="card dash-card" aria-labelledby="eval-rel-title">
          <h3 id="eval-rel-title" className="card-title">
            {t('eval.reliability')}
          </h3>
          {p.calibration ? (
            <Curve
              x={p.calibration.meanPredicted}
              y={p.calibration.fractionPositive}
              xLabel={t('eval.meanPredicted')}
              yLabel={t('eval.fractionPositive')}
              label={`${t('eval.reliability')}, ${t('eval.ece')} ${formatScore(p.calibration.ece)}`}
              testId="eval-reliability"
              diagonal
              dots
            />
          ) : (
            <p className="empty">{t('eval.noCalibration')}</p>
          )}
        </section>
      </div>
    </>
  );
}

function Cases() {
  const t = useT();
  const cases = useEvaluateStore((s) => s.result?.cases);
  const packs = useEvaluateStore((s) => s.result?.packs);
  const locale = useAppStore((s) => s.locale);
  const name = classNamer(locale, usePackLabels(...(packs ?? []).map((p) => p.name)));
  if (!cases) return null;
  return (
    <section className="card" aria-labelledby="eval-cases-title">
      <h3 id="eval-cases-title" className="card-title">
        {t('eval.cases')}
      </h3>
      <p data-testid="eval-cases-accuracy">{fill(t('eval.casesAccuracy'), { acc: formatPercent(cases.accuracy), n: cases.cases })}</p>
      <table className="data-table matrix" data-testid="eval-cases">
        <thead>
          <tr>
            <th scope="col">
              {t('eval.truth')} \ {t('eval.decision')}
            </th>
            {cases.predictedClasses.map((c) => (
              <th key={c} scope="col">
                {name(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cases.classes.map((c, r) => (
            <tr key={c}>
              <th scope="row">{name(c)}</th>
              {cases.matrix[r]!.map((n, k) => (
                <td key={k} className={`num${cases.predictedClasses[k] === c ? ' diagonal' : ''}${n === 0 ? ' zero' : ''}`}>
                  {n}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function EvaluateView() {
  const t = useT();
  const result = useEvaluateStore((s) => s.result);
  const shown = useEvaluateStore((s) => s.shown);
  const show = useEvaluateStore((s) => s.show);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const p = result?.packs.find((x) => x.name === shown) ?? result?.packs[0];
  return (
    <main className="pageview evaluate" aria-labelledby="eval-title" data-testid="evaluate">
      <header className="page-header">
        <h2 id="eval-title" className="panel-title" tabIndex={-1} ref={heading}>
          {t('eval.title')}
        </h2>
      </header>
      <Setup />
      <RecordedEvaluations />
      {result && p && (
        <section aria-labelledby="eval-results-title" className="eval-results" data-testid="eval-results" data-evaluation={result.evaluationId ?? ''}>
          <h3 id="eval-results-title" className="card-title">
            {t('eval.results')}: {p.name} {p.version} · {p.images} / {result.set.images}
            {p.errors ? ` · ${fill(t('eval.errors'), { n: p.errors })}` : ''}
          </h3>
          {result.recordedAt !== null && (
            <p data-testid="eval-recorded-at">
              {fill(t('eval.recordedAt'), { id: result.evaluationId ?? '—', when: formatTime(result.recordedAt), who: result.recordedBy ?? t('eval.nobody'), set: result.set.identity.slice(0, 12) })}
            </p>
          )}
          {result.packs.length > 1 && (
            <div role="tablist" className="tool-group">
              {result.packs.map((x) => (
                <button key={x.name} type="button" role="tab" aria-selected={x.name === p.name} onClick={() => show(x.name)} data-testid={`eval-tab-${x.name}`}>
                  {x.name}
                </button>
              ))}
            </div>
          )}
          <SystemsTable view={result} />
          <PackResults p={p} />
          <AppliedVersions />
          <Cases />
        </section>
      )}
    </main>
  );
}
