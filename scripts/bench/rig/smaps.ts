/**
 * Where a process's resident memory sits, from /proc/PID/smaps (Linux): glibc's main heap
 * (`[heap]`, brk), glibc's secondary malloc arenas (each thread that mallocs may get one; an arena
 * grows inside a 64 MiB-aligned, 64 MiB-reserved anonymous mapping — HEAP_MAX_SIZE on 64-bit),
 * other anonymous mappings (V8's heap pages, large mmap'd mallocs, thread stacks) and file-backed
 * pages (code, mmapped databases). The soak prints it so that RSS growth outside the JS heap can be
 * pinned to a kind of mapping instead of guessed.
 */
import { readFileSync } from 'node:fs';

export interface SmapsBreakdown {
  /** MB resident in glibc's brk heap. */
  heap: number;
  /** MB resident in mappings shaped like glibc's secondary arenas, and how many there are. */
  arenas: number;
  arenaCount: number;
  /** MB resident in other anonymous mappings. */
  otherAnon: number;
  /** MB resident in file-backed mappings. */
  file: number;
}

const ARENA = 64 * 2 ** 20;

export function smapsBreakdown(pid: number | undefined): SmapsBreakdown | undefined {
  if (!pid) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const out: SmapsBreakdown = { heap: 0, arenas: 0, arenaCount: 0, otherAnon: 0, file: 0 };
  // An arena's reservation is split into an rw part (in use) and a ---p rest; both start inside
  // the same 64 MiB-aligned block. Remember the block of the last aligned rw mapping.
  let arenaBlock = -1;
  let kind: keyof SmapsBreakdown | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const start = Number.parseInt(head[1]!, 16);
      const end = Number.parseInt(head[2]!, 16);
      const perms = head[3]!;
      const path = head[5]!.trim();
      const block = Math.floor(start / ARENA);
      if (path === '[heap]') kind = 'heap';
      else if (path && !path.startsWith('[anon')) kind = path.startsWith('[') ? 'otherAnon' : 'file';
      else if (start % ARENA === 0 && end - start <= ARENA && perms.startsWith('rw')) {
        kind = 'arenas';
        arenaBlock = block;
        out.arenaCount++;
      } else if (block === arenaBlock && end <= (block + 1) * ARENA) kind = 'arenas';
      else kind = 'otherAnon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && kind && kind !== 'arenaCount') out[kind] += Number(rss[1]) / 1024;
  }
  return out;
}

export function formatBreakdown(b: SmapsBreakdown | undefined): string {
  if (!b) return 'smaps n/a';
  return `brk heap ${b.heap.toFixed(0)}, ${b.arenaCount} malloc arenas ${b.arenas.toFixed(0)}, other anon ${b.otherAnon.toFixed(0)}, file ${b.file.toFixed(0)} MB`;
}
