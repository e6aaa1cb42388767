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
 *  - limits its own new arenas the same way at run time (mallopt M_ARENA_MAX);
 *  - calls glibc's malloc_trim(0) after every TRIM_EVERY cases, which returns free pages of every
 *    arena to the kernel (madvise), through koffi, the FFI the project already uses.
 * Elsewhere (macOS, Windows, musl) both are skipped: there is no glibc to tune.
 */
import { createRequire } from 'node:module';

const requireNative = createRequire(import.meta.url);

/** Arenas for the station's child processes (glibc's default is 8 per core). */
export const STATION_MALLOC_ARENA_MAX = '2';
export const TRIM_EVERY = 20;

/** glibc's mallopt parameter number for the arena limit (malloc.h: M_ARENA_MAX). */
const M_ARENA_MAX = -8;

interface Glibc {
  trim(): number;
  mallopt(param: number, value: number): number;
}
let glibc: Glibc | null | undefined;

function loadGlibc(): Glibc | null {
  if (glibc !== undefined) return glibc;
  glibc = null;
  if (process.platform !== 'linux' || process.env['INSPECTOR_NO_MALLOC_TRIM'] === '1') return glibc;
  try {
    const koffi = requireNative('koffi') as { load(path: string): { func(sig: string): (...args: number[]) => number } };
    const lib = koffi.load('libc.so.6');
    const trim = lib.func('int malloc_trim(size_t pad)');
    const mallopt = lib.func('int mallopt(int param, int value)');
    glibc = { trim: () => trim(0), mallopt: (p, v) => mallopt(p, v) };
  } catch {
    glibc = null; // not glibc: nothing to tune
  }
  return glibc;
}

function loadTrim(): (() => number) | null {
  return loadGlibc()?.trim ?? null;
}

/**
 * The same arena limit for the running station process, through mallopt: it applies to arenas
 * created from now on (threads that have not malloc'd yet share the existing ones); the few made
 * during start-up stay. Skipped when the operator set MALLOC_ARENA_MAX (glibc already applied it).
 */
export function limitOwnArenas(): boolean {
  if (process.env['MALLOC_ARENA_MAX'] !== undefined) return false;
  const g = loadGlibc();
  return g ? g.mallopt(M_ARENA_MAX, Number(STATION_MALLOC_ARENA_MAX)) === 1 : false;
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
