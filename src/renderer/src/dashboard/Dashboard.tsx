import { useEffect, useRef, type ReactNode } from 'react';
import { ValidationBadge } from '../components/ValidationBadge';
import { DayInput } from '../components/DayInput';
import { useT, type MessageKey } from '../i18n';
import { fileName, formatPercent, formatScore, formatTime } from '../history/format';
import { binEdges, dailyOptions, dayToSeconds, histogramOptions } from './charts';
import { totals, useDashboardStore, type HistoryStats } from './dashboardStore';
import { UPlotChart } from './UPlotChart';
import { useAppStore } from '../state/appStore';

/** Status words carry a glyph: drift is never told by colour alone. */
const DRIFT_GLYPH: Record<HistoryStats['drift'][number]['status'], string> = { ok: '✓', drift: '⚠', 'no-reference': '○', 'insufficient-data': '…' };

/** A dashboard card: a region named by its heading. */
function Card({ id, title, wide, children }: { id: string; title: ReactNode; wide?: boolean; children: ReactNode }) {
  return (
    <section className={`card dash-card${wide ? ' dash-wide' : ''}`} aria-labelledby={id}>
      <h3 id={id} className="card-title">
        {title}
      </h3>
      {children}
    </section>
  );
}

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

function DailyCard({ stats }: { stats: HistoryStats }) {
  const t = useT();
  const contrast = useAppStore((s) => s.highContrast);
  const days = stats.daily;
  const data: [number[], number[], number[]] = [days.map((d) => dayToSeconds(d.day)), days.map((d) => d.images), days.map((d) => d.errors)];
  return (
    <Card id="dash-daily" wide title={t('dash.daily')}>
      {days.length === 0 ? (
        <p className="empty">{t('dash.noData')}</p>
      ) : (
        <UPlotChart
          build={(w) => dailyOptions(w, { images: t('dash.images'), errors: t('dash.errors') }, [data[0][0]!, data[0][data[0].length - 1]!])}
          data={data}
          label={`${t('dash.daily')}: ${t('dash.images')}, ${t('dash.errors')}`}
          testId="chart-daily"
          deps={[stats, contrast, t('dash.images')]}
        />
      )}
      <details>
        <summary>{t('dash.dailyTable')}</summary>
        <table className="data-table" data-testid="daily-table">
          <thead>
            <tr>
              <th scope="col">{t('dash.day')}</th>
              <th scope="col">{t('dash.images')}</th>
              <th scope="col">{t('dash.runs')}</th>
              <th scope="col">{t('dash.errors')}</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th>
                <td className="num">{d.images}</td>
                <td className="num">{d.runs}</td>
                <td className="num">{d.errors}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </Card>
  );
}

