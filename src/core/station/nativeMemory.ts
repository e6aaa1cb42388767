/**
 * Native (malloc) memory of a long-running station process. Measured in the soak (docs/STATION.md,
 * "Soak"): after the JS heap and SQLite's caches were bounded, the station's RSS still rose in
 * steps, all of it in glibc's malloc arenas (the smaps breakdown the soak prints: brk heap flat,
 * arenas 16 → 23 MB over 400 images), and a malloc_trim(0) run into the live station gave 15 MB
 * back at once — memory already freed, kept by the allocator. Threads that malloc (V8's compiler
 * and GC helpers, libuv's pool, OPC UA/MQTT crypto) each get an arena of their own, and freed
 * chunks scattered in them are not returned to the system. So the station
 *  - asks glibc for at most MALLOC_ARENA_MAX arenas in the processes it spawns (its inspection
 *    worker inherits the variable; glibc reads it at process start, so it cannot apply to the
 *    station process itself, which is already running), unless the operator set it;
 *  - calls glibc's malloc_trim(0) after every TRIM_EVERY cases, which returns free pages of every
 *    arena to the kernel (madvise), through koffi, the FFI the project already uses.
 * Elsewhere (macOS, Windows, musl) both are skipped: there is no glibc to tune.
 */
import { createRequire } from 'node:module';

const requireNative = createRequire(import.meta.url);

/** Arenas for the station's child processes (glibc's default is 8 per core). */
export const STATION_MALLOC_ARENA_MAX = '2';
export const TRIM_EVERY = 20;

let trim: (() => number) | null | undefined;

function loadTrim(): (() => number) | null {
  if (trim !== undefined) return trim;
  trim = null;
  if (process.platform !== 'linux' || process.env['INSPECTOR_NO_MALLOC_TRIM'] === '1') return trim;
  try {
    const koffi = requireNative('koffi') as { load(path: string): { func(sig: string): (pad: number) => number } };
    const fn = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
    trim = () => fn(0);
  } catch {
    trim = null; // not glibc: nothing to trim
  }
  return trim;
}

/** Called once before the station spawns its worker. */
export function tuneChildAllocator(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform === 'linux' && env['MALLOC_ARENA_MAX'] === undefined) env['MALLOC_ARENA_MAX'] = STATION_MALLOC_ARENA_MAX;
}

/** Whether glibc's malloc_trim is reachable here (Linux with glibc). */
export function nativeTrimAvailable(): boolean {
  return loadTrim() !== null;
}

/** Returns freed malloc memory to the kernel; true when glibc did so (false: nothing to release or not glibc). */
export function releaseFreedNativeMemory(): boolean {
  const f = loadTrim();
  return f ? f() === 1 : false;
}
