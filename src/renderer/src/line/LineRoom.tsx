/**
 * The Line room: the live feed of the station this app runs — state, queue depth, connection
 * states (MQTT / OPC UA / REST), the last cases with flagged ones first, and a reviewer's override
 * per image, which the station publishes as a correction message naming the original result id.
 * Selecting a case shows its image with the explanation map over it (LineCaseView).
 */
import { useEffect } from 'react';
import { useT } from '../i18n';
import type { MessageKey } from '../i18n';
import type { StationConnection, StationFeedCase } from '../../../shared/station';
import { orderCases, useLineStore } from './lineStore';
import { useLineCase } from './lineCase';
import { LineCaseView } from './LineCaseView';
import { LineThumb } from './LineThumb';
import './line.css';

/** Connection states carry a glyph as well as a colour. */
const CONN_GLYPH: Record<StationConnection['state'], string> = { connected: '●', listening: '●', disconnected: '✕', off: '○' };

/** Local date and time to the second: on a live feed, minutes are too coarse. */
function clock(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function Connection({ c }: { c: StationConnection }) {
  const t = useT();
  return (
    <li className={`line-conn conn-${c.state}`} data-testid={`line-conn-${c.channel}`} data-state={c.state}>
      <span aria-hidden="true">{CONN_GLYPH[c.state]}</span> <strong>{c.channel === 'opcua' ? 'OPC UA' : c.channel.toUpperCase()}</strong> {t(`line.conn.${c.state}` as MessageKey)}
      {c.url && <span className="line-url">{c.url}</span>}
      {c.clients !== undefined && (
        <span>
          {c.clients} {t('line.conn.clients')}
        </span>
      )}
      {c.unsent !== undefined && c.unsent > 0 && (
        <span>
          {c.unsent} {t('line.conn.unsent')}
        </span>
      )}
    </li>
  );
}

/** The newest correction that carries a case verdict, when the reviews changed what was published. */
function latestChange(c: StationFeedCase): { correctedVerdict: string; verdictChanged: boolean } | null {
  const last = [...c.corrections].sort((a, b) => a.reviewId - b.reviewId).findLast((x) => x.correctedVerdict !== undefined);
  return last?.correctedVerdict !== undefined && last.verdictChanged ? { correctedVerdict: last.correctedVerdict, verdictChanged: true } : null;
}

function CaseRow({ c }: { c: StationFeedCase }) {
  const t = useT();
  const override = useLineStore((s) => s.override);
  const busy = useLineStore((s) => s.busy === c.resultId);
  const selected = useLineCase((s) => s.resultId === c.resultId);
  const select = useLineCase((s) => s.select);
  // The published verdict stays as sent; what the reviews made of the case is shown beside it.
  const corrected = latestChange(c);
  return (
    <tr
      className={`${c.flagged ? 'line-case line-flagged' : 'line-case'}${selected ? ' line-selected' : ''}`}
      data-testid="line-case"
      data-serial={c.serial}
      data-result-id={c.resultId}
      data-verdict={c.verdict}
      data-explanation={c.explanation ?? ''}
      aria-selected={selected}
    >
      <th scope="row">
        <button type="button" className="line-show" data-testid="line-show" aria-pressed={selected} title={t('line.showHint')} onClick={() => void select(selected ? null : c.resultId)}>
          {c.serial}
        </button>
        {c.flagged && <span className="line-flag"> ⚑ {t('line.flagged')}</span>}
        {c.explanation === 'pending' && <span className="line-eval"> · {t('line.explanationPendingShort')}</span>}
      </th>
      <td>{c.lot ?? '—'}</td>
      <td>
        <span className={`verdict-chip v-${c.verdict}`}>{c.verdict}</span>
        <span className="line-eval"> {c.evaluation}</span>
        {corrected && (
          <span className="line-corrected-verdict" data-testid="line-corrected-verdict" data-verdict={corrected.correctedVerdict} data-changed={corrected.verdictChanged ? 'yes' : 'no'} title={t('line.correctedVerdictHint')}>
            {' '}
            → <span className={`verdict-chip v-${corrected.correctedVerdict}`}>{corrected.correctedVerdict}</span> {t('line.corrected').toLowerCase()}
          </span>
        )}
        {c.reasons.length > 0 && (
          <ul className="line-reasons">
            {c.reasons.map((r, i) => (
              <li key={i}>
                <code>{r.code}</code> {r.message}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td className="num">{clock(c.createdAt)}</td>
      <td>
        <ul className="line-images">
          {c.images.map((im) => {
            const corr = c.corrections.filter((x) => x.runId === im.runId).at(-1);
            return (
              <li key={`${im.file}:${im.runId ?? ''}`} data-testid={im.role === 'findings' ? 'line-findings' : 'line-image'} data-view={im.view ?? ''}>
                {im.runId !== null && im.role !== 'findings' && <LineThumb resultId={c.resultId} runId={im.runId} label={`${c.serial} ${im.view ?? im.file}`} />}
                <span className="line-view">{im.view ?? im.file}</span> {im.role === 'findings' ? `${t('line.findings')}: ${im.decision}` : im.decision}
                {im.label ? ` (${im.label})` : ''}
                {im.defectScore !== null && <span className="num"> {im.defectScore.toFixed(3)}</span>}
                {im.error && <span className="line-error"> {im.error}</span>}
                {im.runId !== null && im.role !== 'findings' && (
                  <span className="line-actions">
                    <button type="button" disabled={busy} title={t('line.confirmHint')} data-testid="line-confirm" onClick={() => void override(c, im.runId!, 'accept')}>
                      {t('line.confirm')}
                    </button>
                    <button type="button" disabled={busy} title={t('line.rejectHint')} data-testid="line-reject" onClick={() => void override(c, im.runId!, 'reject')}>
                      {t('line.reject')}
                    </button>
                  </span>
                )}
                {corr && (
                  <span className="line-corrected" data-testid="line-corrected" data-decision={corr.decision}>
                    {' '}
                    ✎ {t('line.corrected')}: {corr.decision} {t('line.by')} {corr.reviewer}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      </td>
    </tr>
  );
}

export function LineRoom() {
  const t = useT();
  const { feed, error, reviewError, load, apply, control, controlError, controlBusy } = useLineStore();
  const running = feed?.service === 'running';
  const vision = feed?.vision ?? null;
  const halted = vision ? /^(Halted|Error)/.test(vision) : false;
  const selectedId = useLineCase((s) => s.resultId);
  const selectedCase = feed?.cases.find((c) => c.resultId === selectedId);
  useEffect(() => {
    void load();
    const off = window.api.on?.('station.event', apply);
    // Without push events (an older preload) the room still follows the station, by polling.
    const poll = off ? undefined : setInterval(() => void load(), 2000);
    return () => {
      off?.();
      if (poll) clearInterval(poll);
    };
  }, [load, apply]);

  return (
    <main className="pageview line-room" aria-labelledby="line-title" data-testid="line-room" data-service={feed?.service ?? ''}>
      <header className="page-header">
        <h2 id="line-title" className="panel-title">
          {t('line.title')}
          {feed?.station && ` ${feed.station.id} · ${feed.station.line}`}
        </h2>
        {feed?.config && <code className="line-url">{feed.config}</code>}
      </header>
      {error && (
        <p role="alert" className="line-error">
          {error.code}: {error.message}
        </p>
      )}
      {feed?.configured && (
        <section className="line-controls" aria-label={t('line.controls')} data-testid="line-controls">
          <button type="button" data-testid="line-start" disabled={controlBusy || running || feed.service === 'starting'} onClick={() => void control('start')}>
            {t('line.start')}
          </button>
          <button type="button" data-testid="line-stop" disabled={controlBusy || !running} onClick={() => void control('stop')}>
            {t('line.stop')}
          </button>
          <button type="button" data-testid="line-halt" title={t('line.haltHint')} disabled={controlBusy || !running || vision === 'Halted'} onClick={() => void control('halt')}>
            {t('line.halt')}
          </button>
          <button type="button" data-testid="line-reset" title={t('line.resetHint')} disabled={controlBusy || !running || (vision !== null && !halted)} onClick={() => void control('reset')}>
            {t('line.reset')}
          </button>
          <span className="line-note">{t('line.controlNote')}</span>
          {controlError && (
            <p role="alert" className="line-error" data-testid="line-control-error" data-code={controlError.code}>
              <code>{controlError.code}</code> {controlError.message}
            </p>
          )}
        </section>
      )}
      {feed && feed.service === 'off' && <p className="empty">{t('line.off')}</p>}
      {feed?.service === 'starting' && <p className="empty">{t('line.starting')}</p>}
      {feed?.service === 'stopped' && <p className="empty">{t('line.stopped')}</p>}
      {feed?.service === 'failed' && feed.error && (
        <p role="alert" className="line-error" data-testid="line-failed">
          {t('line.failed')}: <code>{feed.error.code}</code> {feed.error.message}
        </p>
      )}
      {feed && feed.service === 'running' && (
        <>
          <section className="line-status card" aria-label={t('line.state')}>
            <div className="kpi">
              <span className="kpi-label">{t('line.state')}</span>
              <strong className="kpi-value" data-testid="line-state">
                {feed.state}
              </strong>
            </div>
            {vision && (
              <div className="kpi">
                <span className="kpi-label">{t('line.vision')}</span>
                <strong className="kpi-value" data-testid="line-vision" data-vision={vision}>
                  {vision}
                </strong>
              </div>
            )}
            <div className="kpi">
              <span className="kpi-label">{t('line.queue')}</span>
              <strong className="kpi-value" data-testid="line-queue">
                {feed.queueDepth} / {feed.queueMax}
              </strong>
            </div>
            <div className="kpi">
              <span className="kpi-label">{t('line.pending')}</span>
              <strong className="kpi-value">{feed.pendingCases}</strong>
            </div>
            <div className="kpi">
              <span className="kpi-label">{t('line.processed')}</span>
              <strong className="kpi-value" data-testid="line-processed">
                {feed.processed}
              </strong>
            </div>
            <div className="line-connections">
              <span className="kpi-label">{t('line.connections')}</span>
              <ul>
                {feed.connections.map((c) => (
                  <Connection key={c.channel} c={c} />
                ))}
              </ul>
            </div>
          </section>
          {reviewError && (
            <p role="alert" className="line-error" data-testid="line-review-error">
              {reviewError.code}: {reviewError.message}
            </p>
          )}
          <h3 className="card-title">{t('line.cases')}</h3>
          {feed.cases.length === 0 ? (
            <p className="empty">{t('line.noCases')}</p>
          ) : (
            <div className="table-scroll">
              <table className="data-table" data-testid="line-cases">
                <thead>
                  <tr>
                    <th scope="col">{t('line.serial')}</th>
                    <th scope="col">{t('line.lot')}</th>
                    <th scope="col">{t('line.verdict')}</th>
                    <th scope="col">{t('line.time')}</th>
                    <th scope="col">{t('line.images')}</th>
                  </tr>
                </thead>
                <tbody>
                  {orderCases(feed.cases).map((c) => (
                    <CaseRow key={c.resultId} c={c} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {selectedCase && <LineCaseView c={selectedCase} />}
        </>
      )}
    </main>
  );
}
