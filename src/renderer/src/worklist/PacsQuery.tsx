import { useState, type FormEvent } from 'react';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { useT } from '../i18n';
import { StudyCells, StudyHeadCells } from './StudyColumns';
import { useWorklistStore } from './worklistStore';

type Match = Output<'dicom.query'>['matches'][number];
type Retrieved = Output<'dicom.retrieve'>;

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
    try {
      const r = await call('dicom.retrieve', { studyInstanceUid: uid });
      setDone((d) => ({ ...d, [uid]: r }));
      await useWorklistStore.getState().refresh();
    } catch (err) {
      setError(toErrorInfo(err));
    } finally {
      setBusy(null);
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
                <StudyHeadCells />
                <th scope="col">{t('worklist.q.accession')}</th>
                <th scope="col" className="num">
                  {t('worklist.q.instances')}
                </th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {matches.map((m) => {
                const r = done[m.studyInstanceUid];
                return (
                  <tr key={m.studyInstanceUid} data-testid="pacs-row" data-study={m.studyInstanceUid}>
                    <StudyCells s={m} />
                    <td>{m.accessionNumber}</td>
                    <td className="num">{m.instances ?? '—'}</td>
                    <td>
                      {r ? (
                        <span data-testid="pacs-retrieved" data-arrived={r.arrived}>
                          ✔ {t('worklist.q.retrieved')} {r.arrived}
                          {r.expected !== null ? ` / ${r.expected}` : ''} ({r.method === 'get' ? 'C-GET' : r.method === 'move' ? 'C-MOVE' : 'WADO-RS'})
                        </span>
                      ) : (
                        <button type="button" disabled={busy !== null} onClick={() => void retrieve(m.studyInstanceUid)} data-testid="pacs-retrieve">
                          {busy === m.studyInstanceUid ? t('worklist.q.retrieving') : t('worklist.q.retrieve')}
                        </button>
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
