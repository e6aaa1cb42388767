import { useCallback, useEffect, useState } from 'react';
import { call } from '../api';
import { DayInput } from '../components/DayInput';
import { formatTime } from '../history/format';
import { useT, type MessageKey } from '../i18n';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import type { FleetStatsResult, FleetStatus } from '../../../shared/fleet';
import './fleet.css';

/** Glyphs beside the words, so states never rely on colour alone. */
const SYNC_GLYPH: Record<string, string> = { off: '○', starting: '◐', sending: '◐', synced: '✔', offline: '⚠', failed: '⊘', stopped: '■' };
const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);

/**
 * The fleet as this workstation sees it: the background sync of its own history to the central
 * database (settings.yaml fleet.central) and, through a read-only connection (fleet.dashboard),
 * the fleet's statistics per day, line, station and pack version, with score drift.
 */
export function FleetRoom() {
  const t = useT();
  const [status, setStatus] = useState<FleetStatus | null>(null);
  const [stats, setStats] = useState<FleetStatsResult | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [loading, setLoading] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  // The stations chosen (none: all); the choices come from central with the first load.
  const [chosen, setChosen] = useState<string[]>([]);

  useEffect(() => {
    const poll = () => call('fleet.status', {}).then(setStatus, (e) => setError(toErrorInfo(e)));
    void poll();
    // The sync runs in main; its state changes while the room is open (a cheap in-memory read).
    const timer = setInterval(() => void poll(), 2000);
    return () => clearInterval(timer);
  }, []);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      setStats(await call('fleet.stats', { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(chosen.length ? { stations: chosen } : {}) }));
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setLoading(false);
    }
  }, [from, to, chosen]);

  const s = status?.sync ?? null;
  const state = s?.status ?? 'off';
  return (
    <section className="pageview fleet" aria-labelledby="fleet-title" data-testid="fleet">
      <div className="page-header">
        <h2 id="fleet-title" className="panel-title">
          {t('fleet.title')}
        </h2>
      </div>
      <section className="fleet-card" aria-labelledby="fleet-sync-title">
        <h3 id="fleet-sync-title">{t('fleet.sync')}</h3>
        <p className={`sync-state sync-${state}`} data-testid="fleet-sync-state" data-state={state}>
          <span aria-hidden="true">{SYNC_GLYPH[state]}</span> {t(`fleet.sync.${state}` as MessageKey)}
          {s?.lastError && ` · ${s.lastError.code}: ${s.lastError.message}`}
          {status?.error && ` · ${status.error.code}: ${status.error.message}`}
        </p>
        {s && (
          <dl className="fleet-facts">
            <dt>{t('fleet.station')}</dt>
            <dd data-testid="fleet-station">{s.station}</dd>
            <dt>{t('fleet.central')}</dt>
            <dd className="fleet-url">{s.central}</dd>
            <dt>{t('fleet.pending')}</dt>
            <dd data-testid="fleet-pending">{s.pending}</dd>
            <dt>{t('fleet.sent')}</dt>
            <dd data-testid="fleet-sent">{s.sentTotal}</dd>
            <dt>{t('fleet.lastSync')}</dt>
            <dd>{s.lastSyncAt ? formatTime(s.lastSyncAt) : t('fleet.never')}</dd>
          </dl>
        )}
      </section>
      <section className="fleet-card" aria-labelledby="fleet-stats-title">
        <h3 id="fleet-stats-title">{t('fleet.stats')}</h3>
        {!status?.dashboard ? (
          <p className="muted" data-testid="fleet-no-dashboard">
            {t('fleet.stats.none')}
          </p>
        ) : (
          <div className="fleet-filters">
            <label>
              {t('fleet.from')} <DayInput value={from} onChange={setFrom} data-testid="fleet-from" />
            </label>
            <label>
              {t('fleet.to')} <DayInput value={to} onChange={setTo} data-testid="fleet-to" />
            </label>
            {stats && stats.stations.length > 1 && (
              <fieldset className="fleet-stations" data-testid="fleet-stations">
                <legend>{t('fleet.stations')}</legend>
                {stats.stations.map((id) => (
                  <label key={id}>
                    <input
                      type="checkbox"
                      checked={chosen.includes(id)}
                      onChange={(e) => setChosen((c) => (e.target.checked ? [...c, id].sort() : c.filter((x) => x !== id)))}
                      data-testid={`fleet-choose-${id}`}
                    />{' '}
                    {id}
                  </label>
                ))}
                <span className="muted">{chosen.length ? `${chosen.length} ${t('fleet.stations.some')}` : t('fleet.stations.all')}</span>
              </fieldset>
            )}
            <button type="button" onClick={() => void load()} disabled={loading} data-testid="fleet-load">
              {t('fleet.load')}
            </button>
          </div>
        )}
        {error && (
          <p className="export-status error" role="alert" data-testid="fleet-error">
            {error.code}: {error.message}
          </p>
        )}
        {stats && stats.rows.length === 0 && <p className="muted">{t('fleet.empty')}</p>}
        {stats && stats.rows.length > 0 && (
          <div className="table-scroll">
            <table className="data-table" data-testid="fleet-stats">
              <thead>
                <tr>
                  <th scope="col">{t('fleet.day')}</th>
                  <th scope="col">{t('fleet.line')}</th>
                  <th scope="col">{t('fleet.station')}</th>
                  <th scope="col">{t('fleet.pack')}</th>
                  <th scope="col" className="num">{t('fleet.runs')}</th>
                  <th scope="col">{t('fleet.verdicts')}</th>
                  <th scope="col" className="num">{t('fleet.errors')}</th>
                  <th scope="col" className="num">{t('fleet.errorRate')}</th>
                  <th scope="col" className="num">{t('fleet.reviewed')}</th>
                  <th scope="col" className="num">{t('fleet.agreement')}</th>
                </tr>
              </thead>
              <tbody>
                {stats.rows.map((r) => (
                  <tr key={`${r.day}|${r.line}|${r.station}|${r.pack}|${r.packVersion}`} data-testid="fleet-row" data-station={r.station} data-runs={r.runs}>
                    <td>{r.day}</td>
                    <td>{r.line ?? '—'}</td>
                    <th scope="row">{r.station}</th>
                    <td>
                      {r.pack ?? '—'} {r.packVersion && <span className="muted">{r.packVersion}</span>}
                    </td>
                    <td className="num">{r.runs}</td>
                    <td>{Object.entries(r.verdicts).map(([k, n]) => `${k} ${n}`).join(', ') || '—'}</td>
                    <td className="num">{r.errors}</td>
                    <td className="num">{pct(r.errorRate)}</td>
                    <td className="num">{r.reviewed}</td>
                    <td className="num">{pct(r.agreement)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {stats && stats.drift.length > 0 && (
          <>
            <h4>{t('fleet.drift')}</h4>
            <table className="data-table" data-testid="fleet-drift">
              <thead>
                <tr>
                  <th scope="col">{t('fleet.pack')}</th>
                  <th scope="col">{t('fleet.baseline')}</th>
                  <th scope="col" className="num">{t('fleet.window')}</th>
                  <th scope="col" className="num">PSI</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {stats.drift.map((d) => (
                  <tr key={`${d.pack}|${d.packVersion}`} data-status={d.status}>
                    <th scope="row">
                      {d.pack} <span className="muted">{d.packVersion}</span>
                    </th>
                    <td>
                      {d.baselineFrom} – {d.baselineTo} (n {d.baselineN})
                    </td>
                    <td className="num">{d.windowN}</td>
                    <td className="num">{d.psi === null ? '—' : d.psi.toFixed(3)}</td>
                    <td className={`drift-${d.status}`}>{t(`fleet.drift.${d.status}` as MessageKey)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </section>
  );
}
