/**
 * Imaging core: every image the app reads enters here, and leaves as one model.
 *
 * API (all plain Node, no Electron; runs in the worker process in the app):
 *
 *   loadImage(path, { frames? })      → Promise<ImageFile>     one file, any supported format
 *   loadImageBytes(bytes, path?)      → Promise<ImageFile>     same, from memory
 *   loadFolder(dir)                   → Promise<{ series, errors, skipped }>  files grouped into ImageSeries; not-images and walk refusals in skipped
 *   groupSeries(files)                → ImageSeries[]          DICOM by Series Instance UID, sorted
 *                                                                along the slice normal; numbered
 *                                                                PNG/TIFF slices by folder + name stem
 *   realValues(frame)                 → Float32Array            after the modality LUT (HU for CT)
 *   toRgb8(frame, window?)            → Uint8Array              interleaved RGB, windowed, inverted
 *                                                                for MONOCHROME1, palette/YBR applied
 *   toGrey8(frame, window?)           → Uint8Array              greyscale display values
 *   defaultWindow(frame), realRange(frame)                      display defaults, padding excluded
 *   frameSha256(frame)                → hex                     hash of stored values (pydicom's)
 *
 * A `Frame` holds *stored* values (after decompression, Bits Stored masking and sign extension,
 * before the modality LUT) in their natural typed array, interleaved for colour, plus the modality
 * transform, windows / VOI LUT, inversion, padding, spacing and geometry. Failures throw
 * `InspectorError` with a code from `ImagingErrorCode` (./errors) and one human sentence.
 *
 * Formats: DICOM (implicit/explicit LE, explicit BE, deflate, RLE, JPEG baseline/extended/progressive
 * 8- and 12-bit (12-bit through our own T.81 decoder in dicom/codecs/dct),
 * JPEG lossless, JPEG-LS, JPEG 2000, HTJ2K, deflated frames; with or without preamble) and PNG,
 * JPEG, TIFF (pages as frames), WebP, GIF, BMP.
 */
export type * from './types';
export { ImagingErrorCode, MAX_PIXELS_PER_FILE, MAX_PIXELS_PER_IMAGE } from './errors';
export { loadImageFile as loadImage, loadImageBytes, type LoadOptions } from './load';
export { loadFolder, groupSeries, type FolderLoad } from './series';
export { realValues, realRange, defaultWindow, toRgb8, toGrey8, isPadding } from './pixels';
export { modalityValue, voiValue, voiLutValue, windowFromRange, CT_PRESETS } from './lut';
export { frameSha256, storedBytesLE } from './hash';
export { transferSyntax, transferSyntaxName, decodableTransferSyntaxes } from './dicom/transferSyntax';
