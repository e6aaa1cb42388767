/**
 * Issue 11 §1 through a real UI path, in Chromium on the built renderer with the real host, worker
 * and shipped battery-ct-porosity pack:
 * - "Open folder" (`images.openSeries`): entries that are no image, FIFOs and dangling links are a
 *   visible note with their codes; broken image files stay cases in the queue;
 * - "Inspect folder…" in the inspect bar: the folder dialog (`files.choose`, the grant) and
 *   `inspect.run` on that folder — one good image and two broken ones give INCOMPLETE (never PASS),
 *   each failed image named with its code on the banner, the skipped entries beside it, and the case
 *   verdict stored as INCOMPLETE with the failed images in the history.
 * Screenshots under test-output/screenshots/inspect-folder-*.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot } from '../support/paths';

const GOOD = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'ct_slice2_porosity_1.png');

describe('a folder opened and inspected through the real UI actions', () => {
  let b: Bridge;
  let dir: string;
  const picked: string[] = [];
  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(os.tmpdir(), 'inspector-e2e-folder-')));
    copyFileSync(GOOD, join(dir, 'cell_a.png'));
    // A truncated PNG (the first 300 bytes of a real one) and an empty file named as an image.
    writeFileSync(join(dir, 'cell_b.png'), readFileSync(GOOD).subarray(0, 300));
    writeFileSync(join(dir, 'cell_c.png'), '');
    writeFileSync(join(dir, 'notes.txt'), 'operator notes\n');
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    symlinkSync(join(dir, 'gone.png'), join(dir, 'dangling.png'));
    b = await openBridge({
      userDataDir: mkdtempSync(join(os.tmpdir(), 'inspector-e2e-folder-data-')),
      // The native folder dialog's stand-in: what the "user" picks, and nothing is readable before.
      choosePaths: (kind) => {
        picked.push(kind);
        return kind === 'folder' ? [dir] : [];
      },
    });
    await b.page.getByTestId('pack-list').waitFor({ timeout: 60_000 });
  });
  afterAll(async () => {
    await b?.close();
  });

  it('Open folder: the entries images.openSeries left out are a coded note; broken images stay cases', async () => {
    const { page } = b;
    // Nothing is granted before the dialog: the host refuses the folder.
    await expect(b.host.handlers['images.openSeries']({ dir })).rejects.toMatchObject({ code: expect.stringMatching(/^ACCESS_/) });
    await page.getByTestId('open-folder').click();
    const note = page.getByTestId('open-skipped-note');
    await note.waitFor({ timeout: 60_000 });
    const entries = Object.fromEntries(await note.getByTestId('skipped-entry').evaluateAll((els) => els.map((e) => [e.querySelector('.skipped-file')!.textContent, e.getAttribute('data-code')])));
    expect(entries).toEqual({ 'notes.txt': 'INPUT_NOT_AN_IMAGE', 'pipe.png': 'WALK_NOT_REGULAR', 'dangling.png': 'WALK_LINK_DANGLING' });
    expect(await note.textContent()).toContain('Skipped, not inspected (3)');
    const titles = await page.getByTestId('case-list').locator('.case-title').allTextContents();
    expect(titles.sort()).toEqual(['cell_a.png', 'cell_b.png', 'cell_c.png']);
    expect(picked).toEqual(['folder']);
    const later = page.getByRole('button', { name: /Later/ });
    if (await later.isVisible()) await later.click();
    await b.screenshot('inspect-folder-open-skipped');
  });

  it('Inspect folder…: dialog, inspect.run on the folder, INCOMPLETE with each failed image and each skip named, stored', async () => {
    const { page } = b;
    await page.getByTestId('inspect-pack').selectOption('battery-ct-porosity');
    const callsBefore = b.calls.length;
    await page.getByTestId('inspect-folder').click();
    const banner = page.getByTestId('verdict-banner');
    await page.locator('[data-testid="verdict-banner"][data-kind="incomplete"]').waitFor({ timeout: 90_000 });
    // The real path: the dialog (the grant) and then inspect.run on the folder, both through the host.
    const channels = b.calls.slice(callsBefore).map((c) => `${c.channel}:${c.ok}`);
    expect(channels).toContain('files.choose:true');
    expect(channels).toContain('inspect.run:true');
    expect(channels.indexOf('files.choose:true')).toBeLessThan(channels.indexOf('inspect.run:true'));
    expect(picked).toEqual(['folder', 'folder']);
    // The case is the folder, and its banner is INCOMPLETE — the good image alone would be a defect, never PASS.
    expect(await page.locator('.case.current .case-title').textContent()).toMatch(/^inspector-e2e-folder-.*\/ \(3\)$/);
    expect(await banner.getAttribute('data-kind')).toBe('incomplete');
    // The queue agrees: the folder case reads INCOMPLETE, not the good image's class.
    expect(await page.locator('.case.current').getAttribute('data-ai')).toBe('incomplete');
    expect(await page.locator('.case.current .ai-verdict').textContent()).toContain('INCOMPLETE');
    expect(await banner.textContent()).toContain('INCOMPLETE');
    const failed = Object.fromEntries(await page.getByTestId('failed-image').evaluateAll((els) => els.map((e) => [e.querySelector('.failed-file')!.textContent, e.getAttribute('data-code')])));
    expect(failed).toEqual({ 'cell_b.png': 'IMAGE_DECODE_FAILED', 'cell_c.png': 'IMAGE_EMPTY_FILE' });
    expect(await page.getByTestId('failed-images').textContent()).toContain('Not inspected (2)');
    // The walk's skips are beside the verdict, as inspect.run reported them.
    const skipped = Object.fromEntries(await page.getByTestId('skipped-note').getByTestId('skipped-entry').evaluateAll((els) => els.map((e) => [e.querySelector('.skipped-file')!.textContent, e.getAttribute('data-code')])));
    expect(skipped).toEqual({ 'notes.txt': 'INPUT_NOT_AN_IMAGE', 'pipe.png': 'WALK_NOT_REGULAR', 'dangling.png': 'WALK_LINK_DANGLING' });
    // The integrated verdict in the findings says the same.
    expect(await page.getByTestId('integrated').textContent()).toContain('INCOMPLETE');

    // Recorded: the stored case verdict is INCOMPLETE over all three images, the failed ones and the skips are rows.
    const db = b.host.history.get().db;
    const verdicts = db.prepare('SELECT case_key, verdict, inspected_verdict, images, failed_images FROM case_verdicts').all();
    expect(verdicts).toEqual([{ case_key: dir, verdict: 'INCOMPLETE', inspected_verdict: 'INTERNAL_DEFECT', images: 3, failed_images: 2 }]);
    const errors = db.prepare(`SELECT source_path, code, json_extract(details, '$.skipped') AS skipped FROM errors ORDER BY source_path`).all() as { source_path: string; code: string; skipped: number | null }[];
    expect(errors.map((e) => `${e.source_path.slice(dir.length + 1)} ${e.code}${e.skipped ? ' skipped' : ''}`)).toEqual([
      'cell_b.png IMAGE_DECODE_FAILED',
      'cell_c.png IMAGE_EMPTY_FILE',
      'dangling.png WALK_LINK_DANGLING skipped',
      'notes.txt INPUT_NOT_AN_IMAGE skipped',
      'pipe.png WALK_NOT_REGULAR skipped',
    ]);
    const later = page.getByRole('button', { name: /Later/ });
    if (await later.isVisible()) await later.click();
    await b.screenshot('inspect-folder-incomplete');
  });
});
