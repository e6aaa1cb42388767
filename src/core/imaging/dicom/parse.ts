/**
 * dicom-parser behind one function that either returns a data set or throws a coded error.
 * dicom-parser throws three shapes (string, Error, `{exception, dataSet}`), needs a transfer syntax
 * to read files without the Part 10 preamble, and inflates deflated data sets without a size
 * limit; all three are handled here so no caller sees them.
 */
import { inflateRawSync } from 'node:zlib';
import * as dicomParserNs from 'dicom-parser';
import type { DataSet } from 'dicom-parser';
import { ImagingErrorCode, imagingError, MAX_PIXELS_PER_FILE } from '../errors';

export type { DataSet, Element } from 'dicom-parser';

/** dicom-parser is a webpack UMD bundle: Node's ESM loader exposes it only as `default`. */
export const dicomParser = ((dicomParserNs as unknown as { default?: typeof dicomParserNs }).default ?? dicomParserNs) as typeof dicomParserNs;

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';

/** An inflated data set may not exceed this: a deflate bomb is refused, not allocated. */
const MAX_INFLATED_BYTES = Math.min(MAX_PIXELS_PER_FILE * 2, 2 ** 31 - 1);

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntaxUid: string;
  /** The file had no 128-byte preamble and `DICM`; the transfer syntax was inferred. */
  headerless: boolean;
}

export function hasPart10Prefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

const VRS = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

/**
 * A data set written without preamble starts with an element of a low group (0002 meta, 0008
 * identification): read the first tag both ways and look for a VR to tell implicit from explicit.
 * Returns the transfer syntax to parse with, or undefined when this is not DICOM at all.
 */
export function sniffHeaderless(bytes: Uint8Array): string | undefined {
  if (bytes.length < 12) return undefined;
  const groupLe = bytes[0]! | (bytes[1]! << 8);
  const groupBe = (bytes[0]! << 8) | bytes[1]!;
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  const plausible = (g: number) => g >= 0x0002 && g <= 0x0010 && g % 2 === 0;
  if (plausible(groupLe)) {
    if (VRS.has(vr)) return groupLe === 0x0002 ? 'meta' : EXPLICIT_LE;
    const length = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
    if (length >= 0 && length <= bytes.length) return IMPLICIT_LE;
    return undefined;
  }
  if (plausible(groupBe) && VRS.has(vr)) return EXPLICIT_BE;
  return undefined;
}

function inflater(bytes: Uint8Array, position: number): Uint8Array {
  let inflated: Buffer;
  try {
    const deflated = bytes.subarray(position);
    // One output chunk big enough for the usual 2–8:1 ratios: zlib's default 16 KiB chunks cost
    // ~30% more time (chunk bookkeeping and a final concat copy) on a 512² CT.
    const chunkSize = Math.min(Math.max(64 * 1024, deflated.length * 8), 64 * 1024 * 1024);
    inflated = inflateRawSync(deflated, { maxOutputLength: MAX_INFLATED_BYTES, chunkSize });
  } catch (e) {
    const tooBig = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw imagingError(
      tooBig ? ImagingErrorCode.TOO_LARGE : ImagingErrorCode.DICOM_MALFORMED,
      tooBig ? 'The deflated data set inflates to more than the size limit.' : `The deflated data set could not be inflated: ${(e as Error).message}.`,
    );
  }
  const full = Buffer.allocUnsafe(position + inflated.length);
  full.set(bytes.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

function messageOf(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'exception' in e) return messageOf((e as { exception: unknown }).exception);
  return String(e);
}

/** The partial data set dicom-parser hands back with an overrun, so callers can say what was read. */
export class PartialParse extends Error {
  constructor(
    message: string,
    readonly dataSet: DataSet,
  ) {
    super(message);
  }
}

export function parseDicomBytes(input: Uint8Array): ParsedDicom {
  if (input.length === 0) throw imagingError(ImagingErrorCode.EMPTY_FILE, 'The file is empty.');
  // dicom-parser's Node path copies with Buffer methods: give it a Buffer view, not a copy.
  let bytes: Buffer = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let headerless = false;
  const options: { inflater: typeof inflater; TransferSyntaxUID?: string } = { inflater };
  if (!hasPart10Prefix(bytes)) {
    const sniffed = sniffHeaderless(bytes);
    if (!sniffed) throw imagingError(ImagingErrorCode.NOT_AN_IMAGE, 'The file is neither DICOM nor an image format Inspector reads.');
    headerless = true;
    if (sniffed === 'meta') {
      // A meta header without preamble: give it the 132 bytes it lacks and parse as Part 10.
      const padded = Buffer.alloc(bytes.length + 132);
      padded.write('DICM', 128, 'latin1');
      padded.set(bytes, 132);
      bytes = padded;
    } else {
      options.TransferSyntaxUID = sniffed;
    }
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, options as never);
  } catch (e) {
    const fallback = implicitDespiteMeta(bytes, e);
    if (fallback) {
      repairImplicitEncapsulation(fallback.dataSet);
      return { ...fallback, headerless };
    }
    if (e instanceof Error && 'code' in e && typeof (e as { code: unknown }).code === 'string' && (e as { code: string }).code.startsWith('IMAGE_')) throw e;
    const inner = e && typeof e === 'object' && 'exception' in e ? (e as { exception: unknown }).exception : e;
    if (inner && typeof inner === 'object' && 'code' in inner && String((inner as { code: unknown }).code).match(/^(IMAGE|DICOM)_/)) throw inner;
    const message = messageOf(e);
    if (message.includes('missing required meta header attribute 0002,0010')) {
      throw imagingError(ImagingErrorCode.DICOM_MISSING_ATTRIBUTE, 'The file meta information has no Transfer Syntax UID (0002,0010).', {
        tag: '(0002,0010)',
        name: 'TransferSyntaxUID',
      });
    }
    if (e && typeof e === 'object' && 'dataSet' in e && (e as { dataSet?: DataSet }).dataSet) {
      throw new PartialParse(message, (e as { dataSet: DataSet }).dataSet);
    }
    throw imagingError(ImagingErrorCode.DICOM_MALFORMED, `The DICOM data set could not be parsed (${message.replace(/^dicomParser[.:]\w*:?\s*/, '')}).`);
  }
  repairImplicitEncapsulation(dataSet);
  const transferSyntaxUid = (options.TransferSyntaxUID ?? dataSet.string('x00020010') ?? '').replace(/[\0\s]+$/, '');
  return { dataSet, transferSyntaxUid, headerless };
}

