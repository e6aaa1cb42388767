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
} as const;

interface InspectValues {
  pack?: string[];
  method?: string;
  config?: string;
  providers?: string;
}

/** A pack argument with a path separator is a folder (resolved here); otherwise an installed pack's name. */
const packRef = (p: string) => (/[\\/]/.test(p) || p === '.' ? resolve(p) : p);

export function inspectParams(values: InspectValues): Omit<InspectParams, 'paths' | 'baseDir'> {
  if (values.method && !(METHODS as readonly string[]).includes(values.method)) {
    throw new InspectorError('USAGE', `--method must be one of ${METHODS.join(', ')}`);
  }
  return {
    ...(values.pack ? { packs: values.pack.map(packRef) } : {}),
    ...(values.method ? { method: values.method as ExplainMethod } : {}),
    ...(values.config ? { config: resolve(values.config) } : {}),
    ...(values.providers ? { providers: values.providers.split(',').map((s) => s.trim()) } : {}),
  };
}