function VerdictCard({ verdicts, runs }: { verdicts: [string, number][]; runs: number }) {
  const t = useT();
  return (
    <Card id="dash-verdicts" title={t('dash.verdicts')}>
      {verdicts.length === 0 ? (
        <p className="empty">{t('dash.noData')}</p>
      ) : (
        <table className="data-table" data-testid="verdict-table">
          <thead>
            <tr>
              <th scope="col">{t('history.verdict')}</th>
              <th scope="col">{t('dash.count')}</th>
              <th scope="col">{t('dash.share')}</th>
            </tr>
          </thead>
          <tbody>
            {verdicts.map(([v, n]) => (
              <tr key={v} data-verdict={v}>
                <th scope="row">{v}</th>
                <td className="num">{n}</td>
                <td className="share">
                  <meter min={0} max={1} value={runs ? n / runs : 0} aria-hidden="true" /> <span className="num">{formatPercent(runs ? n / runs : null)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function HistogramCard({ stats, pack }: { stats: HistoryStats; pack: string }) {
  const t = useT();
  const contrast = useAppStore((s) => s.highContrast);
  const shown = stats.packs.filter((p) => !pack || p.pack === pack);
  return (
    <Card id="dash-hist" title={t('dash.histogram')}>
      {shown.length === 0 && <p className="empty">{t('dash.noData')}</p>}
      {shown.map((p) => (
        <figure key={p.pack} className="hist" data-testid={`histogram-${p.pack}`}>
          <figcaption>
            <strong>{p.pack}</strong> · {p.runs} {t('dash.runs')} · {p.threshold === null ? t('dash.noThreshold') : `${t('dash.threshold')} ${formatScore(p.threshold)}`}
            {p.validated !== undefined && <ValidationBadge validated={p.validated} reason={p.validationReason ?? null} testId={`validation-${p.pack}`} />}
          </figcaption>
          <UPlotChart
            build={(w) => histogramOptions(w, p.threshold, { count: t('dash.count'), threshold: t('dash.threshold') })}
            data={[binEdges(p.histogram.length), p.histogram]}
            label={`${t('dash.histogram')} ${p.pack}`}
            testId={`chart-histogram-${p.pack}`}
            deps={[p, contrast, t('dash.threshold')]}
          />
        </figure>
      ))}
    </Card>
  );
}

function AgreementCard({ a }: { a: HistoryStats['agreement'] }) {
  const t = useT();
  return (
    <Card id="dash-agree" title={<>{t('dash.agreement')} · {t('dash.reviewed')} <span data-testid="agreement-reviewed">{a.reviewed}</span></>}>
      {a.reviewed === 0 ? (
        <p className="empty">{t('dash.noReviews')}</p>
      ) : (
        <>
          <table className="data-table matrix" data-testid="agreement-matrix">
            <caption>{t('dash.aiRows')}</caption>
            <thead>
              <tr>
                <td />
                {a.humanLabels.map((h) => (
                  <th key={h} scope="col">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {a.aiLabels.map((ai, i) => (
                <tr key={ai}>
                  <th scope="row">{ai}</th>
                  {a.humanLabels.map((h, j) => {
                    const n = a.matrix[i]?.[j] ?? 0;
                    return (
                      <td key={h} className={`num${ai === h ? ' diagonal' : ''}${n ? '' : ' zero'}`} data-cell={`${ai}|${h}`}>
                        {n}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          <table className="data-table" data-testid="agreement-classes">
            <thead>
              <tr>
                <th scope="col">{t('dash.class')}</th>
                <th scope="col">{t('dash.precision')}</th>
                <th scope="col">{t('dash.recall')}</th>
                <th scope="col">{t('dash.f1')}</th>
                <th scope="col">{t('dash.support')}</th>
              </tr>
            </thead>
            <tbody>
              {a.perClass.map((c) => (
                <tr key={c.label}>
                  <th scope="row">{c.label}</th>
                  <td className="num">{formatScore(c.precision)}</td>
                  <td className="num">{formatScore(c.recall)}</td>
                  <td className="num">{formatScore(c.f1)}</td>
                  <td className="num">{c.support}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  );
}

function ErrorsCard({ e }: { e: HistoryStats['errors'] }) {
  const t = useT();
  return (
    <Card id="dash-errors" title={t('dash.errorsByCode')}>
      {e.byCode.length === 0 ? (
        <p className="empty">{t('dash.noErrors')}</p>
      ) : (
        <table className="data-table" data-testid="errors-table">
          <thead>
            <tr>
              <th scope="col">{t('dash.stage')}</th>
              <th scope="col">{t('dash.code')}</th>
              <th scope="col">{t('dash.count')}</th>
            </tr>
          </thead>
          <tbody>
            {e.byCode.map((x) => (
              <tr key={`${x.stage}/${x.code}`}>
                <td>{x.stage}</td>
                <td>
                  <code>{x.code}</code>
                </td>
                <td className="num">{x.n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {e.recent.length > 0 && (
        <>
          <h4 className="card-subtitle">{t('dash.failedImages')}</h4>
          <table className="data-table" data-testid="failed-images">
            <thead>
              <tr>
                <th scope="col">{t('dash.file')}</th>
                <th scope="col">{t('dash.code')}</th>
                <th scope="col">{t('dash.case')}</th>
                <th scope="col">{t('dash.when')}</th>
              </tr>
            </thead>
            <tbody>
              {e.recent.map((x, i) => (
                <tr key={i} title={`${x.sourcePath ?? ''}\n${x.message}`} data-code={x.code}>
                  <td className="file-cell">{x.sourcePath ? fileName(x.sourcePath) : '—'}</td>
                  <td>
                    <code>{x.code}</code>
                  </td>
                  <td>{x.caseKey ?? '—'}</td>
                  <td className="num">{formatTime(x.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  );
}

function DriftCard({ drift }: { drift: HistoryStats['drift'] }) {
  const t = useT();
  return (
    <Card id="dash-drift" title={t('dash.drift')}>
      {drift.length === 0 ? (
        <p className="empty">{t('dash.noData')}</p>
      ) : (
        <table className="data-table" data-testid="drift-table">
          <thead>
            <tr>
              <th scope="col">{t('history.pack')}</th>
              <th scope="col">{t('dash.drift')}</th>
              <th scope="col">PSI</th>
              <th scope="col">KS</th>
              <th scope="col">n</th>
            </tr>
          </thead>
          <tbody>
            {drift.map((d) => (
              <tr key={`${d.pack}@${d.version ?? ''}`} className={d.flagged ? 'flagged' : ''} data-status={d.status}>
                <th scope="row">
                  {d.pack}
                  {d.version ? `@${d.version}` : ''}
                </th>
                <td>
                  <span aria-hidden="true">{DRIFT_GLYPH[d.status]}</span> {t(`dash.drift.${d.status}` as MessageKey)}
                </td>
                <td className="num" title={`${t('dash.driftLimits')} ${d.limits.psi}`}>
                  {formatScore(d.psi)}
                </td>
                <td className="num" title={`${t('dash.driftLimits')} ${d.limits.ks}${d.ksPValue !== null ? ` · p=${d.ksPValue.toPrecision(2)}` : ''}`}>
                  {formatScore(d.ks)}
                </td>
                <td className="num">
                  {d.recentN} {t('dash.recent')} / {d.referenceN} {t('dash.reference')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function AuditCard() {
  const t = useT();
  const audit = useDashboardStore((s) => s.audit);
  const verify = useDashboardStore((s) => s.verifyAudit);
  return (
    <Card id="dash-audit" title={t('dash.audit')}>
      <button type="button" onClick={() => void verify()} data-testid="audit-verify">
        {t('dash.auditVerify')}
      </button>{' '}
      {audit && (
        <span role="status" data-testid="audit-result" data-ok={audit.ok}>
          {audit.ok ? `✓ ${t('dash.auditOk')}` : `⚠ ${t('dash.auditBroken')} ${audit.firstBreak?.seq ?? '?'}: ${audit.firstBreak?.code ?? ''}`} · {audit.entries} {t('dash.entries')} ·{' '}
          <code>{audit.head.hash.slice(0, 12)}</code>
        </span>
      )}
    </Card>
  );
}

/** Operations at a glance: counts per day, verdicts, errors, score histograms, AI-vs-reviewer agreement, drift. */
export function Dashboard() {
  const t = useT();
  const { fromDay, toDay, pack, stats, loading, error, setQuery, load } = useDashboardStore();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    void load();
  }, [load]);
  const sum = stats ? totals(stats) : undefined;
  const packs = stats ? stats.packs.map((p) => p.pack) : [];
  return (
    <main className="pageview dashboard" aria-labelledby="dash-title" data-testid="dashboard" aria-busy={loading}>
      <header className="page-header">
        <h2 id="dash-title" className="panel-title" tabIndex={-1} ref={heading}>
          {t('dash.title')}
        </h2>
        <div className="filters" role="group" aria-label={t('dash.range')}>
          <label>
            {t('history.from')}
            <DayInput value={fromDay} onChange={(d) => setQuery({ fromDay: d })} data-testid="dash-from" />
          </label>
          <label>
            {t('history.to')}
            <DayInput value={toDay} onChange={(d) => setQuery({ toDay: d })} data-testid="dash-to" />
          </label>
          <label>
            {t('history.pack')}
            <select value={pack} onChange={(e) => setQuery({ pack: e.target.value })} data-testid="dash-pack">
              <option value="">{t('dash.allPacks')}</option>
              {[...new Set([...packs, ...(pack ? [pack] : [])])].map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void load()} data-testid="dash-refresh">
            {t('history.refresh')}
          </button>
        </div>
      </header>
      {error && (
        <p className="status-error" role="alert" data-testid="dash-error">
          {t('error.title')}: {error.code} — {error.message}
        </p>
      )}
      {stats && sum && (
        <>
          <div className="kpis" data-testid="kpis">
            <Kpi label={t('dash.images')} value={String(sum.images)} testId="kpi-images" />
            <Kpi label={t('dash.runs')} value={String(sum.runs)} testId="kpi-runs" />
            <Kpi label={t('dash.errors')} value={String(stats.errors.total)} testId="kpi-errors" />
            <Kpi label={t('dash.errorRate')} value={formatPercent(stats.errors.rate)} testId="kpi-error-rate" />
            <Kpi label={t('dash.reviewed')} value={String(stats.agreement.reviewed)} testId="kpi-reviewed" />
            <Kpi label={t('dash.accuracy')} value={formatPercent(stats.agreement.accuracy)} testId="kpi-accuracy" />
          </div>
          <div className="dash-grid">
            <DailyCard stats={stats} />
            <VerdictCard verdicts={sum.verdicts} runs={sum.runs} />
            <HistogramCard stats={stats} pack={pack} />
            <AgreementCard a={stats.agreement} />
            <DriftCard drift={stats.drift} />
            <ErrorsCard e={stats.errors} />
            <AuditCard />
          </div>
        </>
      )}
    </main>
  );
}