/**
 * Some writers label the meta header Explicit VR but write the data set implicit (pydicom reads
 * these with a warning). When explicit parsing overruns and the first data set element carries no
 * VR, parse the data set alone as implicit and keep the meta's transfer syntax for the pixels.
 */
function implicitDespiteMeta(bytes: Buffer, error: unknown): { dataSet: DataSet; transferSyntaxUid: string } | undefined {
  if (!(error && typeof error === 'object' && 'dataSet' in error)) return undefined;
  let meta: DataSet & { position?: number };
  try {
    meta = dicomParser.readPart10Header(bytes) as DataSet & { position?: number };
  } catch {
    return undefined;
  }
  const uid = (meta.string('x00020010') ?? '').replace(/[\0\s]+$/, '');
  const position = meta.position;
  if (!uid || uid === IMPLICIT_LE || uid === EXPLICIT_BE || uid.endsWith('.99') || position === undefined || position + 8 > bytes.length) return undefined;
  if (VRS.has(String.fromCharCode(bytes[position + 4]!, bytes[position + 5]!))) return undefined;
  try {
    const dataSet = dicomParser.parseDicom(bytes.subarray(position), { TransferSyntaxUID: IMPLICIT_LE } as never);
    return { dataSet, transferSyntaxUid: uid };
  } catch {
    return undefined;
  }
}

/**
 * In an implicit VR data set dicom-parser reads undefined-length Pixel Data as a sequence of items.
 * Those items are the Basic Offset Table and the fragments: turn them into what the explicit path
 * produces, so frame extraction is one code path.
 */
function repairImplicitEncapsulation(ds: DataSet): void {
  const pd = ds.elements.x7fe00010;
  if (!pd || pd.encapsulatedPixelData || !pd.hadUndefinedLength || !pd.items || pd.items.length === 0) return;
  const [bot, ...fragments] = pd.items;
  const offsets: number[] = [];
  for (let i = 0; i + 4 <= bot!.length; i += 4) offsets.push(ds.byteArrayParser.readUint32(ds.byteArray, bot!.dataOffset + i));
  const base = fragments[0] ? fragments[0].dataOffset - 8 : 0;
  pd.encapsulatedPixelData = true;
  pd.basicOffsetTable = offsets;
  pd.fragments = fragments.map((f) => ({ offset: f.dataOffset - 8 - base, position: f.dataOffset, length: f.length }));
  delete pd.items;
}
