/**
 * Provider preference without loading onnxruntime: Electron main needs these answers but must not
 * load the native runtime (that is the worker's job).
 */
/** Every provider `inspector doctor` tries, so the report says why each one is or is not usable. */
export const DEFAULT_PROVIDER_ORDER = ['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof DEFAULT_PROVIDER_ORDER)[number];

/**
 * What the engine tries when the user configured nothing. WebGPU is left out: onnxruntime calls
 * it experimental, and on machines without a usable adapter each attempt costs a Dawn/Vulkan
 * start-up and a screen of warnings. It stays available by naming it (`--providers webgpu,cpu`).
 */
export const ENGINE_PROVIDER_ORDER = ['cuda', 'tensorrt', 'dml', 'coreml', 'cpu'] as const;

/** The first usable provider in the preferred order; CPU always works. */
export function firstAvailable(probes: readonly { name: string; available: boolean }[]): string {
  return probes.find((p) => p.available && (ENGINE_PROVIDER_ORDER as readonly string[]).includes(p.name))?.name ?? 'cpu';
}
