/**
 * Provider preference without loading onnxruntime: Electron main needs these answers but must not
 * load the native runtime (that is the worker's job).
 */
export const DEFAULT_PROVIDER_ORDER = ['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof DEFAULT_PROVIDER_ORDER)[number];

/** The first usable provider in the preferred order; CPU always works. */
export function firstAvailable(probes: readonly { name: string; available: boolean }[]): string {
  return probes.find((p) => p.available)?.name ?? 'cpu';
}
