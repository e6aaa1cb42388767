import { describe, expect, it } from 'vitest';
import { limitOwnArenas, nativeTrimAvailable, releaseFreedNativeMemory, STATION_MALLOC_ARENA_MAX, tuneChildAllocator } from '../../../src/core/station/nativeMemory';

// The station's native-memory settings (docs/STATION.md, "Soak"): the worker it spawns gets few
// malloc arenas unless the operator chose, and glibc's malloc_trim is really reachable on Linux.
describe('station native memory', () => {
  it('sets MALLOC_ARENA_MAX for the processes the station spawns, unless the operator set it', () => {
    const env: NodeJS.ProcessEnv = {};
    tuneChildAllocator(env);
    expect(env['MALLOC_ARENA_MAX']).toBe(process.platform === 'linux' ? STATION_MALLOC_ARENA_MAX : undefined);
    const own: NodeJS.ProcessEnv = { MALLOC_ARENA_MAX: '4' };
    tuneChildAllocator(own);
    expect(own['MALLOC_ARENA_MAX']).toBe('4');
  });

  it.runIf(process.platform === 'linux' && process.env['INSPECTOR_NO_MALLOC_TRIM'] !== '1')('reaches glibc malloc_trim through koffi and runs it', () => {
    expect(nativeTrimAvailable()).toBe(true);
    expect(typeof releaseFreedNativeMemory()).toBe('boolean');
    // mallopt answers 1 for a parameter it accepts (and 0 for one it does not).
    if (process.env['MALLOC_ARENA_MAX'] === undefined) expect(limitOwnArenas()).toBe(true);
  });
});
