/**
 * The bytes of each frame, checked against what the pixel module promises. Native data must hold
 * Rows × Columns × Samples × Bits × Frames; encapsulated data must yield one codestream per frame
 * (with or without Basic Offset Table, fragmented or not), in Cornerstone's proven order.
 */
import { dicomParser, type DataSet } from './parse';
import type { PixelModule } from './pixelModule';
import { ImagingErrorCode, imagingError } from '../errors';

/** Bytes one native frame occupies (1-bit frames are packed, YBR_FULL_422 holds 2 samples/pixel). */
export function nativeFrameBytes(pm: PixelModule): number {
  const pixels = pm.rows * pm.columns;
  if (pm.bitsAllocated === 1) return Math.ceil((pixels * pm.samplesPerPixel) / 8);
  const samples = pm.photometric === 'YBR_FULL_422' ? 2 : pm.samplesPerPixel;
  return (pixels * samples * pm.bitsAllocated) / 8;
}

function truncated(expected: number, actual: number, what: string): never {
  throw imagingError(
    ImagingErrorCode.DICOM_TRUNCATED_PIXEL_DATA,
    `The pixel data is truncated: ${actual.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} ${what}.`,
    { expected, actual },
  );
}

/** Native frames: views into the file's bytes (1-bit frames may start mid-byte: see `bitOffset`). */
export function nativeFrames(ds: DataSet, pm: PixelModule): { bytes: Uint8Array; bitOffset: number }[] {
  const el = pm.pixelData;
  const available = Math.max(0, Math.min(el.length, ds.byteArray.length - el.dataOffset));
  const frameBytes = nativeFrameBytes(pm);
  const needed = pm.bitsAllocated === 1 ? Math.ceil((pm.rows * pm.columns * pm.samplesPerPixel * pm.frames) / 8) : frameBytes * pm.frames;
  if (available < needed) truncated(needed, available, 'bytes of pixel data are present');
  const out: { bytes: Uint8Array; bitOffset: number }[] = [];
  for (let f = 0; f < pm.frames; f++) {
    if (pm.bitsAllocated === 1) {
      const bitStart = f * pm.rows * pm.columns * pm.samplesPerPixel;
      const start = el.dataOffset + Math.floor(bitStart / 8);
      out.push({ bytes: ds.byteArray.subarray(start, start + frameBytes + 1), bitOffset: bitStart % 8 });
    } else {
      const start = el.dataOffset + f * frameBytes;
      out.push({ bytes: ds.byteArray.subarray(start, start + frameBytes), bitOffset: 0 });
    }
  }
  return out;
}

/** Encapsulated frames, each one codestream (fragments concatenated). */
export function encapsulatedFrames(ds: DataSet, pm: PixelModule, jpegFamily: boolean): Uint8Array[] {
  const el = pm.pixelData;
  const fragments = el.fragments ?? [];
  for (const fr of fragments) {
    if (fr.position + fr.length > ds.byteArray.length) truncated(fr.position + fr.length, ds.byteArray.length, 'bytes of encapsulated data are present');
  }
  if (fragments.length === 0) truncated(pm.frames, 0, 'frames are present (no fragments)');
  const bot = el.basicOffsetTable ?? [];
  const frames: Uint8Array[] = [];
  try {
    for (let f = 0; f < pm.frames; f++) {
      if (bot.length > 0) {
        if (bot.length < pm.frames) truncated(pm.frames, bot.length, 'frames are listed in the Basic Offset Table');
        frames.push(dicomParser.readEncapsulatedImageFrame(ds, el, f));
      } else if (pm.frames === 1) {
        frames.push(dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length));
      } else if (fragments.length === pm.frames) {
        frames.push(dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, f, 1));
      } else if (jpegFamily) {
        // One frame spread over several fragments and no offset table: find frame starts by markers.
        const table = dicomParser.createJPEGBasicOffsetTable(ds, el);
        if (table.length < pm.frames) truncated(pm.frames, table.length, 'frames were found in the encapsulated data');
        frames.push(dicomParser.readEncapsulatedImageFrame(ds, el, f, table));
      } else if (fragments.length < pm.frames) {
        truncated(pm.frames, fragments.length, 'frames are present as fragments');
      } else {
        throw imagingError(
          ImagingErrorCode.DICOM_MALFORMED,
          `The encapsulated pixel data has ${fragments.length} fragments for ${pm.frames} frames and no Basic Offset Table to tell them apart.`,
          { fragments: fragments.length, frames: pm.frames },
        );
      }
    }
  } catch (e) {
    if (e instanceof Error && 'code' in e) throw e;
    throw imagingError(ImagingErrorCode.DICOM_MALFORMED, `The encapsulated pixel data could not be split into frames (${e instanceof Error ? e.message : String(e)}).`);
  }
  return frames;
}
