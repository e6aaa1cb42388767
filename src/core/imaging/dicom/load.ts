/** A DICOM file's bytes → an `ImageFile`: parse, validate, split frames, decode, attach display data. */
import type { Frame, FrameHeader, ImageFile } from '../types';
import { parseDicomBytes, PartialParse, type DataSet } from './parse';
import { readPixelModule, pixelDataElement, type PixelModule } from './pixelModule';
import { transferSyntax } from './transferSyntax';
import { encapsulatedFrames, nativeFrameBytes, nativeFrames } from './frames';
import { decodeFrame } from './decodeFrame';
import { geometry, invertFlag, modalityTransform, padding, palette, pixelSpacing, voiLut, windows } from './display';
import { num, str, text } from './attributes';
import { ImagingErrorCode, imagingError } from '../errors';

export interface DicomLoadOptions {
  /** Decode only these frames (e.g. `[0]` for a thumbnail); all by default. */
  frames?: number[];
}

/** Corner-annotation attributes of a frame; absent values are left out. */
function frameHeader(ds: DataSet): FrameHeader {
  const h: FrameHeader = {
    patientName: text(ds, 'x00100010'),
    patientId: text(ds, 'x00100020'),
    modality: str(ds, 'x00080060'),
    studyDate: str(ds, 'x00080020'),
    studyDescription: text(ds, 'x00081030'),
    seriesDescription: text(ds, 'x0008103e'),
    seriesNumber: str(ds, 'x00200011'),
    instanceNumber: str(ds, 'x00200013'),
    sopClassUid: str(ds, 'x00080016'),
    sopInstanceUid: str(ds, 'x00080018'),
    seriesInstanceUid: str(ds, 'x0020000e'),
    sliceLocation: num(ds, 'x00201041'),
    sliceThickness: num(ds, 'x00180050'),
  };
  for (const k of Object.keys(h) as (keyof FrameHeader)[]) if (h[k] === undefined) delete h[k];
  return h;
}

function attributes(ds: DataSet): Record<string, string | number | undefined> {
  return {
    patientName: text(ds, 'x00100010'),
    patientId: text(ds, 'x00100020'),
    modality: str(ds, 'x00080060'),
    studyDate: str(ds, 'x00080020'),
    studyDescription: text(ds, 'x00081030'),
    seriesDescription: text(ds, 'x0008103e'),
    seriesInstanceUid: str(ds, 'x0020000e'),
    studyInstanceUid: str(ds, 'x0020000d'),
    sopInstanceUid: str(ds, 'x00080018'),
    sopClassUid: str(ds, 'x00080016'),
    instanceNumber: str(ds, 'x00200013'),
    seriesNumber: str(ds, 'x00200011'),
    frameOfReferenceUid: str(ds, 'x00200052'),
    bodyPart: str(ds, 'x00180015'),
    laterality: str(ds, 'x00200060') ?? str(ds, 'x00200062'),
    viewPosition: str(ds, 'x00185101'),
    specificCharacterSet: str(ds, 'x00080005'),
  };
}

/**
 * A parse that stopped with a buffer overrun: when it got as far as the pixel data, the file was cut
 * short there (truncated pixel data); otherwise the data set itself is broken.
 */
function explainPartial(e: PartialParse, size: number): never {
  const ds = e.dataSet;
  // The element whose declared length runs past the end of the file, when it is not the pixel
  // data: a header element (e.g. a PN of length 0xFFFF) is not "truncated pixel data".
  const overrun = Object.entries(ds.elements).find(([, el]) => el.length !== 0xffffffff && el.dataOffset + el.length > size);
  if (overrun && overrun[0] !== 'x7fe00010') {
    const [tag, el] = overrun;
    const name = `(${tag.slice(1, 5).toUpperCase()},${tag.slice(5, 9).toUpperCase()})`;
    throw imagingError(
      ImagingErrorCode.DICOM_ELEMENT_TRUNCATED,
      `The element ${name}${el.vr ? ` ${el.vr}` : ''} declares ${el.length.toLocaleString('en-US')} bytes but the file ends ${(size - el.dataOffset).toLocaleString('en-US')} bytes after it starts: the header is damaged (this is not the pixel data).`,
      { tag: name, vr: el.vr, declared: el.length, available: size - el.dataOffset, fileBytes: size },
    );
  }
  const hasPixelModule = !!ds.elements.x00280010 && !!ds.elements.x00280011;
  const pd = pixelDataElement(ds);
  if (hasPixelModule && (pd || e.message.includes('overrun'))) {
    let expected: number | undefined;
    try {
      const pm = readPixelModule(ds);
      expected = nativeFrameBytes(pm) * pm.frames;
    } catch {
      expected = undefined;
    }
    const last = Object.keys(ds.elements).sort().pop();
    throw imagingError(
      ImagingErrorCode.DICOM_TRUNCATED_PIXEL_DATA,
      `The file ends inside its pixel data${expected !== undefined ? ` (${expected.toLocaleString('en-US')} bytes of pixels expected, the file has ${size.toLocaleString('en-US')} bytes in all)` : ''}.`,
      { expected, fileBytes: size, lastTag: last },
    );
  }
  throw imagingError(ImagingErrorCode.DICOM_MALFORMED, `The DICOM data set is malformed (${e.message.replace(/^dicomParser[.:]\w*:?\s*/, '')}).`, {
    lastTag: Object.keys(ds.elements).sort().pop(),
  });
}

