/**
 * Finer-CAM's score (pytorch-grad-cam finer_cam.py, FinerWeightedTarget): instead of the target
 * logit z_c, Grad-CAM differentiates
 *   T = Σ_j p_j (z_c − α z_j) / (Σ_j p_j + 1e-9),   p = softmax(z),
 * over the comparison classes j — the classes whose logits are closest to z_c (ranks 1–3 of
 * |z_j − z_c|; the peer's default comparison_categories [1, 2, 3], fewer when the model has fewer
 * classes). The weights p_j are not detached in the peer, so they are differentiated too.
 * The head's backward pass starts from dT/dz, computed here in closed form.
 */

export const FINER_ALPHA = 1;

/** The comparison classes: nearest logits to the target's, at most three. */
export function finerComparison(z: ArrayLike<number>, target: number): number[] {
  const zc = z[target]!;
  return Array.from({ length: z.length }, (_, j) => j)
    .filter((j) => j !== target)
    .sort((a, b) => Math.abs(z[a]! - zc) - Math.abs(z[b]! - zc) || a - b)
    .slice(0, 3);
}

/** dT/dz for one image's logits z (length C). */
export function finerSeed(z: ArrayLike<number>, target: number, alpha = FINER_ALPHA): Float64Array {
  const C = z.length;
  const js = finerComparison(z, target);
  let max = -Infinity;
  for (let i = 0; i < C; i++) max = Math.max(max, z[i]!);
  const e = Array.from({ length: C }, (_, i) => Math.exp(z[i]! - max));
  const sumE = e.reduce((s, v) => s + v, 0);
  const p = e.map((v) => v / sumE);
  const zc = z[target]!;
  const S = js.reduce((s, j) => s + p[j]!, 0) + 1e-9;
  const N = js.reduce((s, j) => s + p[j]! * (zc - alpha * z[j]!), 0);
  const seed = new Float64Array(C);
  for (let m = 0; m < C; m++) {
    let dN = 0;
    let dS = 0;
    for (const j of js) {
      const dp = p[j]! * ((j === m ? 1 : 0) - p[m]!);
      dN += dp * (zc - alpha * z[j]!) + p[j]! * ((m === target ? 1 : 0) - alpha * (m === j ? 1 : 0));
      dS += dp;
    }
    seed[m] = (dN * S - N * dS) / (S * S);
  }
  return seed;
}
