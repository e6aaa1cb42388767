/**
 * `images.open` end to end through the host and the real worker process: the path is checked
 * against the user's grants, frames are decoded in the worker, and the renderer gets media ids whose
 * bytes are the full-precision stored values (here int16 CT), not an 8-bit preview.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { loadImage } from '../../../src/core/imaging';
import { hasShared, sharedData } from '../../support/paths';

describe.skipIf(!hasShared)('images.open through host and worker', () => {
  const paths = appPaths();
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  afterAll(() => host.close());
  const dir = join(sharedData, 'dicom', 'cornerstone-testimages');
  const file = join(dir, 'CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm');

  it('refuses paths the user did not choose', async () => {
    await expect(host.handlers['images.open']({ path: file })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('publishes int16 stored values with rescale and window; metadata stays small', async () => {
    host.grants.grant(dir);
    const opened = await host.handlers['images.open']({ path: file });
    expect(opened.frames).toHaveLength(1);
    const f = opened.frames[0]!;
    expect(f).toMatchObject({ width: 512, height: 512, channels: 1, dtype: 'int16', slope: 1, intercept: -1024, unit: 'HU' });
    expect(f.contentType).toBe('application/x-inspector-pixels; dtype=int16; width=512; height=512; channels=1');
    expect(f.windows[0]).toMatchObject({ center: 40, width: 400 });
    expect(JSON.stringify(opened).length).toBeLessThan(10_000);
    const entry = host.media.get(f.mediaId)!;
    const published = new Int16Array(entry.bytes.buffer.slice(entry.bytes.byteOffset, entry.bytes.byteOffset + entry.bytes.byteLength));
    const direct = (await loadImage(file)).frames[0]!.stored;
    expect(published).toEqual(direct);
  });

  it('reports a broken file by its code', async () => {
    host.grants.grant(join(sharedData, 'dicom', 'pydicom-test-files'));
    await expect(host.handlers['images.open']({ path: join(sharedData, 'dicom', 'pydicom-test-files', 'MR_truncated.dcm') })).rejects.toMatchObject({
      code: 'DICOM_TRUNCATED_PIXEL_DATA',
    });
  });
});
