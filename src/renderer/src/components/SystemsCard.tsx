import { useState } from 'react';
import { useT } from '../i18n';
import { defaultSystemPacks, runSystems, systemLabel, SYSTEMS, SYSTEM_KIND, useSystemsStore, type SystemName } from '../review/systems';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { useViewerStore } from '../state/viewerStore';

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(3));

/**
 * The seed's comparison in the findings panel: a classifier's CAM regions (named by the method its
 * run recorded — HiResCAM, Grad-CAM, …), anomaly regions and grounding boxes on this image, each
 * system's boxes toggled on the canvas, and the agreement the host computed from the recorded runs
 * (and recorded): IoU per pair, and which system found what.
 */
export function SystemsCard() {
  const t = useT();
  const packs = useAppStore((s) => s.packs);
  const c = useReviewStore((s) => s.cases[s.current]);
  const result = useSystemsStore((s) => (c ? s.perCase[c.id] : undefined));
  const running = useSystemsStore((s) => (c ? !!s.running[c.id] : false));
  const hidden = useViewerStore((s) => s.hiddenOrigins);
  const defaults = defaultSystemPacks(packs);
  const [chosen, setChosen] = useState<Partial<Record<SystemName, string>>>({});
  const packOf = (s: SystemName) => chosen[s] ?? defaults[s];
  const a = result?.agreement;
  const locale = useAppStore((s) => s.locale);
  // The recorded agreement's method for a run wins (what the history holds); before it, the live run's.
  const recorded = (runId: number | undefined) => (runId === undefined ? undefined : a?.systems.find((x) => x.runId === runId));
  const labelOf = (s: SystemName) => {
    const run = result?.runs.find((r) => r.system === s);
    return systemLabel(locale, s, recorded(run?.runId)?.method ?? run?.method);
  };
  // Pair and box lines name systems as recorded; shown in the reader's language.
  const shown = (name: string) => {
    const run = result?.runs.find((r) => recorded(r.runId)?.system === name);
    return run ? labelOf(run.system) : name;
  };
  return (
    <section className="card systems" aria-labelledby="systems-title" data-testid="systems-card">
      <h3 id="systems-title" className="card-title">
        {t('systems.title')}
      </h3>
      <ul className="systems-list">
        {SYSTEMS.map((s) => {
          const run = result?.runs.find((r) => r.system === s);
          const options = packs.filter((p) => !p.error && p.kind === SYSTEM_KIND[s]);
          return (
            <li key={s} data-testid={`system-${s}`}>
              <label>
                <strong data-testid={`system-label-${s}`}>{labelOf(s)}</strong>{' '}
                <select value={packOf(s) ?? ''} onChange={(e) => setChosen({ ...chosen, [s]: e.target.value })} aria-label={`${labelOf(s)} pack`} data-testid={`system-pack-${s}`}>
                  {options.length === 0 && <option value="">—</option>}
                  {options.map((p) => (
                    <option key={p.dir} value={p.name}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </label>
              {run && (
                <span className="system-result" data-testid={`system-result-${s}`}>
                  {run.error ? (
                    <span className="error-text">{run.error.code}</span>
                  ) : run.boxes === 0 ? (
                    <span>
                      {t('systems.noBoxes')} {labelOf(s)}
                    </span>
                  ) : (
                    <span>
                      {run.boxes} {t(run.boxes === 1 ? 'systems.box' : 'systems.boxes')}
                    </span>
                  )}
                  {run.guard && <span className="muted"> · {run.guard}: {t('systems.guard')}</span>}
                  {run.origin && (
                    <label className="system-toggle">
                      <input type="checkbox" checked={!hidden[run.origin]} onChange={() => useViewerStore.getState().toggleOrigin(run.origin!)} data-testid={`system-toggle-${s}`} /> {t('systems.show')}
                    </label>
                  )}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <button type="button" disabled={!c?.path || running} onClick={() => c && void runSystems(c, Object.fromEntries(SYSTEMS.map((s) => [s, packOf(s)])) as Record<SystemName, string | undefined>)} data-testid="systems-run">
        {running ? t('systems.running') : t('systems.run')}
      </button>
      {result && !a && <p className="muted" data-testid="agreement-none">{result.agreementError ? `${result.agreementError.code}: ${result.agreementError.message}` : t('systems.needTwo')}</p>}
      {a && (
        <div className="agreement" data-testid="agreement">
          <p>
            <strong>{t('systems.agreement')}</strong>: {t('systems.meanIou')} <span data-testid="agreement-mean">{fmt(a.meanIou)}</span>{' '}
            <span className="muted">
              · {t('systems.recorded')} #{a.agreementId}
            </span>
          </p>
          <ul className="agreement-pairs">
            {a.pairs.map((p, i) => (
              <li key={`${p.a}-${p.b}`} data-testid={`agreement-pair-${i}`}>
                {shown(p.a)} ↔ {shown(p.b)}: IoU <span className="num">{fmt(p.iou)}</span> · {p.matched} {t('systems.matched')} {a.matchIou}
              </li>
            ))}
          </ul>
          <ul className="agreement-boxes" data-testid="agreement-boxes">
            {a.boxes.map((b) => (
              <li key={`${b.system}-${b.index}`}>
                {shown(b.system)} #{b.index + 1} {b.label ?? ''}: {b.foundBy.length ? `${t('systems.foundBy')} ${b.foundBy.map(shown).join(', ')}` : t('systems.foundByNone')}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
