/**
 * Three systems side by side on one image (the seed project's comparison): a classifier's Grad-CAM
 * regions, an anomaly pack's regions and a grounding pack's boxes. Each runs as an ordinary
 * recorded inspection; their layers and boxes join the case, and the host computes and records
 * the agreement from the recorded runs (`agreement.record`, core/agreement).
 */
import { create } from 'zustand';
import { call } from '../api';
import { useReviewStore } from '../state/reviewStore';
import type { AgreementRecorded, PackSummary } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { applyResults, runOnCase } from './inspect';
import type { CaseRef } from './types';

export const SYSTEMS = ['Grad-CAM', 'Anomaly', 'Grounding'] as const;
export type SystemName = (typeof SYSTEMS)[number];
/** The pack kind each system is. */
export const SYSTEM_KIND: Record<SystemName, string> = { 'Grad-CAM': 'classifier', Anomaly: 'anomaly', Grounding: 'grounding' };

export interface SystemRun {
  system: SystemName;
  pack?: string;
  /** `pack@version` of the run's boxes (the canvas toggle's key). */
  origin?: string;
  runId?: number;
  boxes: number;
  /** The input guard flagged the image for this pack (outside what it was trained on). */
  guard?: string;
  error?: ErrorInfo;
}

export interface CaseSystems {
  runs: SystemRun[];
  agreement?: AgreementRecorded;
  agreementError?: ErrorInfo;
}

interface SystemsState {
  perCase: Record<string, CaseSystems>;
  running: Record<string, boolean>;
}

export const useSystemsStore = create<SystemsState>(() => ({ perCase: {}, running: {} }));

/** First installed pack of each system's kind (the list is sorted by name). */
export function defaultSystemPacks(packs: readonly PackSummary[]): Record<SystemName, string | undefined> {
  const ok = packs.filter((p) => !p.error);
  return Object.fromEntries(SYSTEMS.map((s) => [s, ok.find((p) => p.kind === SYSTEM_KIND[s])?.name])) as Record<SystemName, string | undefined>;
}

/** Runs each chosen system on the case's image, then records their agreement. */
export async function runSystems(c: CaseRef, packs: Record<SystemName, string | undefined>): Promise<CaseSystems | undefined> {
  if (!c.path) return undefined;
  useSystemsStore.setState((s) => ({ running: { ...s.running, [c.id]: true } }));
  const runs: SystemRun[] = [];
  try {
    for (const system of SYSTEMS) {
      const pack = packs[system];
      if (!pack) {
        runs.push({ system, boxes: 0, error: { code: 'PACK_NOT_FOUND', message: `No ${SYSTEM_KIND[system]} pack is installed.` } });
        continue;
      }
      try {
        const res = await runOnCase(c, pack);
        if (!res) continue;
        // The case's own findings (and the run its decision is recorded against) stay; a case never
        // inspected takes the first system's.
        const keepFindings = !!useReviewStore.getState().findings[c.id];
        await applyResults(c, res, { keepFindings });
        runs.push({ system, pack, origin: res.origin, boxes: res.boxes.length, ...(res.runId !== undefined ? { runId: res.runId } : {}), ...(res.guard ? { guard: res.guard } : {}) });
      } catch (e) {
        runs.push({ system, pack, boxes: 0, error: toErrorInfo(e) });
      }
    }
    const recorded = runs.filter((r) => r.runId !== undefined);
    let result: CaseSystems = { runs };
    if (recorded.length >= 2) {
      try {
        result = { runs, agreement: await call('agreement.record', { runs: recorded.map((r) => ({ system: r.system, runId: r.runId! })) }) };
      } catch (e) {
        result = { runs, agreementError: toErrorInfo(e) };
      }
    }
    useSystemsStore.setState((s) => ({ perCase: { ...s.perCase, [c.id]: result } }));
    return result;
  } finally {
    useSystemsStore.setState((s) => ({ running: { ...s.running, [c.id]: false } }));
  }
}
