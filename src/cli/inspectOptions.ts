/** The options `inspect` and `batch` share: which packs, which explanation, which config, which providers. */
import { resolve } from 'node:path';
import { METHODS, type ExplainMethod } from '../core/explain';
import type { InspectParams } from '../core/engine/service';
import { InspectorError } from '../shared/errors';

export const INSPECT_OPTIONS = {
  pack: { type: 'string', multiple: true },
  method: { type: 'string' },
  config: { type: 'string' },
  providers: { type: 'string' },
  prompt: { type: 'string' },
  'box-threshold': { type: 'string' },
  'text-threshold': { type: 'string' },
} as const;

interface InspectValues {
  pack?: string[];
  method?: string;
  config?: string;
  providers?: string;
  prompt?: string;
  'box-threshold'?: string;
  'text-threshold'?: string;
}

function unit(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InspectorError('USAGE', `--${flag} must be a number in [0, 1], not ${v}`);
  return n;
}

/** Grounding packs: --prompt "a . b ." --box-threshold T --text-threshold T (default: the pack's). */
function groundingParams(values: InspectValues): InspectParams['grounding'] | undefined {
  const box = unit('box-threshold', values['box-threshold']);
  const text = unit('text-threshold', values['text-threshold']);
  if (values.prompt === undefined && box === undefined && text === undefined) return undefined;
  return { ...(values.prompt !== undefined ? { prompt: values.prompt } : {}), ...(box !== undefined ? { boxThreshold: box } : {}), ...(text !== undefined ? { textThreshold: text } : {}) };
}

/** A pack argument with a path separator is a folder (resolved here); otherwise an installed pack's name. */
/** A pack given by path resolves against the working folder; a bare name is an installed pack. */
export const packRef = (p: string) => (/[\\/]/.test(p) || p === '.' ? resolve(p) : p);

export function inspectParams(values: InspectValues): Omit<InspectParams, 'paths' | 'baseDir'> {
  if (values.method && !(METHODS as readonly string[]).includes(values.method)) {
    throw new InspectorError('USAGE', `--method must be one of ${METHODS.join(', ')}`);
  }
  return {
    ...(values.pack ? { packs: values.pack.map(packRef) } : {}),
    ...(values.method ? { method: values.method as ExplainMethod } : {}),
    ...(values.config ? { config: resolve(values.config) } : {}),
    ...(values.providers ? { providers: values.providers.split(',').map((s) => s.trim()) } : {}),
    ...(groundingParams(values) ? { grounding: groundingParams(values)! } : {}),
  };
}
