/**
 * Child of yaml-depth.test.ts: parses deeper and deeper bracket documents through the bounded
 * reader (inspector.yaml's parser, which gives `CONFIG_UNREADABLE`), in the order that aborted Node inside the `yaml` library before the guard (1,000 then
 * 3,000 levels: "RegExpCompiler Allocation failed", exit 134). Prints one JSON line per document:
 * the coded error the guard gave, or what escaped.
 */
import { parseConfig } from '../../../src/core/verdict/config';

for (const depth of [10, 1000, 3000, 10000]) {
  const text = `verdict: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
  try {
    parseConfig(text, 'deep.yaml');
    console.log(JSON.stringify({ depth, result: 'parsed' }));
  } catch (e) {
    const err = e as Error & { code?: string };
    console.log(JSON.stringify({ depth, result: 'error', name: err.constructor.name, code: err.code ?? null, message: err.message.slice(0, 200) }));
  }
}
