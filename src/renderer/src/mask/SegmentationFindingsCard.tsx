import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';
import { segmentationHeadline, segmentationLines, type SegmentationFindings } from './findings';

/** The findings card's lines for a segmentation run: the classes found, their regions and areas. */
export function SegmentationFindingsCard({ findings }: { findings: SegmentationFindings }) {
  const t = useT();
  const locale = useAppStore((s) => s.locale);
  return (
    <>
      <p className="verdict" data-testid="verdict">
        {t('banner.model')}: {segmentationHeadline(findings, locale)}
      </p>
      {findings.classes.length > 0 && (
        <ul className="seg-areas" aria-label={t('seg.areas')} data-testid="seg-areas">
          {segmentationLines(findings, locale).map((line, i) => (
            <li key={findings.classes[i]!.label} data-testid={`seg-area-${findings.classes[i]!.label}`}>
              {line}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
