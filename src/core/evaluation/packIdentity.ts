/**
 * A pack's identity for validation: the SHA-256 of its model files' hashes (pack.yaml's `files`,
 * documentation excluded). Thresholds and titles in pack.yaml may change without touching it; a
 * changed model file gives a new identity, which has no evaluation until one is recorded.
 */
import { createHash } from 'node:crypto';

export function packIdentity(files: Record<string, string>): string {
  const keys = Object.keys(files).filter((f) => f !== 'pack.yaml' && !/\.(md|txt)$/i.test(f)).sort();
  return createHash('sha256').update(keys.map((k) => `${k}\u001f${files[k]}`).join('\n')).digest('hex');
}
