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
  const entries = useReviewStore((s) => {
    const c = s.cases[s.current];
    return (c && s.skipped[c.id]) || EMPTY;
  });
  return <SkippedList entries={entries} testId="skipped-note" why="skipped.why" />;
}

/** What the last folder open left out (`images.openSeries`): shown with the queue, in the same style. */
export function OpenSkippedNote() {
  const entries = useReviewStore((s) => s.openSkipped);
  return <SkippedList entries={entries} testId="open-skipped-note" why="skipped.openWhy" />;
}

function SkippedList({ entries, testId, why }: { entries: SkippedEntry[]; testId: string; why: 'skipped.why' | 'skipped.openWhy' }) {
  const t = useT();
  if (!entries.length) return null;
  const titleId = `${testId}-title`;
  return (
    <section className="skipped-note" role="note" aria-labelledby={titleId} data-testid={testId}>
      <h4 id={titleId}>
        <span aria-hidden="true">⚠ </span>
        {t('skipped.title')} ({entries.length})
      </h4>
      <p className="skipped-why">{t(why)}</p>
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
