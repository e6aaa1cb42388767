import { useT } from '../i18n';
import { useReviewStore, type SkippedEntry } from '../state/reviewStore';

const EMPTY: SkippedEntry[] = [];
const nameOf = (p: string) => p.split(/[\\/]/).pop() || p;

/**
 * Files the last run of this case did not inspect (not images, or entries the folder walker
 * refused: FIFOs, dangling links, links out of the grant), each with its code and reason. They are
 * recorded in the history too; here the reviewer sees them next to the verdict, so a skip is never silent.
 */
export function SkippedNote() {
  const t = useT();
  const entries = useReviewStore((s) => {
    const c = s.cases[s.current];
    return (c && s.skipped[c.id]) || EMPTY;
  });
  if (!entries.length) return null;
  return (
    <section className="skipped-note" role="note" aria-labelledby="skipped-title" data-testid="skipped-note">
      <h4 id="skipped-title">
        <span aria-hidden="true">⚠ </span>
        {t('skipped.title')} ({entries.length})
      </h4>
      <p className="skipped-why">{t('skipped.why')}</p>
      <ul>
        {entries.map((e) => (
          <li key={e.path} title={`${e.path}: ${e.message}`} data-code={e.code} data-testid="skipped-entry">
            <span className="skipped-file">{nameOf(e.path)}</span> <code>{e.code}</code>
            <div className="skipped-message">{e.message}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}
