/**
 * The input guard's warning on a case: the image is outside the pack's input envelope
 * (INPUT_OUT_OF_DISTRIBUTION), so the model's answer is shown as uncertain. Its own component so
 * the verdict banner can change without touching it; glyph and words, never colour alone.
 */
import { useT } from '../i18n';
import { guardReasonText } from '../i18n/domain';
import { useAppStore } from '../state/appStore';

export function GuardWarning({ guard }: { guard: { code: string; reasons: string[] } }) {
  const t = useT();
  const locale = useAppStore((s) => s.locale);
  return (
    <div className="guard-warning" role="alert" data-testid="guard-warning" data-code={guard.code}>
      <strong>
        <span aria-hidden="true">⚠</span> {t('guard.title')}
      </strong>
      <p>{t('guard.body')}</p>
      <ul>
        {guard.reasons.map((r) => (
          <li key={r}>{guardReasonText(locale, r)}</li>
        ))}
      </ul>
      <code className="muted">{guard.code}</code>
    </div>
  );
}
