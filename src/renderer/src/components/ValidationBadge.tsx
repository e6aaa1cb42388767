import { useT } from '../i18n';

/** Whether a pack's files were evaluated on this station: glyph and words, never colour alone. */
export function ValidationBadge({ validated, reason, testId }: { validated: boolean; reason: string | null; testId: string }) {
  const t = useT();
  return (
    <span className={`validation-badge ${validated ? 'validated' : 'not-validated'}`} data-testid={testId} data-validated={String(validated)} title={reason ?? undefined} role="status">
      <span aria-hidden="true">{validated ? '✓' : '⚠'}</span> {validated ? t('validation.validated') : t('validation.notValidated')}
    </span>
  );
}