export async function loadDicom(bytes: Uint8Array, path?: string, options: DicomLoadOptions = {}): Promise<ImageFile> {
  let parsed;
  try {
    parsed = parseDicomBytes(bytes);
  } catch (e) {
    if (e instanceof PartialParse) explainPartial(e, bytes.length);
    throw e;
  }
  const { dataSet: ds, transferSyntaxUid } = parsed;
  const pm: PixelModule = readPixelModule(ds);
  const ts = transferSyntax(transferSyntaxUid);
  if (!ts || !ts.codec) {
    throw imagingError(
      ImagingErrorCode.DICOM_UNSUPPORTED_TRANSFER_SYNTAX,
      `Transfer syntax ${ts?.name ?? 'unknown'} (${transferSyntaxUid || 'no UID'}) is not supported.`,
      { uid: transferSyntaxUid, name: ts?.name },
    );
  }
  const encapsulated = !!pm.pixelData.encapsulatedPixelData;
  if (ts.codec === 'native' && encapsulated) {
    throw imagingError(ImagingErrorCode.DICOM_MALFORMED, `The pixel data is encapsulated but the transfer syntax ${ts.name} is not a compressed one.`, { uid: ts.uid });
  }
  if (ts.codec !== 'native' && !encapsulated) {
    throw imagingError(ImagingErrorCode.DICOM_MALFORMED, `The transfer syntax ${ts.name} requires encapsulated pixel data, but the pixel data is native.`, { uid: ts.uid });
  }
  const jpegFamily = ts.codec.startsWith('jpeg');
  const raw = encapsulated ? encapsulatedFrames(ds, pm, jpegFamily).map((b) => ({ bytes: b, bitOffset: 0 })) : nativeFrames(ds, pm);
  const wanted = options.frames ?? raw.map((_, i) => i);
  const pal = pm.photometric === 'PALETTE COLOR' ? palette(ds) : undefined;
  const vlut = voiLut(ds, pm);
  const pad = padding(ds, pm);
  const invert = invertFlag(ds, pm);
  const header = frameHeader(ds);
  const frames: Frame[] = [];
  for (const index of wanted) {
    if (!raw[index]) throw imagingError(ImagingErrorCode.DICOM_INVALID_ATTRIBUTE, `Frame ${index + 1} does not exist; the file has ${raw.length}.`, { frame: index });
  }
  // All frames at once: codecs that run off the JS thread (native JPEG) decode several in
  // parallel; the WASM ones run one after another as before. Results keep the frames' order.
  const decodedFrames = await Promise.all(wanted.map((index) => decodeFrame(raw[index]!.bytes, raw[index]!.bitOffset, pm, ts)));
  for (const [k, index] of wanted.entries()) {
    const decoded = decodedFrames[k]!;
    const spacing = pixelSpacing(ds, index);
    const frame: Frame = {
      index,
      width: pm.columns,
      height: pm.rows,
      channels: decoded.channels,
      dtype: decoded.dtype,
      stored: decoded.stored,
      bitsStored: pm.bitsStored,
      photometric: decoded.photometric,
      modality: modalityTransform(ds, index, pm),
      windows: windows(ds, index),
      invert: decoded.channels === 1 && invert,
      ...geometry(ds, index),
    };
    if (spacing) frame.pixelSpacing = spacing;
    if (vlut) frame.voiLut = vlut;
    if (pal) frame.palette = pal;
    if (pad) frame.padding = pad;
    frame.header = header;
    frames.push(frame);
  }
  return {
    source: {
      ...(path ? { path } : {}),
      format: 'dicom',
      bytes: bytes.length,
      transferSyntax: { uid: ts.uid, name: ts.name },
      ...(pm.photometric !== frames[0]?.photometric ? { sourcePhotometric: pm.photometric } : {}),
      bitsAllocated: pm.bitsAllocated,
      attributes: { ...attributes(ds), frames: pm.frames },
    },
    frames,
  };
}
