/**
 * Labelled sets in each format people have, read into one shape, and every way a set can be wrong
 * answered with its coded error (missing file, unknown class, box outside the image, …).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSet } from '../../../src/core/evaluation/sets/load';
import { repoRoot } from '../../support/paths';

const samples = join(repoRoot, 'resources', 'samples');
const ct = (n: string) => join(samples, 'battery-ct-porosity', n);
const normalImg = ct('ct_slice2_normal_1.png');
const voidImg = ct('ct_slice2_porosity_1.png');

function tmp(): string {
  return mkdtempSync(join(os.tmpdir(), 'inspector-sets-'));
}

function put(dir: string, rel: string, src: string): string {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  copyFileSync(src, p);
  return p;
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

describe('labelled sets', () => {
  it('reads an image-folder tree (one folder per class) with masks, and gives the set an identity', () => {
    const d = tmp();
    put(d, 'normal/a.png', normalImg);
    put(d, 'porosity/b.png', voidImg);
    put(d, 'masks/b.png', join(samples, 'ground-truth', 'battery-ct-porosity', 'ct_slice2_porosity_1_voids.png'));
    const s = loadSet(d);
    expect(s.format).toBe('folders');
    expect(s.classes).toEqual(['normal', 'porosity']);
    expect(s.normalLabel).toBe('normal');
    expect(s.images.map((i) => [i.label, !!i.maskPath])).toEqual([['normal', false], ['porosity', true]]);
    expect(s.identity).toMatch(/^[0-9a-f]{64}$/);
    // Same content elsewhere: same identity; a relabelled image: another.
    const e = tmp();
    put(e, 'normal/a.png', normalImg);
    put(e, 'porosity/b.png', voidImg);
    expect(loadSet(e).identity).toBe(s.identity);
    const f = tmp();
    put(f, 'normal/a.png', normalImg);
    put(f, 'normal/b.png', voidImg);
    expect(loadSet(f).identity).not.toBe(s.identity);
  });

  it('reads a CSV manifest with serial and view, quoted cells, and names a missing file', () => {
    const d = tmp();
    put(d, 'img/a.png', normalImg);
    put(d, 'img/b, v2.png', voidImg);
    writeFileSync(join(d, 'labels.csv'), 'path,label,serial,view\nimg/a.png,normal,S1,ct\n"img/b, v2.png",porosity,S1,ct\n');
    const s = loadSet(d);
    expect(s.format).toBe('csv');
    expect(s.images.map((i) => [i.label, i.serial, i.view])).toEqual([['normal', 'S1', 'ct'], ['porosity', 'S1', 'ct']]);
    writeFileSync(join(d, 'labels.csv'), 'path,label\nimg/a.png,normal\nimg/gone.png,porosity\n');
    expect(code(() => loadSet(d))).toBe('EVAL_FILE_MISSING');
    writeFileSync(join(d, 'labels.csv'), 'file,class\nimg/a.png,normal\n');
    expect(code(() => loadSet(d))).toBe('EVAL_LABELS_INVALID');
    writeFileSync(join(d, 'labels.csv'), 'path,label\nimg/a.png,normal\nimg/a.png,porosity\n');
    expect(code(() => loadSet(d))).toBe('EVAL_LABELS_INVALID');
  });

  it('reads COCO JSON boxes and polygons; unknown category and box outside the image are coded errors', () => {
    const d = tmp();
    put(d, 'a.png', normalImg);
    put(d, 'b.png', voidImg);
    const coco = (anns: unknown[]) =>
      writeFileSync(
        join(d, 'annotations.json'),
        JSON.stringify({
          images: [{ id: 1, file_name: 'a.png', width: 160, height: 160 }, { id: 2, file_name: 'b.png', width: 160, height: 160 }],
          categories: [{ id: 7, name: 'void' }],
          annotations: anns,
        }),
      );
    coco([{ id: 1, image_id: 2, category_id: 7, bbox: [10, 20, 30, 40], segmentation: [[10, 20, 40, 20, 40, 60]] }]);
    const s = loadSet(d);
    expect(s.format).toBe('coco');
    expect(s.classes).toEqual(['normal', 'void']);
    const b = s.images.find((i) => i.path.endsWith('b.png'))!;
    expect(b.label).toBe('void');
    expect(b.boxes).toEqual([{ label: 'void', box: [10, 20, 30, 40] }]);
    expect(b.polygons[0]!.points).toEqual([[10, 20], [40, 20], [40, 60]]);
    expect(s.images.find((i) => i.path.endsWith('a.png'))!.label).toBe('normal');
    coco([{ id: 1, image_id: 2, category_id: 9, bbox: [10, 20, 30, 40] }]);
    expect(code(() => loadSet(d))).toBe('EVAL_UNKNOWN_CLASS');
    coco([{ id: 1, image_id: 2, category_id: 7, bbox: [150, 20, 30, 40] }]);
    expect(code(() => loadSet(d))).toBe('EVAL_BOX_OUTSIDE');
    coco([{ id: 1, image_id: 2, category_id: 7, bbox: [10, 20, -3, 40] }]);
    expect(code(() => loadSet(d))).toBe('EVAL_BAD_BOX');
  });

  it('reads YOLO txt with classes.txt; an id outside the class list and a box leaving the unit square are coded', () => {
    const d = tmp();
    put(d, 'images/a.png', normalImg);
    put(d, 'images/b.png', voidImg);
    mkdirSync(join(d, 'labels'));
    writeFileSync(join(d, 'classes.txt'), 'void\ncrack\n');
    writeFileSync(join(d, 'labels', 'b.txt'), '1 0.5 0.5 0.2 0.1\n0 0.25 0.25 0.1 0.1\n1 0.7 0.7 0.1 0.1\n');
    const s = loadSet(d);
    expect(s.format).toBe('yolo');
    expect(s.classes).toEqual(['normal', 'void', 'crack']);
    const b = s.images.find((i) => i.path.endsWith('b.png'))!;
    expect(b.label).toBe('crack'); // the most frequent class of its boxes
    expect(b.boxes[0]!.box[0]).toBeCloseTo(0.4, 12);
    expect(b.boxesNormalised).toBe(true);
    writeFileSync(join(d, 'labels', 'b.txt'), '2 0.5 0.5 0.2 0.1\n');
    expect(code(() => loadSet(d))).toBe('EVAL_UNKNOWN_CLASS');
    writeFileSync(join(d, 'labels', 'b.txt'), '0 0.95 0.5 0.2 0.1\n');
    expect(code(() => loadSet(d))).toBe('EVAL_BOX_OUTSIDE');
    writeFileSync(join(d, 'labels', 'b.txt'), '0 0.5 0.5\n');
    expect(code(() => loadSet(d))).toBe('EVAL_LABELS_INVALID');
  });

  it('reads the shipped labelme polygons of BSData samples; a polygon outside the image is coded', () => {
    const d = tmp();
    const stem = '01_200907130824_635000_270_crop_2';
    put(d, `${stem}.jpg`, join(samples, 'surface-pitting-ae', `${stem}.jpg`));
    put(d, `${stem}.json`, join(samples, 'ground-truth', 'surface-pitting-ae', `${stem}.json`));
    put(d, '01_200828110014_277500_315_crop_2.jpg', join(samples, 'surface-pitting-ae', '01_200828110014_277500_315_crop_2.jpg'));
    const s = loadSet(d);
    expect(s.format).toBe('labelme');
    const pitted = s.images.find((i) => i.path.includes(stem))!;
    expect(pitted.label).not.toBe('normal');
    expect(pitted.polygons.length).toBeGreaterThan(0);
    expect(s.images.find((i) => !i.path.includes(stem))!.label).toBe('normal');
    writeFileSync(join(d, `${stem}.json`), JSON.stringify({ imageWidth: 100, imageHeight: 50, shapes: [{ label: 'pitting', shape_type: 'polygon', points: [[10, 10], [120, 10], [50, 40]] }] }));
    expect(code(() => loadSet(d))).toBe('EVAL_BOX_OUTSIDE');
  });

  it('refuses a folder that is not a set', () => {
    expect(code(() => loadSet(join(tmp(), 'nope')))).toBe('EVAL_SET_NOT_FOUND');
    expect(code(() => loadSet(tmp()))).toBe('EVAL_SET_EMPTY');
    expect(code(() => loadSet(tmp(), { labels: '/nonexistent/labels.csv' }))).toBe('EVAL_FILE_MISSING');
  });
});
