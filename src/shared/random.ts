/**
 * Reproducible pseudo-random numbers for statistics and checks that must give the same draws on
 * every machine (bootstrap intervals, the trust figure's random regions).
 */

/** mulberry32: small, fast, seedable; statistical quality is ample for resampling indices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
