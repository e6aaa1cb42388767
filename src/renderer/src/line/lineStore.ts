/**
 * The Line room's state: the station feed's snapshot (station.feed) kept current by the
 * `station.event` pushes from main. Every event is checked against the shared schema here as well;
 * an event older than the snapshot (seq) is dropped, and after a gap the snapshot is fetched again.
 */
import { create } from 'zustand';
import { call } from '../api';
import { StationEvent, type StationFeed, type StationFeedCase } from '../../../shared/station';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';

interface LineState {
  feed: StationFeed | null;
  error: ErrorInfo | null;
  /** Review in flight or failed, per result id. */
  busy: string | null;
  reviewError: ErrorInfo | null;
  load(): Promise<void>;
  apply(raw: unknown): void;
  override(c: StationFeedCase, runId: number, decision: 'accept' | 'reject', note?: string): Promise<void>;
  /** Start / stop / Halt / Reset (station.control); a refusal (role, state) is shown, never thrown. */
  control(action: 'start' | 'stop' | 'halt' | 'reset'): Promise<void>;
  controlError: ErrorInfo | null;
  controlBusy: boolean;
}

export const useLineStore = create<LineState>((set, get) => ({
  feed: null,
  error: null,
  busy: null,
  reviewError: null,
  controlError: null,
  controlBusy: false,
  async control(action) {
    set({ controlBusy: true, controlError: null });
    try {
      const feed = await call('station.control', { action });
      set({ feed, controlBusy: false });
    } catch (e) {
      set({ controlBusy: false, controlError: toErrorInfo(e) });
    }
  },
  async load() {
    try {
      set({ feed: await call('station.feed', {}), error: null });
    } catch (e) {
      set({ error: toErrorInfo(e) });
    }
  },
  apply(raw) {
    const parsed = StationEvent.safeParse(raw);
    if (!parsed.success) {
      set({ error: { code: 'IPC_BAD_EVENT', message: `station.event failed validation: ${parsed.error.issues[0]?.message ?? ''}` } });
      return;
    }
    const e = parsed.data;
    const feed = get().feed;
    if (!feed) return void get().load();
    if (e.seq <= feed.seq) return;
    if (e.type === 'case') {
      // A known case is updated in place (its findings arrive after its result); a new one goes on top.
      const known = feed.cases.some((c) => c.resultId === e.case.resultId);
      const cases = known ? feed.cases.map((c) => (c.resultId === e.case.resultId ? e.case : c)) : [e.case, ...feed.cases].slice(0, 50);
      set({ feed: { ...feed, seq: e.seq, cases } });
    } else if (e.type === 'correction') {
      set({
        feed: {
          ...feed,
          seq: e.seq,
          cases: feed.cases.map((c) => (c.resultId === e.resultId && !c.corrections.some((x) => x.reviewId === e.correction.reviewId) ? { ...c, corrections: [...c.corrections, e.correction] } : c)),
        },
      });
    } else {
      const restarted = e.service !== feed.service;
      set({ feed: { ...feed, seq: e.seq, service: e.service, error: e.error, state: e.state, vision: e.vision ?? null, queueDepth: e.queueDepth, pendingCases: e.pendingCases, processed: e.processed, connections: e.connections } });
      // Started or stopped: station id, config and recent cases come with the snapshot.
      if (restarted) void get().load();
    }
  },
  async override(c, runId, decision, note) {
    set({ busy: c.resultId, reviewError: null });
    try {
      // The same review record as the Review room; the station publishes it as a correction of c.resultId.
      const prior = [...c.corrections].reverse().find((x) => x.runId === runId);
      await call('review.submit', { runId, decision, note: note ?? null, supersedes: prior?.reviewId ?? null });
      set({ busy: null });
    } catch (e) {
      set({ busy: null, reviewError: toErrorInfo(e) });
    }
  },
}));

/** Flagged cases first (newest first within each group): what a reviewer must look at is on top. */
export function orderCases(cases: readonly StationFeedCase[]): StationFeedCase[] {
  return [...cases.filter((c) => c.flagged), ...cases.filter((c) => !c.flagged)];
}
