/**
 * `pack: ".."` from a renderer is a pack *name*: the worker's engine service (run here in-process,
 * with the renderer's grants as `roots`) must not read it as its working folder's parent. On main
 * the parent — here a real pack folder — was loaded and inspected with.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineService } from '../../../src/core/engine/service';
import { classifierPack, imageDir } from '../engine/support';

describe('pack names from a renderer', () => {
  const cwd = process.cwd();
  const service = new EngineService([]);
  afterAll(async () => {
    process.chdir(cwd);
    await service.close();
  });

  it('".." and "." are names, never folders, when the request carries grants', async () => {
    const pack = await classifierPack('resnet-mini');
    const inside = join(pack.dir, 'work');
    mkdirSync(inside, { recursive: true });
    process.chdir(inside);
    const req = { paths: [join(imageDir, 'normal_0.png')], roots: [imageDir] };
    await expect(service.inspect({ ...req, packs: ['..'] })).rejects.toMatchObject({ code: 'PACK_NOT_FOUND' });
    process.chdir(pack.dir);
    await expect(service.inspect({ ...req, packs: ['.'] })).rejects.toMatchObject({ code: 'PACK_NOT_FOUND' });
    // A granted pack folder given by path still works.
    const ok = await service.inspect({ ...req, roots: [imageDir, pack.dir], packs: [pack.dir] });
    expect(ok.results).toHaveLength(1);
    process.chdir(cwd);
  });
});
