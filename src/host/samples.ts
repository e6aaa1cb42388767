/**
 * The sample cases shipped in resources/samples: one folder per demo (usually named after the pack
 * that inspects it), its images listed so the renderer can open them without a file dialog. The
 * samples folder is granted at start, so these paths pass the access check like chosen ones.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp', '.dcm', '.dicom']);
/** Ground-truth masks document the samples; they are not cases. */
const NOT_CASES = new Set(['ground-truth']);

export interface SampleSet {
  name: string;
  dir: string;
  images: string[];
  /** The folder's own inspector.yaml (sides, case grouping, verdict rules), when it has one. */
  config?: string;
}

function imagesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((e) => {
      const p = join(dir, e);
      if (e.startsWith('.')) return [];
      if (statSync(p).isDirectory()) return imagesUnder(p);
      return IMAGE_EXT.has(extname(e).toLowerCase()) ? [p] : [];
    });
}

export function listSamples(samplesDir: string): SampleSet[] {
  if (!existsSync(samplesDir)) return [];
  return readdirSync(samplesDir)
    .sort()
    .filter((e) => !NOT_CASES.has(e) && !e.startsWith('.') && statSync(join(samplesDir, e)).isDirectory())
    .map((name) => {
      const dir = join(samplesDir, name);
      const config = join(dir, 'inspector.yaml');
      return { name, dir, images: imagesUnder(dir), ...(existsSync(config) ? { config } : {}) };
    })
    .filter((s) => s.images.length > 0);
}
