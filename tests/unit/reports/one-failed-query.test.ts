/**
 * One failed-image query: `history list` (listFailedImages under failedImageQuery) and the exports
 * (failedImages) list the same errors for the same filters. Before, the list counted export-stage
 * errors as failed images and matched text case-sensitively on the path, while exports matched only
 * the case key: a file name typed in lower case found the image in one and not in the other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedImageQuery, HistoryStore, listFailedImages, type HistoryQuery } from '../../../src/core/history/index';
import { exportHistory } from '../../../src/core/reports/index';
import { tempDir } from '../history/support';

describe('failed images: one query for history list and exports', () => {
  const t = tempDir('inspector-one-failed-');
  let store: HistoryStore;
  beforeAll(() => {
    store = HistoryStore.open(t.file);
    store.createOperator({ id: 'op', name: 'Op', role: 'supervisor' });
    store.recordError({ stage: 'validation', code: 'IMAGE_TRUNCATED', message: 'cut', sourcePath: '/line/lot7/Cell-B02.png', caseKey: 'LOT7-0001', packName: 'ct' });
    store.recordError({ stage: 'inference', code: 'ENGINE_FAILED', message: 'boom', sourcePath: '/line/lot7/cell-b03.png', caseKey: 'LOT7-0002', packName: 'ct' });
    // Not an image that failed: an export that could not be written.
    store.recordError({ stage: 'export', code: 'EXPORT_WRITE_FAILED', message: 'disk', sourcePath: '/exports/h.csv' });
  });
  afterAll(() => {
    store.close();
    t.cleanup();
  });

  const listed = (q: HistoryQuery) => {
    const fq = failedImageQuery(q, { limit: 500 });
    return fq ? listFailedImages(store.db, fq).rows.map((r) => r.sourcePath).sort() : [];
  };
  const exported = async (q: HistoryQuery) => {
    const out = join(t.dir, `e${Math.random()}.json`);
    await exportHistory(store, q, 'json', 'op', { out });
    return (JSON.parse(readFileSync(out, 'utf8')).rows as Record<string, unknown>[]).filter((r) => r['record'] === 'failed_image').map((r) => r['image_path']).sort();
  };

  it.each<[string, HistoryQuery, string[]]>([
    ['no filter: images only, never the export error', {}, ['/line/lot7/Cell-B02.png', '/line/lot7/cell-b03.png']],
    ['a file name in any case', { text: 'cell-b02' }, ['/line/lot7/Cell-B02.png']],
    ['a case key in any case', { text: 'lot7-0002' }, ['/line/lot7/cell-b03.png']],
    ['a verdict filter without INCOMPLETE', { verdicts: ['normal'] }, []],
    ['INCOMPLETE', { verdicts: ['INCOMPLETE'] }, ['/line/lot7/Cell-B02.png', '/line/lot7/cell-b03.png']],
    ['a reviewer', { reviewer: 'op' }, []],
  ])('%s', async (_name, q, want) => {
    expect(listed(q)).toEqual(want);
    expect(await exported(q)).toEqual(want);
  });
});
