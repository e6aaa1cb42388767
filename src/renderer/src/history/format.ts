/** Pure formatting and query helpers of the history view (unit-tested without a DOM). */
import type { Input } from '../../../shared/contract';

const pad = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time, minute precision: what an inspector compares with the line's clock. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `YYYY-MM-DD` of a date input → epoch ms of that local midnight; `end` gives the next midnight (exclusive bound). */
export function dayBound(day: string, end = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0)).getTime();
}

export const fileName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

export function formatScore(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

export function formatPercent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

export type ReviewStatusFilter = NonNullable<Input<'history.search'>['reviewStatus']>;
export const REVIEW_STATUSES: readonly ReviewStatusFilter[] = ['any', 'unreviewed', 'reviewed', 'accept', 'reject', 'override', 'uncertain'];

/** What the filter form holds: strings as typed, turned into a query only when sent. */
export interface HistoryFilters {
  fromDay: string;
  toDay: string;
  verdict: string;
  pack: string;
  reviewer: string;
  reviewStatus: ReviewStatusFilter;
  text: string;
}

export const EMPTY_FILTERS: HistoryFilters = { fromDay: '', toDay: '', verdict: '', pack: '', reviewer: '', reviewStatus: 'any', text: '' };

export interface HistorySort {
  by: 'time' | 'score';
  order: 'asc' | 'desc';
}

export function searchInput(f: HistoryFilters, sort: HistorySort, offset: number, limit: number): Input<'history.search'> {
  const from = dayBound(f.fromDay);
  const to = dayBound(f.toDay, true);
  const text = f.text.trim();
  return {
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(f.verdict ? { verdicts: [f.verdict] } : {}),
    ...(f.pack ? { pack: f.pack } : {}),
    ...(f.reviewer ? { reviewer: f.reviewer } : {}),
    ...(f.reviewStatus !== 'any' ? { reviewStatus: f.reviewStatus } : {}),
    ...(text ? { text: text.slice(0, 200) } : {}),
    sort: sort.by,
    order: sort.order,
    limit,
    offset,
    // Counting costs more than a page at a million rows: only the first page asks for it.
    withTotal: offset === 0,
  };
}

/** Clicking a sorted column flips its order; another column starts newest/highest first. */
export function nextSort(current: HistorySort, by: HistorySort['by']): HistorySort {
  return current.by === by ? { by, order: current.order === 'desc' ? 'asc' : 'desc' } : { by, order: 'desc' };
}

/** The filters on screen as `history.export` takes them: no paging; exports read oldest first. */
export function exportFilters(f: HistoryFilters): Input<'history.export'>['filters'] {
  const { limit: _limit, offset: _offset, withTotal: _withTotal, sort: _sort, order: _order, ...filters } = searchInput(f, { by: 'time', order: 'asc' }, 0, 1);
  return filters;
}
