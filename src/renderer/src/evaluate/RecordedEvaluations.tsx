/**
 * Evaluations recorded in the history, to reopen (their metrics, plots, images and the threshold
 * versions applied from them are read back by the host: `evaluation.list`, `evaluation.open`),
 * and, for the evaluation shown, every threshold version applied from it with who applied it.
 */
import { useEffect } from 'react';
import { useT } from '../i18n';
import { formatPercent, formatScore, formatTime } from '../history/format';
import { useEvaluateStore } from './evaluateStore';
import { fill } from './messages';
import type { OperatorRole } from '../history/operatorStore';

const ROLES: readonly string[] = ['operator', 'reviewer', 'supervisor', 'admin'];

export function RecordedEvaluations() {
  const t = useT();
  const { recorded, result, job, loadRecorded, open } = useEvaluateStore();
  useEffect(() => void loadRecorded(), [loadRecorded]);
  const running = job?.state === 'running';
  return (
    <section className="card" aria-labelledby="eval-recorded-title" data-testid="eval-recorded">
      <h3 id="eval-recorded-title" className="card-title">
        {t('eval.recorded')}
      </h3>
      {recorded.length === 0 ? (
        <p className="empty">{t('eval.recordedEmpty')}</p>
      ) : (
        <table className="data-table" data-testid="eval-recorded-table">
          <thead>
            <tr>
              <th scope="col">{t('eval.colId')}</th>
              <th scope="col">{t('eval.colWhen')}</th>
              <th scope="col">{t('eval.colSet')}</th>
              <th scope="col">{t('eval.colPacks')}</th>
              <th scope="col">{t('eval.colApplied')}</th>
              <th scope="col">{t('eval.colBy')}</th>
              <th scope="col">
                <span className="sr-only">{t('eval.open')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {recorded.map((e) => (
              <tr key={e.id} data-testid={`eval-recorded-${e.id}`} aria-current={result?.evaluationId === e.id ? 'true' : undefined}>
                <td className="num">{e.id}</td>
                <td>{formatTime(e.createdAt)}</td>
                <td title={e.setIdentity}>
                  {e.setSource} <small>({e.setIdentity.slice(0, 12)})</small>
                </td>
                <td>
                  {e.packs.map((p) => (
                    <div key={p.name}>
                      {p.name} {p.version}: {formatScore(p.f1)}, {formatScore(p.rocAuc)}
                    </div>
                  ))}
                </td>
                <td className="num">{e.applied}</td>
                <td>{e.operatorId ?? t('eval.nobody')}</td>
                <td>
                  <button type="button" onClick={() => void open(e.id)} disabled={running || !e.metrics} aria-label={fill(t('eval.openLabel'), { id: e.id })} data-testid={`eval-open-${e.id}`}>
                    {t('eval.open')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function AppliedVersions() {
  const t = useT();
  const result = useEvaluateStore((s) => s.result);
  if (!result) return null;
  return (
    <section className="card" aria-labelledby="eval-applied-title" data-testid="eval-applied-versions">
      <h3 id="eval-applied-title" className="card-title">
        {t('eval.appliedVersions')}
      </h3>
      {result.applied.length === 0 ? (
        <p className="empty">{t('eval.appliedNone')}</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">{t('eval.colVersion')}</th>
              <th scope="col">{t('eval.colPack')}</th>
              <th scope="col">{t('eval.colObjective')}</th>
              <th scope="col">{t('eval.colThreshold')}</th>
              <th scope="col">{t('eval.colShare')}</th>
              <th scope="col">{t('eval.colBy')}</th>
              <th scope="col">{t('eval.colWhen')}</th>
            </tr>
          </thead>
          <tbody>
            {result.applied.map((v) => (
              <tr key={v.id} data-testid={`eval-version-${v.id}`} data-low={v.low} data-high={v.high} data-objective={v.objective} data-operator={v.operatorId}>
                <td className="num">{v.id}</td>
                <td>{v.pack}</td>
                <td>{v.objective}</td>
                <td className="num">
                  {v.low.toPrecision(5)} / {v.high.toPrecision(5)}
                </td>
                <td className="num">{v.humanShare === null ? '—' : formatPercent(v.humanShare)}</td>
                <td>
                  {v.operatorName ?? v.operatorId} ({v.operatorId}
                  {v.operatorRole && ROLES.includes(v.operatorRole as OperatorRole) ? `, ${t(`operator.role.${v.operatorRole as OperatorRole}`)}` : ''})
                </td>
                <td>{formatTime(v.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
