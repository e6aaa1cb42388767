import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { useBatchStore } from '../review/batch';
import { BANNER_GLYPH, bannerOf, type Banner } from '../review/banner';
import { localText } from './FindingsPanel';

/** The case's verdict, large: colour and glyph and word (PASS / defect class / UNCERTAIN / INCOMPLETE). */
export function VerdictBanner() {
  const t = useT();
  const locale = useAppStore((s) => s.locale);
  const c = useReviewStore((s) => s.cases[s.current]);
  const findings = useReviewStore((s) => (c ? s.findings[c.id] : undefined));
  const run = useBatchStore((s) => (c ? s.perCase[c.id] : undefined));
  const banner = bannerOf(findings, run?.state === 'error' ? { code: run.code } : undefined);
  if (!banner) return null;
  const name = (label: string) => (label === 'uncertain' ? t('decision.uncertain') : localText(findings?.probabilities.find((p) => p.label === label)?.displayName, locale, label));
  const headline = banner.kind === 'defect' ? name(banner.label) : t(`banner.${banner.kind}`);
  return (
    <div className={`verdict-banner banner-${banner.kind}`} role="status" data-testid="verdict-banner" data-kind={banner.kind} data-reason={banner.reason}>
      <span className="banner-glyph" aria-hidden="true">
        {BANNER_GLYPH[banner.kind]}
      </span>
      <span className="banner-text">
        <strong className="banner-headline">{headline}</strong>
        <span className="banner-detail">{detail(banner, t, name, run?.state === 'error' ? run.message : undefined, findings?.probabilities.find((x) => x.label === banner.label)?.p)}</span>
        {banner.kind === 'incomplete' && findings?.failed?.length ? (
          // Which images the verdict lacks, each with its code: INCOMPLETE is never a bare word.
          <span className="banner-failed" data-testid="failed-images">
            {t('banner.failedImages')} ({findings.failed.length}):{' '}
            {findings.failed.map((f, i) => (
              <span key={f.path} title={`${f.path}: ${f.message}`} data-testid="failed-image" data-code={f.code}>
                {i > 0 && ', '}
                <span className="failed-file">{f.path.split(/[\\/]/).pop()}</span> <code>{f.code}</code>
              </span>
            ))}
          </span>
        ) : null}
      </span>
    </div>
  );
}

function detail(b: Banner, t: ReturnType<typeof useT>, name: (l: string) => string, message?: string, p?: number): string {
  if (b.reason === 'failed') return `${t('banner.failed')}${b.code ? `: ${b.code}` : ''}${message ? ` — ${message}` : ''}`;
  if (b.reason === 'near-tie' && b.tie) return `${t('banner.nearTie')}: ${name(b.tie[0].label)} ${(b.tie[0].p * 100).toFixed(1)}% / ${name(b.tie[1].label)} ${(b.tie[1].p * 100).toFixed(1)}%`;
  if (b.reason === 'out-of-distribution') return t('banner.ood');
  if (b.reason === 'band') return `${t('banner.band')} (${name(b.label)})`;
  return `${t('banner.model')}: ${name(b.label)}${p !== undefined ? ` ${(p * 100).toFixed(1)}%` : ''}`;
}
