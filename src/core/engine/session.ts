/**
 * One onnxruntime session per (model, providers) — created lazily, reused for every image. The
 * execution providers are tried in the configured order; onnxruntime-node never falls back by
 * itself (CUDA without its libraries throws), so a provider that fails to initialise is logged with
 * onnxruntime's reason and skipped, and the provider that actually took the session is reported.
 *
 * Threads: intra-op = all cores, inter-op 1, spinning off. On the 2-core CI box busy-wait spinning
 * made batched inference markedly slower (the spinning pool competes with the thread doing the
 * work and with the CAM computation); see scripts/bench/gradcam.ts for the measurement.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { ENGINE_PROVIDER_ORDER } from '../runtime/providerOrder';
import { providersInBuild, quietNativeProviderLog, summariseOrtError } from '../runtime/providers';

export interface ProviderAttempt {
  provider: string;
  ok: boolean;
  reason?: string;
}

export interface EngineSession {
  session: ort.InferenceSession;
  provider: string;
  attempts: ProviderAttempt[];
  inputNames: readonly string[];
  outputNames: readonly string[];
}

export interface SessionSettings {
  /** Preference order; `cpu` is appended when missing so there is always a last resort. */
  providers?: readonly string[];
  intraOpThreads?: number;
  spinning?: boolean;
  log?: (line: string) => void;
}

export function resolveProviderOrder(order: readonly string[] | undefined): string[] {
  const list = [...(order ?? ENGINE_PROVIDER_ORDER)].map((p) => p.toLowerCase());
  const deduped = list.filter((p, i) => list.indexOf(p) === i);
  if (!deduped.includes('cpu')) deduped.push('cpu');
  return deduped;
}

export function sessionOptions(provider: string, s: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: s.intraOpThreads ?? availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // A provider that cannot load is reported through our log, not onnxruntime's stderr.
    logSeverityLevel: provider === 'cpu' ? 3 : 4,
    extra: { session: { 'intra_op.allow_spinning': s.spinning ? '1' : '0' } },
    // DirectML requires both off (onnxruntime forces them; saying so avoids its warning).
    ...(provider === 'dml' ? { enableMemPattern: false } : {}),
  };
}

/**
 * Providers that failed to initialise in this process, with the reason: trying CUDA again for every
 * model costs a library load and stderr noise each time, and a missing library will not appear.
 */
const failed = new Map<string, string>();

export function forgetProviderFailures(): void {
  failed.clear();
}

export async function createSession(model: Uint8Array, settings: SessionSettings = {}): Promise<EngineSession> {
  const inBuild = new Set(providersInBuild());
  const attempts: ProviderAttempt[] = [];
  const log = settings.log ?? (() => {});
  quietNativeProviderLog();
  for (const provider of resolveProviderOrder(settings.providers)) {
    const known = failed.get(provider);
    if (known) {
      attempts.push({ provider, ok: false, reason: known });
      continue;
    }
    if (!inBuild.has(provider)) {
      const reason = 'not compiled into this onnxruntime-node build';
      attempts.push({ provider, ok: false, reason });
      log(`execution provider ${provider} skipped: ${reason}`);
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(model, sessionOptions(provider, settings));
      attempts.push({ provider, ok: true });
      if (attempts.length > 1) log(`using execution provider ${provider}`);
      return { session, provider, attempts, inputNames: session.inputNames, outputNames: session.outputNames };
    } catch (err) {
      const reason = summariseOrtError(err);
      if (provider !== 'cpu') failed.set(provider, reason);
      attempts.push({ provider, ok: false, reason });
      log(`execution provider ${provider} failed to initialise, falling back: ${reason}`);
    }
  }
  throw new Error('unreachable: cpu is always tried');
}

/** Sessions keyed by the caller (pack hash + variant + providers), created once. */
export class SessionCache {
  private readonly sessions = new Map<string, Promise<EngineSession>>();

  get(key: string, make: () => Promise<EngineSession>): Promise<EngineSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = make();
      // A failed creation must not poison the cache: the next call tries again.
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  async clear(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await s.then((e) => e.session.release()).catch(() => {});
  }

  get size(): number {
    return this.sessions.size;
  }

  keys(): string[] {
    return [...this.sessions.keys()];
  }
}
