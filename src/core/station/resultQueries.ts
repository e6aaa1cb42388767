/**
 * Paged reads of a station's published results for OPC UA ResultManagement (GetResultListFiltered):
 * the same `station_cases` rows the ledger writes (src/core/station/ledger.ts), read only.
 *
 * Order is publication order (the table's rowid: rows are only ever inserted, never updated or
 * deleted), so a position in the list is stable across calls and restarts: an MES that has seen
 * N results asks again from index N and gets exactly the ones it missed.
 */
import type { HistoryStore } from '../history/index';
import type { StationResult } from './result';

export interface ResultPageQuery {
  station: string;
  /** Only results of this part id (the message's partId, a sidecar's or the serial); null: all. */
  partId: string | null;
  /** Position of the first result to return, 0 = the station's first result ever published. */
  startIndex: number;
  /** At most this many (the caller bounds it). */
  limit: number;
}

export interface ResultPage {
  results: StationResult[];
  /** Whether results after this page exist (OPC 40100 IsComplete is its negation). */
  more: boolean;
}

/** One page of a station's results, oldest first. */
export function resultPage(store: HistoryStore, q: ResultPageQuery): ResultPage {
  const limit = Math.max(0, Math.floor(q.limit));
  const offset = Math.max(0, Math.floor(q.startIndex));
  // One row past the page tells whether more exist, without counting the whole table.
  const rows = (
    q.partId === null
      ? store.sql('SELECT message FROM station_cases WHERE station = ? ORDER BY rowid LIMIT ? OFFSET ?').all(q.station, limit + 1, offset)
      : store.sql("SELECT message FROM station_cases WHERE station = ? AND json_extract(message, '$.partId') = ? ORDER BY rowid LIMIT ? OFFSET ?").all(q.station, q.partId, limit + 1, offset)
  ) as { message: string }[];
  return { results: rows.slice(0, limit).map((r) => JSON.parse(r.message) as StationResult), more: rows.length > limit };
}
