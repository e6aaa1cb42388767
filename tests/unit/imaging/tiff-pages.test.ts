/**
 * Multi-page TIFF: the engine reads frame 0 only (sharp `page: 0, pages: 1`), whatever the page
 * count; the viewer decodes at most its page limit and says how many pages the file has. On main a
 * 1,000-page file decoded every page (each page a seek from the start: quadratic, ~100 s).
 */
import { describe, expect, it } from 'vitest';
import { loadImageBytes } from '../../../src/core/imaging';
import { TIFF_PAGE_LIMIT } from '../../../src/core/imaging/sharpLoader';

/** A baseline little-endian TIFF of `pages` 2×2 8-bit grey pages; page i holds the value i % 256. */
function multiPageTiff(pages: number): Uint8Array {
  const ifdSize = 2 + 9 * 12 + 4;
  const pageSize = ifdSize + 4;
  const buf = new Uint8Array(8 + pages * pageSize);
  const v = new DataView(buf.buffer);
  buf.set([0x49, 0x49, 42, 0]);
  v.setUint32(4, 8, true);
  for (let p = 0; p < pages; p++) {
    const at = 8 + p * pageSize;
    const data = at + ifdSize;
    const entries: [number, number, number][] = [
      [256, 3, 2], [257, 3, 2], [258, 3, 8], [259, 3, 1], [262, 3, 1], [273, 4, data], [277, 3, 1], [278, 3, 2], [279, 4, 4],
    ];
    v.setUint16(at, entries.length, true);
    entries.forEach(([tag, type, value], i) => {
      const e = at + 2 + i * 12;
      v.setUint16(e, tag, true);
      v.setUint16(e + 2, type, true);
      v.setUint32(e + 4, 1, true);
      if (type === 3) v.setUint16(e + 8, value, true);
      else v.setUint32(e + 8, value, true);
    });
    v.setUint32(at + 2 + entries.length * 12, p + 1 < pages ? 8 + (p + 1) * pageSize : 0, true);
    buf.fill(p % 256, data, data + 4);
  }
  return buf;
}

describe('multi-page TIFF decodes only the frames it needs', () => {
  const tiff = multiPageTiff(1000);

  it('frame 0 only for the engine: one frame, page 0\'s pixels', async () => {
    const file = await loadImageBytes(tiff, 'pages.tif', { frames: [0] });
    expect(file.frames).toHaveLength(1);
    expect(Array.from(file.frames[0]!.stored)).toEqual([0, 0, 0, 0]);
  });

  it('the viewer stops at its page limit and reports the page count', async () => {
    const file = await loadImageBytes(tiff, 'pages.tif', { maxPages: 5 });
    expect(file.frames.map((f) => f.stored[0])).toEqual([0, 1, 2, 3, 4]);
    expect(file.source.attributes).toMatchObject({ pages: 1000, pagesShown: 5 });
    const def = await loadImageBytes(multiPageTiff(TIFF_PAGE_LIMIT + 3), 'pages.tif');
    expect(def.frames).toHaveLength(TIFF_PAGE_LIMIT);
  }, 60_000);
});
