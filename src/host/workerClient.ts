/**
 * The host's side of the worker process: typed calls with ids, one pending promise per call, and
 * recovery from a crash. A worker that dies (OOM, a native abort in a codec) fails only the calls in
 * flight with WORKER_CRASHED; the next call starts a fresh worker, so the app keeps running.
 */
import { InspectorError } from '../shared/errors';
import type { WorkerMethods } from '../worker/methods';
import type { WorkerConfig, WorkerMessage } from '../worker/protocol';

/** A started worker process, whatever started it (Electron utilityProcess or Node fork). */
export interface WorkerPort {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
  /** The worker's last diagnostic output, attached to crash errors. */
  recentStderr?(): string;
}

export type WorkerLauncher = () => WorkerPort;

type Params<M extends keyof WorkerMethods> = Parameters<WorkerMethods[M]>[0];
type Value<M extends keyof WorkerMethods> = Awaited<ReturnType<WorkerMethods[M]>>;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  method: string;
}

export type WorkerState = 'idle' | 'running' | 'restarting' | 'stopped';

export class WorkerClient {
  private port: WorkerPort | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(name: string, payload: unknown) => void>();
  private crashes = 0;
  private stopped = false;

  constructor(
    private readonly launch: WorkerLauncher,
    private readonly config: WorkerConfig,
  ) {}

  get state(): WorkerState {
    if (this.stopped) return 'stopped';
    if (!this.port) return this.crashes > 0 ? 'restarting' : 'idle';
    return 'running';
  }

  onEvent(listener: (name: string, payload: unknown) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  async call<M extends keyof WorkerMethods>(method: M, ...params: Params<M> extends undefined ? [] : [Params<M>]): Promise<Value<M>> {
    if (this.stopped) throw new InspectorError('WORKER_STOPPED', 'The inference worker has been shut down.');
    await this.start();
    const id = this.nextId++;
    return new Promise<Value<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      this.port!.postMessage({ type: 'request', id, method, params: params[0] });
    });
  }

  stop(): void {
    this.stopped = true;
    this.port?.kill();
    this.port = undefined;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const port = this.launch();
    this.port = port;
    this.ready = new Promise<void>((resolve, reject) => {
      port.onMessage((raw) => {
        const msg = raw as WorkerMessage;
        if (msg.type === 'ready') return resolve();
        if (msg.type === 'event') {
          for (const l of this.eventListeners) l(msg.name, msg.payload);
          return;
        }
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(InspectorError.fromInfo(msg.error));
      });
      port.onExit((code) => {
        if (this.port === port) {
          this.port = undefined;
          this.ready = undefined;
        }
        if (this.stopped) return;
        this.crashes++;
        const err = new InspectorError(
          'WORKER_CRASHED',
          `The inference worker exited (code ${code ?? 'signal'}) while working; the request was not completed.`,
          { exitCode: code, stderr: port.recentStderr?.() ?? '' },
        );
        reject(err);
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(new InspectorError(err.code, `${err.message} (${p.method})`, err.details));
        }
      });
      port.postMessage({ type: 'init', config: this.config });
    });
    return this.ready;
  }
}
