/**
 * Progressive loading: a 2048² 16-bit frame is painted first from the host's decimated preview
 * (every 2nd stored value), then replaced by the full frame in place. The full frame's bytes are
 * held back (Playwright route) so the preview is on screen for certain; zoomed to ~2.5 screen
 * pixels per image pixel, a one-pixel checker is flat in the preview and resolved in the full frame,
 * and view and window are the same before and after the swap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPreview } from '../../src/host/publishFrame';
import { openBridge, type Bridge } from '../support/bridge';
import { grabPane, publish, ready, screenOf, viewOf, type CaseRef } from './viewer-helpers';

const N = 2048;
// Left half: black on even (x+y), white on odd; right half the opposite. A window of 100 around
// 2000 puts 1000 at 0 and 3000 at 255. The preview samples (2i, 2j): even sums only.
const value = (x: number, y: number) => (((x + y) % 2 === 1) !== x >= N / 2 ? 3000 : 1000);

describe('progressive first paint (Chromium, real host media)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge({ viewport: { width: 1600, height: 1000 } });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('paints the preview of stored values first, then swaps in the full frame at the same view and window', async () => {
    const px = new Uint16Array(N * N);
    for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) px[y * N + x] = value(x, y);
    const mediaId = publish(b, px);
    const preview = publishPreview(b.host.media, new Uint8Array(px.buffer), 'uint16', N, N, 1)!;
    expect(preview).toMatchObject({ step: 2, width: 1024, height: 1024 });
    const c: CaseRef = { id: 'progressive', title: 'checker 2048²', origin: 'test', frames: [{ mediaId, preview, width: N, height: N, channels: 1, dtype: 'uint16', windows: [{ center: 2000, width: 100 }], min: 1000, max: 3000 }] };

    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let fullRequested = false;
    await b.page.route(`**/media/${mediaId}`, async (route) => {
      fullRequested = true;
      await held;
      await route.continue();
    });
    await b.page.evaluate(async (cs) => {
      await (globalThis as unknown as { __inspector: { openCases(c: unknown, o: unknown): Promise<void> } }).__inspector.openCases(cs, { until: 'first-paint' });
    }, [c]);
    // Zoom in around the centre until one image pixel spans ~2.5 screen pixels.
    await b.page.getByTestId('viewer-pane-0').focus();
    for (let i = 0; i < 8; i++) await b.page.keyboard.press('+');
    const v = await viewOf(b);
    expect(v.scale).toBeGreaterThan(2);
    expect([v.center, v.width]).toEqual([2000, 100]);

    // Image pixels around the centre, both halves: the preview shows each 2×2 block as its top-left value.
    const probe = [[-4, -4], [-3, -4], [-2, -3], [1, -4], [2, -4], [3, -3]].map(([dx, dy]) => [N / 2 + dx!, N / 2 + dy!] as const);
    const greyAt = async () => {
      const img = await grabPane(b);
      return probe.map(([x, y]) => {
        const p = screenOf(v, x + 0.5, y + 0.5);
        return img.at(p.x, p.y)[0];
      });
    };
    const expected = (pick: (x: number, y: number) => number) => probe.map(([x, y]) => (pick(x, y) === 3000 ? 255 : 0));
    expect(fullRequested).toBe(true);
    expect(await greyAt()).toEqual(expected((x, y) => value(x - (x % 2), y - (y % 2))));
    await b.screenshot('viewer-progressive-preview');

    release();
    await ready(b);
    expect(await viewOf(b)).toEqual(v);
    const full = await greyAt();
    expect(full).toEqual(expected(value));
    // The checker is really resolved: both black and white on each side of the middle.
    expect([new Set(full.slice(0, 3)).size, new Set(full.slice(3)).size]).toEqual([2, 2]);
    await b.screenshot('viewer-progressive-full');
    await b.page.unroute(`**/media/${mediaId}`);
  });
});
