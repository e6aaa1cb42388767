/**
 * Execution providers, found by trying them. onnxruntime-node does not fall back by itself: asking
 * for CUDA without its libraries throws, and a provider missing from the build is silently replaced
 * by CPU. So a provider counts as usable only when a session on it alone (CPU fallback disabled)
 * is created and runs the probe model.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

import { DEFAULT_PROVIDER_ORDER } from './providerOrder';

export { DEFAULT_PROVIDER_ORDER, firstAvailable, type ProviderName } from './providerOrder';

/**
 * onnxruntime's native logger prints a provider library it cannot load (CUDA, TensorRT on a CPU
 * machine) as red ERROR lines on stderr before the caller falls back to CPU — in the CLI's own
 * process, in the inspection worker's log and in every in-process engine (tests, services). The
 * fallback is the expected path, and the provider that failed is reported from the thrown error
 * (engine attempts, `doctor`), not from the log, so the process-wide native log is set to fatal.
 * It must happen before the first session of the process (onnxruntime reads it once, at init);
 * every path that creates a session calls this first.
 */
export function quietNativeProviderLog(): void {
  ort.env.logLevel = 'fatal';
}

export interface ProviderProbe {
  name: string;
  inBuild: boolean;
  available: boolean;
  reason?: string;
  ms?: number;
}

export function providersInBuild(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}

/** Trims onnxruntime's multi-line errors to the sentence that names the cause. */
export function summariseOrtError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // ORT prefixes the cause with a source location and an assertion; keep the sentence after it.
  const cause = /Failed to [^\n]*/.exec(text)?.[0];
  const line = cause ?? text.split('\n').find((l) => l.trim().length > 0) ?? text;
  let summary = line.trim().slice(0, 240);
  if (/load shared library/i.test(summary)) {
    summary += ' (the provider libraries are not installed; see README, "GPU machines")';
  }
  return summary;
}

export async function probeProvider(name: string, probeModel: Uint8Array): Promise<ProviderProbe> {
  const inBuild = providersInBuild().includes(name);
  if (!inBuild) {
    return { name, inBuild, available: false, reason: 'not compiled into this onnxruntime-node build' };
  }
  const started = performance.now();
  quietNativeProviderLog();
  try {
    const session = await ort.InferenceSession.create(probeModel, {
      executionProviders: [name],
      logSeverityLevel: 3,
      extra: name === 'cpu' ? {} : { session: { disable_cpu_ep_fallback: '1' } },
    });
    try {
      const x = new ort.Tensor('float32', new Float32Array(8).fill(0.5), [1, 8]);
      const out = await session.run({ X: x });
      const y = out['Y']?.data as Float32Array | undefined;
      // Y = relu(0.5 + linspace(-1, 1, 8)): first element 0, last 1.5.
      if (!y || y.length !== 8 || Math.abs((y[7] ?? 0) - 1.5) > 1e-5) {
        return { name, inBuild, available: false, reason: 'probe model gave a wrong result' };
      }
    } finally {
      await session.release();
    }
    return { name, inBuild, available: true, ms: performance.now() - started };
  } catch (err) {
    return { name, inBuild, available: false, reason: summariseOrtError(err) };
  }
}

export async function probeProviders(
  probeModelPath: string,
  names: readonly string[] = DEFAULT_PROVIDER_ORDER,
): Promise<ProviderProbe[]> {
  const model = new Uint8Array(readFileSync(probeModelPath));
  const results: ProviderProbe[] = [];
  // Sequential on purpose: provider initialisation loads shared libraries and is not re-entrant.
  for (const name of names) results.push(await probeProvider(name, model));
  return results;
}
