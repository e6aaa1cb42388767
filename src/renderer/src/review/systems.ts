/**
 * Three systems side by side on one image (the seed project's comparison): a classifier's CAM
 * regions (named by the method its run used: HiResCAM for the battery pack, Grad-CAM, …), an
 * anomaly pack's regions and a grounding pack's boxes. Each runs as an ordinary
 * recorded inspection; their layers and boxes join the case, and the host computes and records
 * the agreement from the recorded runs (`agreement.record`, core/agreement).
 */
import { create } from 'zustand';
import { call } from '../api';
import { useReviewStore } from '../state/reviewStore';
import type { AgreementRecorded, PackSummary } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { methodDisplayName } from '../../../shared/methods';
import { translate, type Locale } from '../i18n';
import { applyResults, runOnCase } from './inspect';
import type { CaseRef } from './types';

/** The systems by the pack kind each is (stable ids: test ids, the store); their names come from their runs. */
export const SYSTEMS = ['classifier', 'anomaly', 'grounding'] as const;
export type SystemName = (typeof SYSTEMS)[number];
export const SYSTEM_KIND: Record<SystemName, string> = { classifier: 'classifier', anomaly: 'anomaly', grounding: 'grounding' };

/**
 * The name an agreement records for a system's run: a classifier by the explanation method its run
 * used (the history records the same), anomaly and grounding by what they are. Names in English, as
 * the CLI's `inspector agreement` gives them, so a recorded agreement reads the same everywhere.
 */
export function recordedSystemName(system: SystemName, method: string | undefined): string {
  if (system === 'classifier') return method ? methodDisplayName(method) : 'CAM';
  return system === 'anomaly' ? 'Anomaly' : 'Grounding';
}

/** The system as the card shows it: the classifier by its run's method (none yet: "Classifier CAM"). */
export function systemLabel(locale: Locale, system: SystemName, method: string | null | undefined): string {
  if (system === 'classifier') return method ? methodDisplayName(method) : translate(locale, 'systems.classifier');
  return translate(locale, system === 'anomaly' ? 'systems.anomaly' : 'systems.grounding');
}

export interface SystemRun {
  system: SystemName;
  /** The explanation method the run used (after any fallback): what the classifier is named by. */
  method?: string;
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
        runs.push({ system, pack, origin: res.origin, boxes: res.boxes.length, ...(res.method ? { method: res.method } : {}), ...(res.runId !== undefined ? { runId: res.runId } : {}), ...(res.guard ? { guard: res.guard } : {}) });
      } catch (e) {
        runs.push({ system, pack, boxes: 0, error: toErrorInfo(e) });
      }
    }
    const recorded = runs.filter((r) => r.runId !== undefined);
    let result: CaseSystems = { runs };
    if (recorded.length >= 2) {
      try {
        result = { runs, agreement: await call('agreement.record', { runs: recorded.map((r) => ({ system: recordedSystemName(r.system, r.method), runId: r.runId! })) }) };
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
