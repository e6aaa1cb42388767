/**
 * The single entry for a renderer request: check the channel, validate the payload against the
 * contract, run the handler, wrap the outcome. Errors become data ({ ok: false, error }) so their
 * codes survive Electron's IPC, which would otherwise flatten them into a message string.
 */
import { isChannel } from '../shared/channels';
import { contract } from '../shared/contract';
import { toErrorInfo, type Result } from '../shared/errors';
import type { Handlers } from './handlers';

export interface DispatchOptions {
  /** Validate outputs against the contract too (tests): catches a handler drifting from it. */
  checkOutput?: boolean;
}

export async function dispatch(handlers: Handlers, channel: unknown, input: unknown, opts: DispatchOptions = {}): Promise<Result<unknown>> {
  if (!isChannel(channel)) {
    return { ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL', message: `No such channel: ${String(channel).slice(0, 80)}` } };
  }
  const spec = contract[channel];
  const parsed = spec.input.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'IPC_INVALID_PAYLOAD',
        message: `Invalid payload for ${channel}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
      },
    };
  }
  try {
    const handler = handlers[channel] as (i: unknown) => Promise<unknown>;
    const value = await handler(parsed.data);
    if (opts.checkOutput) {
      const out = spec.output.safeParse(value);
      if (!out.success) {
        return { ok: false, error: { code: 'IPC_INVALID_OUTPUT', message: `${channel} returned data outside the contract: ${out.error.message}` } };
      }
    }
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) };
  }
}
