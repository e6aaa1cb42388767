/**
 * Issue #15: the viewer's explanation selector. A battery CT view through the shipped pack (real
 * worker, real Chromium) shows the map's method and layer (the pack's HiResCAM at features.2); the
 * reviewer picks Grad-CAM at features.4, then HiResCAM fused over features.1 + features.2, and each
 * re-run goes through `inspect.run`, is recorded in the history with its method, and redraws the map
 * at the new layer's resolution.
 */
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';
import { openChosenAndInspect } from './viewer-helpers';

const VIEW = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'ct_slice2_porosity_1.png');

describe('explanation method / layer / fusion selector (Chromium, real worker, shipped pack)', () => {
  let b: Bridge;
  beforeAll(async () => {
    b = await openBridge({ userDataDir: mkdtempSync(join(os.tmpdir(), 'inspector-e2e-explain-')), choosePaths: () => [VIEW] });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('re-runs the map with another method, layer and fusion; every run recorded', async () => {
    const { page } = b;
    await openChosenAndInspect(b, 'battery-ct-porosity');
    const used = page.getByTestId('explain-used');
    await used.waitFor({ timeout: 90_000 });
    expect(await used.textContent()).toBe('hirescam · features.2/act · Relu');
    expect(await page.getByTestId('explain-layer').inputValue()).toBe('/features/features.2/act/Relu_output_0');
    const options = await page.getByTestId('explain-layer').locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['features.1/act · Relu', 'features.2/act · Relu', 'features.4/act · Relu', 'features.3/a.2 · Relu']));

    await page.getByTestId('explain-method').selectOption('gradcam');
    await page.getByTestId('explain-layer').selectOption('/features/features.4/act/Relu_output_0');
    await page.getByTestId('explain-rerun').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="explain-used"]')?.textContent === 'gradcam · features.4/act · Relu', undefined, { timeout: 60_000 });

    await page.getByTestId('explain-method').selectOption('hirescam');
    await page.getByTestId('explain-layer').selectOption('/features/features.2/act/Relu_output_0');
    await page.getByTestId('explain-fuse-features.1/act · Relu').check();
    await page.getByTestId('explain-rerun').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="explain-used"]')?.textContent === 'hirescam · features.1/act · Relu + features.2/act · Relu', undefined, { timeout: 60_000 });
    // The re-made map replaces the pack's previous one: one explanation layer, not one per method.
    expect(await page.locator('[data-testid^="layer-contour-"]').count()).toBe(1);
    const later = page.getByRole('button', { name: /Later/ });
    if (await later.isVisible()) await later.click();
    await page.getByTestId('explain-panel').scrollIntoViewIfNeeded();
    await b.screenshot('explain-selector-fused');

    // Recorded like any run: three runs of the view, newest first, each with the method it used.
    const { rows } = await b.host.handlers['history.search']({});
    expect(rows).toHaveLength(3);
    const recorded = [];
    for (const r of rows) recorded.push((await b.host.handlers['history.run']({ runId: r.runId })).run.explanation);
    expect(recorded.map((e) => e?.method).sort()).toEqual(['gradcam', 'hirescam', 'hirescam']);
    // The layers the map was made of are in the recorded explanation too (target; fused: layers).
    const text = JSON.stringify(recorded);
    expect(text).toContain('/features/features.4/act/Relu_output_0');
    expect(text).toContain('/features/features.1/act/Relu_output_0');

    // The IPC contract refuses a layer the pack has not (coded), and nothing new is recorded.
    await expect(b.host.handlers['inspect.run']({ paths: [VIEW], pack: 'battery-ct-porosity', camLayers: { layer: '/no/such' } })).rejects.toMatchObject({ code: 'EXPLAIN_LAYER_UNKNOWN' });
    expect((await b.host.handlers['history.search']({})).rows).toHaveLength(3);
  });
});
