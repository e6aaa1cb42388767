/**
 * The 8×8 inverse DCT of T.81 A.3.3, computed separably in double precision: exact to the
 * definition, so results differ from integer IDCTs (libjpeg's islow) by at most rounding. At
 * 512² that is about 4 M multiply-adds, a few milliseconds, so accuracy wins over a fast
 * approximation. Blocks whose AC coefficients are all zero, common in CT air and NM background,
 * take a constant fill.
 */

/** BASIS[x * 8 + u] = C(u)/2 · cos((2x+1)uπ/16), so a row pass then a column pass make T.81's 1/4 C(u) C(v). */
const BASIS = new Float64Array(64);
for (let x = 0; x < 8; x++) {
  for (let u = 0; u < 8; u++) BASIS[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) * Math.cos(((2 * x + 1) * u * Math.PI) / 16)) / 2;
}

const rows = new Float64Array(64);

/**
 * Dequantizes block `b` of `coefficients` (natural order) with `quant`, inverse-transforms it and
 * writes level-shifted, clamped samples into `plane` from `offset` on, rows `stride` apart.
 */
export function idctBlock(coefficients: Int32Array, b: number, quant: Uint16Array, plane: Uint16Array, offset: number, stride: number, precision: number): void {
  const shift = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  const base = b * 64;
  let ac = false;
  for (let i = 1; i < 64; i++) {
    if (coefficients[base + i] !== 0) {
      ac = true;
      break;
    }
  }
  if (!ac) {
    const v = clamp(Math.floor((coefficients[base]! * quant[0]!) / 8 + shift + 0.5), max);
    for (let y = 0; y < 8; y++) plane.fill(v, offset + y * stride, offset + y * stride + 8);
    return;
  }
  // Row pass: rows[v * 8 + x] = Σu BASIS[x,u] F(v,u)
  for (let v = 0; v < 8; v++) {
    const r = base + v * 8;
    const f0 = coefficients[r]! * quant[v * 8]!;
    let rowAc = false;
    for (let u = 1; u < 8; u++) {
      if (coefficients[r + u] !== 0) {
        rowAc = true;
        break;
      }
    }
    if (!rowAc) {
      const c = f0 * BASIS[0]!;
      for (let x = 0; x < 8; x++) rows[v * 8 + x] = c;
      continue;
    }
    const f1 = coefficients[r + 1]! * quant[v * 8 + 1]!;
    const f2 = coefficients[r + 2]! * quant[v * 8 + 2]!;
    const f3 = coefficients[r + 3]! * quant[v * 8 + 3]!;
    const f4 = coefficients[r + 4]! * quant[v * 8 + 4]!;
    const f5 = coefficients[r + 5]! * quant[v * 8 + 5]!;
    const f6 = coefficients[r + 6]! * quant[v * 8 + 6]!;
    const f7 = coefficients[r + 7]! * quant[v * 8 + 7]!;
    for (let x = 0; x < 8; x++) {
      const k = x * 8;
      rows[v * 8 + x] =
        BASIS[k]! * f0 + BASIS[k + 1]! * f1 + BASIS[k + 2]! * f2 + BASIS[k + 3]! * f3 + BASIS[k + 4]! * f4 + BASIS[k + 5]! * f5 + BASIS[k + 6]! * f6 + BASIS[k + 7]! * f7;
    }
  }
  // Column pass: s(y, x) = Σv BASIS[y,v] rows(v, x)
  for (let x = 0; x < 8; x++) {
    const g0 = rows[x]!, g1 = rows[8 + x]!, g2 = rows[16 + x]!, g3 = rows[24 + x]!;
    const g4 = rows[32 + x]!, g5 = rows[40 + x]!, g6 = rows[48 + x]!, g7 = rows[56 + x]!;
    for (let y = 0; y < 8; y++) {
      const k = y * 8;
      const s = BASIS[k]! * g0 + BASIS[k + 1]! * g1 + BASIS[k + 2]! * g2 + BASIS[k + 3]! * g3 + BASIS[k + 4]! * g4 + BASIS[k + 5]! * g5 + BASIS[k + 6]! * g6 + BASIS[k + 7]! * g7;
      plane[offset + y * stride + x] = clamp(Math.floor(s + shift + 0.5), max);
    }
  }
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}
