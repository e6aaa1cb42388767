/**
 * Entry of the decode/inference process. Runs as an Electron utilityProcess (messages through
 * `process.parentPort`) or as a Node child process for the CLI and tests (`process.send`).
 * It never imports `electron`.
 */
import { toErrorInfo, InspectorError } from '../shared/errors';
import { createMethods } from './methods';
import type { WorkerConfig, WorkerMessage, WorkerRequest } from './protocol';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: WorkerMessage): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

function onMessage(listener: (message: unknown) => void): void {
  if (parentPort) parentPort.on('message', (e) => listener(e.data));
  else process.on('message', listener);
}

// The terminal's Ctrl-C is for the host, which stops after the case in flight and then ends us;
// dying of it here would lose that case (WORKER_CRASHED). See src/host/nodeWorker.ts.
process.on('SIGINT', () => {});

let methods: ReturnType<typeof createMethods> | undefined;

onMessage(async (raw) => {
  const msg = raw as WorkerRequest | { type: 'init'; config: WorkerConfig };
  if (msg.type === 'init') {
    methods = createMethods(msg.config);
    send({ type: 'ready', pid: process.pid });
    return;
  }
  if (msg.type !== 'request') return;
  try {
    if (!methods) throw new InspectorError('WORKER_NOT_READY', 'The worker received a request before its configuration.');
    const fn = (methods as Record<string, (p: unknown) => Promise<unknown>>)[msg.method];
    if (!fn) throw new InspectorError('WORKER_UNKNOWN_METHOD', `The worker has no method "${msg.method}".`);
    const value = await fn(msg.params);
    send({ type: 'response', id: msg.id, ok: true, value });
  } catch (err) {
    send({ type: 'response', id: msg.id, ok: false, error: toErrorInfo(err) });
  }
});

// The parent (CLI, test) died or let go: nobody can read our answers, so stop rather than linger
// holding model sessions in memory.
if (!parentPort) process.on('disconnect', () => process.exit(0));

// A child process without an IPC channel was started by mistake: exit instead of idling forever.
if (!parentPort && !process.send) {
  process.stderr.write('inspector worker: no parent channel; start it from the app or the CLI\n');
  process.exit(2);
}
