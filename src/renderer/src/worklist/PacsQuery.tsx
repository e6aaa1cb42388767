import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { useT } from '../i18n';
import { sortMatches, type PacsSort, type PacsSortKey, type StudyMatch as Match } from './pacsView';
import { SortHeader, StudyCells, StudyHeadCells, type Sorting } from './StudyColumns';
import { nextSort } from './worklistView';
import { useWorklistStore } from './worklistStore';

type Retrieved = Output<'dicom.retrieve'>;
/** A retrieve the radiographer cancelled: how many instances had arrived (they stay in the inbox). */
interface Cancelled {
  arrived: number;
}

/** The instance count of a detail (C-GET says `arrived`, C-MOVE `completed`), when the error carries one. */
function countOf(details: Record<string, unknown> | undefined): number | null {
  const n = details?.['arrived'] ?? details?.['completed'];
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

const FIELDS = [
  ['patientId', 'worklist.q.patientId'],
  ['patientName', 'worklist.q.patientName'],
  ['studyDate', 'worklist.q.studyDate'],
  ['modality', 'worklist.q.modality'],
  ['accessionNumber', 'worklist.q.accession'],
] as const;

/**
 * Query/retrieve against the node's configured PACS: patient/study filters → C-FIND (or QIDO-RS)
 * on the host → a result table; Retrieve brings the study into the inbox by C-GET (or C-MOVE /
 * WADO-RS as configured), after which it is a worklist row like any pushed study.
 */
export function PacsQuery() {
  const t = useT();
  const [keys, setKeys] = useState<Record<string, string>>({});
  const [matches, setMatches] = useState<Match[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [done, setDone] = useState<Record<string, Retrieved>>({});
  const [cancelled, setCancelled] = useState<Record<string, Cancelled>>({});
  const [cancelling, setCancelling] = useState(false);
  // The results' column sort (null: the PACS's own order); kept across searches, like the worklist's.
  const [sort, setSort] = useState<PacsSort | null>(null);
  const rows = useMemo(() => (matches ? sortMatches(matches, sort) : []), [matches, sort]);
  const sorting: Sorting<PacsSortKey> = { sort, onSort: (k) => setSort((s) => nextSort(s, k)), testIdPrefix: 'pacs-sort-' };
  // Progress: what has arrived so far is the study's worklist row; poll it faster while retrieving.
  const arrivedNow = useWorklistStore((s) => (busy && busy !== 'search' ? s.data?.studies.find((x) => x.studyInstanceUid === busy)?.instances ?? 0 : 0));
  useEffect(() => {
    if (!busy || busy === 'search') return;
    const timer = setInterval(() => void useWorklistStore.getState().refresh(), 700);
    return () => clearInterval(timer);
  }, [busy]);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('search');
    setError(null);
    try {
      const q = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ''));
      setMatches((await call('dicom.query', q)).matches);
    } catch (err) {
      setError(toErrorInfo(err));
      setMatches(null);
    } finally {
      setBusy(null);
    }
  };

  const retrieve = async (uid: string) => {
    setBusy(uid);
    setError(null);
    setCancelled(({ [uid]: _, ...rest }) => rest);
    try {
      const r = await call('dicom.retrieve', { studyInstanceUid: uid });
      setDone((d) => ({ ...d, [uid]: r }));
    } catch (err) {
      const e = toErrorInfo(err);
      // Cancelled by the radiographer: not an error; what arrived is kept and Retrieve can complete it.
      if (e.code !== 'DICOM_CANCELLED') setError(e);
      else {
        // Cancelled before the C-GET began (during its C-FINDs) carries no count: the worklist row has it.
        await useWorklistStore.getState().refresh();
        const row = useWorklistStore.getState().data?.studies.find((x) => x.studyInstanceUid === uid);
        setCancelled((c) => ({ ...c, [uid]: { arrived: countOf(e.details) ?? row?.instances ?? 0 } }));
      }
    } finally {
      setBusy(null);
      setCancelling(false);
      await useWorklistStore.getState().refresh();
    }
  };

  const cancel = async (uid: string) => {
    setCancelling(true);
    try {
      await call('dicom.cancelRetrieve', { studyInstanceUid: uid });
    } catch (err) {
      setError(toErrorInfo(err));
      setCancelling(false);
    }
  };

  return (
    <section className="pacs-query" aria-labelledby="pacs-query-title" data-testid="pacs-query">
      <h3 id="pacs-query-title" className="panel-title">
        {t('worklist.q.title')}
      </h3>
      <form onSubmit={(e) => void search(e)} className="pacs-query-form">
        {FIELDS.map(([k, label]) => (
          <label key={k}>
            {t(label)}
            <input
              type="text"
              value={keys[k] ?? ''}
              placeholder={k === 'studyDate' ? 'YYYYMMDD-YYYYMMDD' : k === 'modality' ? 'CT' : ''}
              onChange={(e) => setKeys((s) => ({ ...s, [k]: k === 'modality' ? e.target.value.toUpperCase() : e.target.value }))}
              data-testid={`pacs-q-${k}`}
            />
          </label>
        ))}
        <button type="submit" disabled={busy !== null} data-testid="pacs-search">
          {busy === 'search' ? t('worklist.q.searching') : t('worklist.q.search')}
        </button>
      </form>
      {error && (
        <p className="export-status error" role="alert" data-testid="pacs-error" data-code={error.code}>
          {error.code}: {error.message}
        </p>
      )}
      {matches && matches.length === 0 && (
        <p className="muted" data-testid="pacs-none">
          {t('worklist.q.none')}
        </p>
      )}
      {matches && matches.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <StudyHeadCells sorting={sorting} />
                <SortHeader k="accession" label="worklist.q.accession" sorting={sorting} />
                <SortHeader k="images" label="worklist.q.instances" sorting={sorting} className="num" />
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => {
                const r = done[m.studyInstanceUid];
                return (
                  <tr key={m.studyInstanceUid} data-testid="pacs-row" data-study={m.studyInstanceUid}>
                    <StudyCells s={m} />
                    <td>{m.accessionNumber}</td>
                    <td className="num">{m.instances ?? '—'}</td>
                    <td>
                      {busy === m.studyInstanceUid ? (
                        <span className="pacs-retrieve-state" data-testid="pacs-retrieving" data-arrived={arrivedNow}>
                          {t('worklist.q.retrieving')} {arrivedNow}
                          {m.instances !== null ? ` / ${m.instances}` : ''} {t('worklist.q.arrived')}
                          <button type="button" disabled={cancelling} onClick={() => void cancel(m.studyInstanceUid)} data-testid="pacs-cancel">
                            {cancelling ? t('worklist.q.cancelling') : t('worklist.q.cancel')}
                          </button>
                        </span>
                      ) : r ? (
                        <span data-testid="pacs-retrieved" data-arrived={r.arrived}>
                          ✔ {t('worklist.q.retrieved')} {r.arrived}
                          {r.expected !== null ? ` / ${r.expected}` : ''} ({r.method === 'get' ? 'C-GET' : r.method === 'move' ? 'C-MOVE' : 'WADO-RS'})
                        </span>
                      ) : (
                        <span className="pacs-retrieve-state">
                          {cancelled[m.studyInstanceUid] && (
                            <span data-testid="pacs-cancelled" data-arrived={cancelled[m.studyInstanceUid]!.arrived}>
                              ⊘ {t('worklist.q.cancelled')} {cancelled[m.studyInstanceUid]!.arrived}
                              {m.instances !== null ? ` / ${m.instances}` : ''}
                            </span>
                          )}
                          <button type="button" disabled={busy !== null} onClick={() => void retrieve(m.studyInstanceUid)} data-testid="pacs-retrieve">
                            {t('worklist.q.retrieve')}
                          </button>
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
