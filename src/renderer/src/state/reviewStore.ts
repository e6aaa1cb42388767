/**
 * The case queue and the reviewer's work on each case. Drafts are kept per case id (and mirrored
 * to localStorage) so switching cases, or a crash, never loses a half-written note or drawn box.
 */
import { create } from 'zustand';
import type { BoxData } from '../viewer/types';
import type { CaseRef, CaseStatus, Decision, Draft, Findings } from '../review/types';

const DRAFTS_KEY = 'inspector.drafts';
const REVIEWER_KEY = 'inspector.reviewer';

export interface SavedDecision {
  id?: string;
  at: string;
}

/** Where decisions go: the history (`review.submit`) in the app; swappable for tests of the flow alone. */
export type SubmitDecision = (c: CaseRef, draft: Draft, reviewer: string) => Promise<SavedDecision>;

function loadDrafts(): Record<string, Draft> {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(DRAFTS_KEY) ?? '{}') as Record<string, Draft>;
  } catch {
    return {};
  }
}

const emptyDraft = (): Draft => ({ note: '', boxes: [], dirty: false });

interface ReviewState {
  cases: CaseRef[];
  current: number;
  drafts: Record<string, Draft>;
  findings: Record<string, Findings>;
  /** The model's decision per case (pass / defect / uncertain), from the last inspection this session. */
  ai: Record<string, AiVerdict>;
  /** Entries `inspect.run` skipped for a case (not images, or refused by the folder walker), from its last run. */
  skipped: Record<string, SkippedEntry[]>;
  /** Entries the last folder open (`images.openSeries`) did not open: not images, or refused by the walk. */
  openSkipped: SkippedEntry[];
  reviewer: string;
  saving: boolean;
  lastError?: string;
  submitter?: SubmitDecision;

  setCases(cases: CaseRef[], current?: number): void;
  goTo(index: number): void;
  step(delta: number): void;
  setFindings(caseId: string, f: Findings): void;
  setStatus(caseId: string, status: CaseStatus): void;
  /** Changes one case's record in place; the selection stays where it is. */
  patchCase(caseId: string, patch: Partial<CaseRef>): void;
  setAi(caseId: string, verdict: AiVerdict): void;
  setSkipped(caseId: string, entries: SkippedEntry[]): void;
  setOpenSkipped(entries: SkippedEntry[]): void;
  draftOf(caseId: string): Draft;
  editDraft(caseId: string, patch: Partial<Draft>): void;
  addBox(caseId: string, box: BoxData): void;
  updateBox(caseId: string, id: string, patch: Partial<BoxData>): void;
  deleteBox(caseId: string, id: string): void;
  setReviewer(name: string): void;
  setSubmitter(fn: SubmitDecision): void;
  decide(decision: Decision, overrideClass?: string): Promise<void>;
}

/** A folder entry a run did not inspect: its path, code (INPUT_NOT_AN_IMAGE, WALK_*) and why. */
export interface SkippedEntry {
  path: string;
  code: string;
  message: string;
}

export interface AiVerdict {
  decision: string;
  label: string;
}

/** A case the reviewer should look at: anything the model did not pass. */
export const isFlagged = (v: AiVerdict | undefined): boolean => !!v && v.decision !== 'pass';

const statusOf: Record<Decision, CaseStatus> = { accept: 'accepted', reject: 'rejected', uncertain: 'uncertain', override: 'overridden' };

export const useReviewStore = create<ReviewState>((set, get) => {
  const persist = () => globalThis.localStorage?.setItem(DRAFTS_KEY, JSON.stringify(get().drafts));
  const patchDraft = (caseId: string, fn: (d: Draft) => Draft) => {
    set((s) => ({ drafts: { ...s.drafts, [caseId]: fn(s.drafts[caseId] ?? emptyDraft()) } }));
    persist();
  };
  return {
    cases: [],
    current: -1,
    drafts: loadDrafts(),
    findings: {},
    ai: {},
    skipped: {},
    openSkipped: [],
    reviewer: globalThis.localStorage?.getItem(REVIEWER_KEY) ?? '',
    saving: false,

    setCases: (cases, current = cases.length ? 0 : -1) => {
      const findings = { ...get().findings };
      for (const c of cases) if (c.findings) findings[c.id] = c.findings;
      set({ cases, current, findings });
    },
    goTo: (index) => {
      const n = get().cases.length;
      if (index >= 0 && index < n) set({ current: index });
    },
    step: (delta) => get().goTo(get().current + delta),
    setFindings: (caseId, f) => set((s) => ({ findings: { ...s.findings, [caseId]: f } })),
    setStatus: (caseId, status) => set((s) => ({ cases: s.cases.map((x) => (x.id === caseId ? { ...x, status } : x)) })),
    patchCase: (caseId, patch) => set((s) => ({ cases: s.cases.map((x) => (x.id === caseId ? { ...x, ...patch } : x)) })),
    setAi: (caseId, verdict) => set((s) => ({ ai: { ...s.ai, [caseId]: verdict } })),
    setSkipped: (caseId, entries) => set((s) => ({ skipped: { ...s.skipped, [caseId]: entries } })),
    setOpenSkipped: (openSkipped) => set({ openSkipped }),
    draftOf: (caseId) => get().drafts[caseId] ?? emptyDraft(),
    editDraft: (caseId, patch) => patchDraft(caseId, (d) => ({ ...d, ...patch, dirty: true })),
    addBox: (caseId, box) => patchDraft(caseId, (d) => ({ ...d, boxes: [...d.boxes, box], dirty: true })),
    updateBox: (caseId, id, patch) => patchDraft(caseId, (d) => ({ ...d, boxes: d.boxes.map((b) => (b.id === id ? { ...b, ...patch } : b)), dirty: true })),
    deleteBox: (caseId, id) => patchDraft(caseId, (d) => ({ ...d, boxes: d.boxes.filter((b) => b.id !== id), dirty: true })),
    setReviewer: (reviewer) => {
      globalThis.localStorage?.setItem(REVIEWER_KEY, reviewer);
      set({ reviewer });
    },
    setSubmitter: (submitter) => set({ submitter }),
    decide: async (decision, overrideClass) => {
      const { cases, current, submitter, reviewer } = get();
      const c = cases[current];
      if (!c) return;
      const draft: Draft = { ...get().draftOf(c.id), decision, ...(overrideClass ? { overrideClass } : {}) };
      patchDraft(c.id, () => ({ ...draft, dirty: true }));
      if (!submitter) return;
      set({ saving: true, lastError: undefined });
      try {
        const saved = await submitter(c, draft, reviewer);
        patchDraft(c.id, (d) => ({ ...d, dirty: false, savedAt: saved.at, ...(saved.id ? { savedId: saved.id } : {}) }));
        set((s) => ({ cases: s.cases.map((x) => (x.id === c.id ? { ...x, status: statusOf[decision] } : x)) }));
      } catch (e) {
        set({ lastError: e instanceof Error ? e.message : String(e) });
      } finally {
        set({ saving: false });
      }
    },
  };
});
