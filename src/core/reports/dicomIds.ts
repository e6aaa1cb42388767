/**
 * The DICOM identifiers of a run's image (patient id, study / series / SOP instance UIDs, Burned In
 * Annotation) for exports and audit reports. The history keeps the image's path and hash, not its
 * header, so they are read from the file at export time — hash-checked like the report's
 * thumbnails: a moved or changed file gives no identifiers rather than some other patient's.
 * Each file is read once per export (cached by path and hash).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import dicomParser from 'dicom-parser';

export interface DicomIds {
  patientId: string | null;
  studyUid: string | null;
  seriesUid: string | null;
  sopUid: string | null;
  /** (0028,0301) as the file has it (YES / NO), null when absent. */
  burnedIn: string | null;
}

/** What `DicomIdReader` needs of a run or failed image. */
export interface ImageRef {
  sourcePath: string | null;
  imageFormat?: string | null;
  imageSha256?: string | null;
}

const str = (ds: dicomParser.DataSet, tag: string): string | null => {
  const v = ds.string(tag)?.trim();
  return v ? v : null;
};

/** The identifiers from a DICOM file's bytes (stops at the pixel data). */
export function dicomIdsOf(bytes: Uint8Array): DicomIds {
  const ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  return {
    patientId: str(ds, 'x00100020'),
    studyUid: str(ds, 'x0020000d'),
    seriesUid: str(ds, 'x0020000e'),
    sopUid: str(ds, 'x00080018'),
    burnedIn: str(ds, 'x00280301')?.toUpperCase() ?? null,
  };
}

export class DicomIdReader {
  private readonly cache = new Map<string, DicomIds | null>();

  /** The run's identifiers, or null for a non-DICOM image and for a file that is gone, changed or unreadable. */
  async of(ref: ImageRef): Promise<DicomIds | null> {
    if (!ref.sourcePath || ref.imageFormat !== 'dicom') return null;
    const key = `${ref.sourcePath}\0${ref.imageSha256 ?? ''}`;
    if (this.cache.has(key)) return this.cache.get(key)!;
    let ids: DicomIds | null = null;
    try {
      const bytes = await readFile(ref.sourcePath);
      if (!ref.imageSha256 || createHash('sha256').update(bytes).digest('hex') === ref.imageSha256) ids = dicomIdsOf(bytes);
    } catch {
      ids = null; // gone or not parseable: the export says nothing rather than guess
    }
    // Bounded: a million-run export must not hold a million headers.
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, ids);
    return ids;
  }
}
