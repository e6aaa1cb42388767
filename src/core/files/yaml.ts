/**
 * Reading the YAML files a user or a pack hands Inspector (pack.yaml, inspector.yaml, station.yaml,
 * the DICOM node's config, settings.yaml). The `yaml` library already refuses alias bombs
 * (maxAliasCount), but it composes nested collections recursively: a file of a few thousand `[`
 * runs it out of stack, and after a first overflow a second deep file can abort the whole process
 * inside V8 (measured: 1,000 then 10,000 nested `[` → "RegExpCompiler Allocation failed", exit 134).
 * So the nesting depth is measured first on the library's own CST — its parser is iterative, and the
 * walk below keeps an explicit stack — and a file nested deeper than any real configuration is
 * refused before it is composed. The file itself is opened non-blocking and must be a regular file
 * of bounded size, so a FIFO named pack.yaml cannot hang the reader.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { parse, Parser } from 'yaml';
import { InspectorError } from '../../shared/errors';

/** Deeper than any configuration or manifest Inspector reads (they nest < 10 levels). */
export const YAML_MAX_DEPTH = 64;
/**
 * Larger than any real configuration. The `yaml` library parses at ~1 MB/s on a quiet core (4 µs
 * a character measured under load), so the size bound is also the time bound.
 */
export const YAML_MAX_BYTES = 4 * 1024 * 1024;
/** pack.yaml: a 1,000-class manifest is ~70 KB; a 100,000-label one (6.7 MB) took > 40 s to parse. */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

interface CstLike {
  type?: string;
  value?: unknown;
  key?: unknown;
  items?: { key?: unknown; value?: unknown }[];
}

/** The deepest collection nesting of any document in `text`, without recursion. */
export function yamlDepth(text: string): number {
  let max = 0;
  for (const doc of new Parser().parse(text)) {
    const todo: [unknown, number][] = [[doc, 0]];
    while (todo.length) {
      const [node, depth] = todo.pop()!;
      if (!node || typeof node !== 'object') continue;
      if (depth > max) max = depth;
      const n = node as CstLike;
      if (n.type === 'document') todo.push([n.value, depth]);
      else if (Array.isArray(n.items)) for (const it of n.items) todo.push([it.key, depth + 1], [it.value, depth + 1]);
    }
  }
  return max;
}

/** `parse` with the depth and size bounds; throws a plain Error the caller wraps in its own code. */
export function parseYamlBounded(text: string): unknown {
  if (text.length > YAML_MAX_BYTES) throw new Error(`the file is ${text.length} characters long; more than ${YAML_MAX_BYTES} is refused`);
  const depth = yamlDepth(text);
  if (depth > YAML_MAX_DEPTH) throw new Error(`collections nest ${depth} levels deep; more than ${YAML_MAX_DEPTH} is refused (no real configuration nests so deep)`);
  return parse(text);
}

/**
 * A text file read without blocking: FIFOs, sockets and devices are refused (`FILE_NOT_REGULAR`),
 * as is a file over `maxBytes` (`FILE_TOO_LARGE`). Other failures (ENOENT, EACCES) are thrown as
 * Node raised them, so callers keep their own "not found" codes.
 */
export function readTextFileSync(path: string, maxBytes = YAML_MAX_BYTES): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InspectorError('FILE_NOT_REGULAR', `${path} is not a regular file (a FIFO, socket, device or folder); it was not read.`, { path });
    if (st.size > maxBytes) throw new InspectorError('FILE_TOO_LARGE', `${path} is ${st.size} bytes; more than ${maxBytes} is refused.`, { path, bytes: st.size, limit: maxBytes });
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
