/**
 * The one IPC contract between renderer and main: channel → input schema → output schema.
 * Electron's ipcMain, the Playwright test bridge and the types of `window.api` all derive from it.
 */
import { z } from 'zod';
import type { Channel } from './channels';

const Empty = z.object({}).strict();

export const ExecutionProviderProbe = z.object({
  name: z.string(),
  /** Compiled into this onnxruntime-node build (listSupportedBackends). */
  inBuild: z.boolean(),
  /** A session was created and ran a probe model on this provider alone. */
  available: z.boolean(),
  /** Why it is not available, as onnxruntime said it. */
  reason: z.string().optional(),
  ms: z.number().optional(),
});
export type ExecutionProviderProbe = z.infer<typeof ExecutionProviderProbe>;

export const PackSummary = z.object({
  dir: z.string(),
  name: z.string(),
  version: z.string(),
  kind: z.string(),
  source: z.enum(['app', 'user']),
  /** Set when the manifest could not be read; the pack is listed so the user sees why. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type PackSummary = z.infer<typeof PackSummary>;

export const DoctorReport = z.object({
  versions: z.object({
    inspector: z.string(),
    node: z.string(),
    electron: z.string().nullable(),
    onnxruntime: z.string(),
    sharp: z.string(),
    libvips: z.string(),
    betterSqlite3: z.string(),
    sqlite: z.string(),
  }),
  platform: z.string(),
  arch: z.string(),
  cpus: z.number(),
  executionProviders: z.array(ExecutionProviderProbe),
  packs: z.array(PackSummary),
});
export type DoctorReport = z.infer<typeof DoctorReport>;

export const AppInfo = z.object({
  version: z.string(),
  platform: z.string(),
  dataDir: z.string(),
  modelDirs: z.array(z.string()),
  /** Base URL under which the renderer fetches image/heatmap bytes (`inspector://app/media`). */
  mediaBase: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const SystemStatus = z.object({
  /** The execution provider inference will use, found by probing, e.g. `cpu` or `cuda`. */
  activeProvider: z.string(),
  database: z.string(),
  worker: z.enum(['idle', 'running', 'restarting', 'stopped']),
});
export type SystemStatus = z.infer<typeof SystemStatus>;

export const ChooseFilesInput = z.object({
  /** `folder`: one folder (a case, a series, a batch); `files`: one or more image files. */
  kind: z.enum(['folder', 'files']),
}).strict();
export const ChosenFiles = z.object({
  /** What the user picked (empty when cancelled); each is now readable through the other channels. */
  paths: z.array(z.string()),
});
export type ChosenFiles = z.infer<typeof ChosenFiles>;

export const contract = {
  'app.info': { input: Empty, output: AppInfo },
  'system.doctor': { input: Empty, output: DoctorReport },
  'system.status': { input: Empty, output: SystemStatus },
  'packs.list': { input: Empty, output: z.array(PackSummary) },
  'files.choose': { input: ChooseFilesInput, output: ChosenFiles },
} satisfies Record<Channel, { input: z.ZodType; output: z.ZodType }>;

export type Contract = typeof contract;
export type Input<C extends Channel> = z.input<Contract[C]['input']>;
export type Output<C extends Channel> = z.output<Contract[C]['output']>;
