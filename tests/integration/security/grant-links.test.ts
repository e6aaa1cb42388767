/**
 * A granted folder holding links out of it (a file, a folder, a nested link), a dangling link, a
 * link loop and a FIFO named *.png, driven through the real host and worker: no outside path or
 * pixel is ever returned or published, the bad entries come back with their codes, and the good
 * image beside them is still opened and inspected (on main the FIFO hung the walk forever and the
 * links published the outside pixels).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/core/imaging';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { createPack } from '../../../src/core/packs/create';
import { classifierPack, imageDir, onnxDir } from '../../unit/engine/support';

const base = mkdtempSync(join(os.tmpdir(), 'inspector-grant-links-'));
const granted = join(base, 'granted');
const outside = join(base, 'outside');
const secret = join(outside, 'secret.png');

function sameBytes(a: Uint8Array, b: ArrayBufferView): boolean {
  const bb = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (a.byteLength !== bb.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== bb[i]) return false;
  return true;
}

describe('a granted folder with links out: nothing outside is returned or published', () => {
  const paths = appPaths(undefined, join(base, 'data'));
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  let secretPixels: Uint8Array;
  let pack: Awaited<ReturnType<typeof classifierPack>>;

  beforeAll(async () => {
    mkdirSync(join(granted, 'nested', 'deep'), { recursive: true });
    mkdirSync(join(outside, 'more'), { recursive: true });
    copyFileSync(join(imageDir, 'normal_0.png'), join(granted, 'good.png'));
    copyFileSync(join(imageDir, 'defect_4.png'), secret);
    copyFileSync(join(imageDir, 'defect_5.png'), join(outside, 'more', 'other.png'));
    symlinkSync(secret, join(granted, 'link-file.png'));
    symlinkSync(outside, join(granted, 'link-dir'));
    symlinkSync(join('..', '..', '..', 'outside', 'secret.png'), join(granted, 'nested', 'deep', 'nested-link.png'));
    symlinkSync(join(granted, 'nope.png'), join(granted, 'dangling.png'));
    symlinkSync('.', join(granted, 'nested', 'loop'));
    execFileSync('mkfifo', [join(granted, 'fifo.png')]);
    const f = (await loadImage(secret)).frames[0]!;
    secretPixels = new Uint8Array(f.stored.buffer, f.stored.byteOffset, f.stored.byteLength);
    pack = await classifierPack('resnet-mini');
    host.grants.grant(granted);
    host.grants.grant(pack.dir);
  });
  afterAll(() => {
    host.close();
    rmSync(base, { recursive: true, force: true });
  });

  const noOutside = (value: unknown) => {
    const text = JSON.stringify(value);
    expect(text).not.toContain(outside);
    expect(text).not.toContain('secret.png');
    expect(text).not.toContain('other.png');
  };
  const nothingPublishedIsSecret = (ids: string[]) => {
    for (const id of ids) expect(sameBytes(secretPixels, host.media.get(id)!.bytes)).toBe(false);
  };

  it('images.openSeries: the good image opens, links out / dangling / FIFO come back coded', async () => {
    const opened = await host.handlers['images.openSeries']({ dir: granted });
    const files = opened.series.flatMap((s) => s.files);
    expect(files).toEqual([join(granted, 'good.png')]);
    // Refused entries are reported as skipped with their codes (not cases): no broken image here.
    expect(opened.errors).toEqual([]);
    const codes = Object.fromEntries(opened.skipped.map((e) => [e.path.slice(granted.length + 1), e.code]));
    expect(codes).toMatchObject({ 'link-file.png': 'WALK_OUTSIDE_ROOT', 'link-dir': 'WALK_OUTSIDE_ROOT', 'dangling.png': 'WALK_LINK_DANGLING', 'fifo.png': 'WALK_NOT_REGULAR' });
    nothingPublishedIsSecret(opened.series.flatMap((s) => s.frames.map((f) => f.mediaId)));
    // The error messages name the entry inside the grant, never where it points.
    expect(JSON.stringify(opened.series)).not.toContain(outside);
    expect(JSON.stringify(opened.skipped)).not.toContain(secret);
  });

  it('inspect.run on the folder: only the good image is inspected, every bad entry is reported, it ends', async () => {
    const out = await host.handlers['inspect.run']({ paths: [granted], pack: pack.dir });
    expect(out.results.map((r) => r.source)).toEqual([join(granted, 'good.png')]);
    expect(out.results[0]!.error).toBeUndefined();
    const codes = Object.fromEntries((out.skipped ?? []).map((s) => [s.path.slice(granted.length + 1), s.code]));
    expect(codes).toMatchObject({
      'link-file.png': 'WALK_OUTSIDE_ROOT',
      'link-dir': 'WALK_OUTSIDE_ROOT',
      'nested/deep/nested-link.png': 'WALK_OUTSIDE_ROOT',
      'dangling.png': 'WALK_LINK_DANGLING',
      'fifo.png': 'WALK_NOT_REGULAR',
      'nested/loop': 'WALK_LINK_LOOP',
    });
    noOutside({ results: out.results, cases: out.cases });
    // Every media id the answer names (image, heatmap): published, and none holds the outside pixels.
    const ids = [...new Set(JSON.stringify(out).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [])].filter((id) => host.media.get(id));
    nothingPublishedIsSecret(ids);
  }, 60_000);

  it('inspect.run on a link named directly is refused (real path checked)', async () => {
    await expect(host.handlers['inspect.run']({ paths: [join(granted, 'link-file.png')], pack: pack.dir })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(host.handlers['inspect.run']({ paths: [join(granted, 'link-dir')], pack: pack.dir })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('images.openRun: a recorded file swapped for a link out is not republished', async () => {
    const swap = join(granted, 'swap.png');
    copyFileSync(join(imageDir, 'normal_1.png'), swap);
    const live = await host.handlers['inspect.run']({ paths: [swap], pack: pack.dir });
    const runId = live.results[0]!.runId!;
    expect((await host.handlers['images.openRun']({ runId })).sha256Matches).toBe(true);
    rmSync(swap);
    symlinkSync(secret, swap);
    await expect(host.handlers['images.openRun']({ runId })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    rmSync(swap);
  });

  it('images.openRun in a session without the grant is refused until the folder is chosen again', async () => {
    const fresh = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
    try {
      const page = await fresh.handlers['history.search']({});
      const runId = page.rows.find((r) => r.sourcePath === join(granted, 'good.png'))!.runId;
      await expect(fresh.handlers['images.openRun']({ runId })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
      fresh.grants.grant(granted);
      expect((await fresh.handlers['images.openRun']({ runId })).runId).toBe(runId);
    } finally {
      fresh.close();
    }
  });

  it('a granted inspector.yaml naming an ungranted pack folder is refused', async () => {
    const other = await classifierPack('mobilenet-mini');
    const config = join(granted, 'inspector.yaml');
    writeFileSync(config, `version: 1\nsides:\n  internal: { pack: ${JSON.stringify(other.dir)} }\n`);
    await expect(host.handlers['inspect.run']({ paths: [join(granted, 'good.png')], config })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    rmSync(config);
  });

  it('models folder: a dangling link hides only itself; a model card linked out of its pack is not shown', async () => {
    mkdirSync(paths.userModelsDir, { recursive: true });
    symlinkSync(join(base, 'no-such-pack'), join(paths.userModelsDir, 'aaa-dangling'));
    const dir = join(paths.userModelsDir, 'card-link');
    await createPack({ onnx: join(onnxDir, 'resnet-mini.onnx'), kind: 'classifier', name: 'card-link', labels: ['ok', 'scratch', 'dent'], out: dir });
    writeFileSync(join(outside, 'secret-card.md'), 'SECRET OUTSIDE TEXT');
    symlinkSync(join(outside, 'secret-card.md'), join(dir, 'MODEL_CARD.md'));
    const listed = await host.handlers['packs.list']({});
    expect(listed.map((p) => p.name)).toContain('card-link');
    const card = await host.handlers['packs.card']({ name: 'card-link' });
    expect(card.modelCard).toBeUndefined();
    expect(JSON.stringify(card)).not.toContain('SECRET');
  });

  it('pack and config names from the renderer: an ungranted pack folder, a link in the grant to one, a config linked out, a NUL', async () => {
    const other = await classifierPack('mobilenet-mini');
    const good = [join(granted, 'good.png')];
    await expect(host.handlers['inspect.run']({ paths: good, pack: other.dir })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    symlinkSync(other.dir, join(granted, 'pack-link'));
    await expect(host.handlers['inspect.run']({ paths: good, pack: join(granted, 'pack-link') })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(host.handlers['inspect.run']({ paths: good, pack: 'resnet-mini\0' })).rejects.toMatchObject({ code: expect.stringMatching(/^(PACK_NOT_FOUND|IPC_INVALID|ACCESS_DENIED)$/) });
    writeFileSync(join(outside, 'inspector.yaml'), `version: 1\nsides:\n  internal: { pack: ${JSON.stringify(pack.dir)} }\n`);
    symlinkSync(join(outside, 'inspector.yaml'), join(granted, 'linked-config.yaml'));
    await expect(host.handlers['inspect.run']({ paths: good, pack: pack.dir, config: join(granted, 'linked-config.yaml') })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    rmSync(join(granted, 'pack-link'));
    rmSync(join(granted, 'linked-config.yaml'));
  });

  it('pack ".." is a name, never the worker\'s parent folder', async () => {
    await expect(host.handlers['inspect.run']({ paths: [join(granted, 'good.png')], pack: '..' })).rejects.toMatchObject({ code: 'PACK_NOT_FOUND' });
  });
});
