/**
 * `loadFolder` (behind `images.openSeries`) names what it did not open, as `inspect.run` does: a file
 * that is no image by content nor by name is INPUT_NOT_AN_IMAGE, a FIFO WALK_NOT_REGULAR, a dangling
 * link WALK_LINK_DANGLING, a link out of the grant WALK_OUTSIDE_ROOT; a file named as an image that
 * does not decode is a broken image (an error, kept as a case), and a DICOM file without an
 * extension still opens (read by content, not by name).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFolder } from '../../../src/core/imaging';
import { repoRoot } from '../../support/paths';

const PNG = join(repoRoot, 'tests', 'fixtures', 'packs', 'images', 'normal_0.png');
const DICOM_DIR = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'dicom-series');

describe('loadFolder reports skipped entries with codes', () => {
  it('not an image, not regular, dangling, outside the grant → skipped; broken images → errors', async () => {
    const base = realpathSync(mkdtempSync(join(tmpdir(), 'inspector-folder-skipped-')));
    const dir = join(base, 'granted');
    mkdirSync(dir);
    mkdirSync(join(base, 'outside'));
    copyFileSync(PNG, join(dir, 'good.png'));
    copyFileSync(PNG, join(base, 'outside', 'secret.png'));
    writeFileSync(join(dir, 'broken.png'), readFileSync(PNG).subarray(0, 200));
    writeFileSync(join(dir, 'readme.txt'), 'not an image\n');
    writeFileSync(join(dir, 'noext'), 'plain text without an extension\n');
    execFileSync('mkfifo', [join(dir, 'fifo.png')]);
    symlinkSync(join(dir, 'gone.png'), join(dir, 'dangling.png'));
    symlinkSync(join(base, 'outside', 'secret.png'), join(dir, 'out.png'));
    // An extension-less DICOM file (how PACS exports often name them) is an image by content.
    const dcm = readFileSync(join(DICOM_DIR, readdirSync(DICOM_DIR).filter((f) => f.endsWith('.dcm')).sort()[0]!));
    writeFileSync(join(dir, 'IM0001'), dcm);

    const { series, errors, skipped } = await loadFolder(dir, { roots: [dir] });
    expect(series.flatMap((s) => s.files).map((f) => f.slice(dir.length + 1)).sort()).toEqual(['IM0001', 'good.png']);
    expect(errors.map((e) => [e.path.slice(dir.length + 1), e.error.code])).toEqual([['broken.png', 'IMAGE_DECODE_FAILED']]);
    const codes = Object.fromEntries(skipped.map((s) => [s.path.slice(dir.length + 1), s.code]));
    expect(codes).toEqual({
      'readme.txt': 'INPUT_NOT_AN_IMAGE',
      noext: 'INPUT_NOT_AN_IMAGE',
      'fifo.png': 'WALK_NOT_REGULAR',
      'dangling.png': 'WALK_LINK_DANGLING',
      'out.png': 'WALK_OUTSIDE_ROOT',
    });
    for (const s of skipped) expect(s.message.length).toBeGreaterThan(10);
    // Where a link out points is never told.
    expect(JSON.stringify(skipped)).not.toContain('secret.png');
  });
});
