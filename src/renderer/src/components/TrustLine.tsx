import { useT } from '../i18n';
import type { TrustInfo } from '../viewer/types';

/**
 * The trust figure beside a map's legend (issue #15 §3): strong / weak, the figure, and what it
 * measures — removing the map's top k % against removing the same region moved elsewhere
 * (src/core/explain/faithfulness.ts). A weak map is drawn all the same, but the reader is told.
 */
export function TrustLine({ trust }: { trust: TrustInfo }) {
  const t = useT();
  const word = trust.verdict === 'strong' ? t('trust.strong') : trust.verdict === 'weak' ? t('trust.weak') : t('trust.na');
  const detail = trust.verdict === 'not-applicable' ? t('trust.naDetail') : `${t('trust.detail').replace('{k}', String(trust.topPercent))} ${trust.figure === null ? '—' : trust.figure.toFixed(2)}`;
  return (
    <div className={`legend-trust trust-${trust.verdict}`} data-testid="legend-trust" data-verdict={trust.verdict} title={detail}>
      {t('trust.label')}: <strong data-testid="legend-trust-verdict">{word}</strong>
      {trust.figure !== null && <span className="muted"> ({trust.figure.toFixed(2)})</span>}
      <div className="muted legend-trust-detail">{detail}{trust.reason && trust.verdict !== 'not-applicable' ? ` · ${trust.reason}` : ''}</div>
    </div>
  );
}
