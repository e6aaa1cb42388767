/**
 * Failed and skipped images as history rows (`listFailedImages`, what `history list` prints): each
 * with its file, code, case and batch, filtered like the run list, skips told apart, and rows from
 * a real store (audit chain and all) so nothing recorded can go missing from the list.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore, listFailedImages } from '../../../src/core/history/index';
import { recordSkipped } from '../../../src/host/recordInspection';
import { tempDir } from '../history/support';

describe('listFailedImages', () => {
  const t = tempDir('inspector-failed-');
  const store = HistoryStore.open(t.file);
  afterAll(() => {
    store.close();
    t.cleanup();
  });
  const at = (d: number) => Date.UTC(2026, 0, d, 8);
  const batch = store.startBatch({ name: 'night' });
  store.recordError({ stage: 'validation', code: 'IMAGE_EMPTY_FILE', message: 'The file is empty.', sourcePath: '/line/A17/empty.png', caseKey: '/line/A17', packName: 'ct', batchId: batch, createdAt: at(1) });
  store.recordError({ stage: 'validation', code: 'IMAGE_DECODE_FAILED', message: 'cut', sourcePath: '/line/B02/cut.png', caseKey: '/line/B02', packName: 'rgb', createdAt: at(2) });
  store.recordError({ stage: 'export', code: 'EXPORT_FAILED', message: 'disk full', createdAt: at(2) }); // not an image: not listed
  recordSkipped(store, [{ path: '/line/A17/notes.txt', code: 'INPUT_NOT_AN_IMAGE', message: 'Skipped notes.txt', caseId: '/line/A17' }], { batchId: batch });

  it('lists every failed or skipped image, newest first, with file, code, case and batch', () => {
    const all = listFailedImages(store.db);
    expect(all.total).toBe(3);
    expect(all.rows.map((r) => [r.sourcePath, r.code, r.caseKey, r.batchId, r.skipped])).toEqual([
      ['/line/A17/notes.txt', 'INPUT_NOT_AN_IMAGE', '/line/A17', batch, true],
      ['/line/B02/cut.png', 'IMAGE_DECODE_FAILED', '/line/B02', null, false],
      ['/line/A17/empty.png', 'IMAGE_EMPTY_FILE', '/line/A17', batch, false],
    ]);
  });

  it('filters by batch, case/file text, pack, time and code; pages', () => {
    expect(listFailedImages(store.db, { batchId: batch }).rows.map((r) => r.code)).toEqual(['INPUT_NOT_AN_IMAGE', 'IMAGE_EMPTY_FILE']);
    expect(listFailedImages(store.db, { text: 'B02' }).rows.map((r) => r.sourcePath)).toEqual(['/line/B02/cut.png']);
    expect(listFailedImages(store.db, { text: 'notes' }).total).toBe(1);
    expect(listFailedImages(store.db, { pack: 'ct' }).rows.map((r) => r.code)).toEqual(['IMAGE_EMPTY_FILE']);
    expect(listFailedImages(store.db, { from: at(2), to: at(3) }).rows.map((r) => r.code)).toEqual(['IMAGE_DECODE_FAILED']);
    expect(listFailedImages(store.db, { codes: ['IMAGE_EMPTY_FILE', 'INPUT_NOT_AN_IMAGE'] }).total).toBe(2);
    const page2 = listFailedImages(store.db, { limit: 2, offset: 2, order: 'asc' });
    expect(page2).toMatchObject({ total: 3, rows: [{ code: 'INPUT_NOT_AN_IMAGE' }] });
  });
});
