/**
 * Messages between the host (Electron main or the CLI) and the worker process that decodes and
 * infers. Requests carry an id; the worker answers each with exactly one response. Events (progress)
 * carry no id and may arrive any time.
 */
import type { ErrorInfo } from '../shared/errors';

export interface WorkerRequest {
  type: 'request';
  id: number;
  method: string;
  params: unknown;
}

export type WorkerResponse =
  | { type: 'response'; id: number; ok: true; value: unknown }
  | { type: 'response'; id: number; ok: false; error: ErrorInfo };

export interface WorkerEvent {
  type: 'event';
  name: string;
  payload: unknown;
}

export type WorkerMessage = WorkerResponse | WorkerEvent | { type: 'ready'; pid: number };

/** What the worker is told at start: where the app's files are. */
export interface WorkerConfig {
  appRoot: string;
  resourcesDir: string;
  modelDirs: { dir: string; source: 'app' | 'user' }[];
  inspectorVersion: string;
}
