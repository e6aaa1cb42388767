/**
 * DICOM Part 10 files from what arrives over the network: the File Meta Information group
 * (PS3.10 §7.1, always explicit VR little endian) in front of the dataset bytes exactly as the peer
 * sent them — no re-encoding, so private tags, odd VRs and compressed pixel data survive untouched.
 */
import dicomParser from 'dicom-parser';
import { InspectorError } from '../../shared/errors';

/** Ours, under the 2.25 UUID arc (fixed; identifies this implementation in every file we write). */
export const IMPLEMENTATION_CLASS_UID = '2.25.208519443131720954125914187470736120845';
export const IMPLEMENTATION_VERSION = 'INSPECTOR_01';

function element(group: number, elem: number, vr: string, value: Buffer): Buffer {
  const long = vr === 'OB' || vr === 'OW' || vr === 'SQ' || vr === 'UN' || vr === 'UT';
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** UI values pad with NUL, text with a space (PS3.5 §6.2). */
function text(s: string, pad: '\0' | ' '): Buffer {
  return Buffer.from(s.length % 2 ? s + pad : s, 'latin1');
}

export interface MetaInfo {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle?: string;
}

export function fileMetaHeader(m: MetaInfo): Buffer {
  const body = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', text(m.sopClassUid, '\0')),
    element(0x0002, 0x0003, 'UI', text(m.sopInstanceUid, '\0')),
    element(0x0002, 0x0010, 'UI', text(m.transferSyntaxUid, '\0')),
    element(0x0002, 0x0012, 'UI', text(IMPLEMENTATION_CLASS_UID, '\0')),
    element(0x0002, 0x0013, 'SH', text(IMPLEMENTATION_VERSION, ' ')),
    ...(m.sourceAeTitle ? [element(0x0002, 0x0016, 'AE', text(m.sourceAeTitle.trim(), ' '))] : []),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, element(0x0002, 0x0000, 'UL', length), body]);
}

/** The header attributes the node routes and records by (patient/study ids as the source has them). */
export interface InstanceHeader {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  patientId: string;
  accessionNumber: string;
  studyDate: string;
  modality: string;
  bodyPart: string;
  stationName: string;
  transferSyntaxUid: string;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** Reads the routing attributes of a Part 10 file (header only: stops before the pixel data). */
export function readHeader(p10: Uint8Array): InstanceHeader {
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(p10, { untilTag: 'x7fe00010' });
  } catch (e) {
    const msg = typeof e === 'string' ? e : e instanceof Error ? e.message : String((e as { exception?: string }).exception ?? e);
    throw new InspectorError('DICOM_INSTANCE_UNREADABLE', `The received instance cannot be parsed: ${msg}`);
  }
  const s = (tag: string) => (ds.string(tag) ?? '').trim();
  const h: InstanceHeader = {
    sopClassUid: s('x00080016') || s('x00020002'),
    sopInstanceUid: s('x00080018') || s('x00020003'),
    studyInstanceUid: s('x0020000d'),
    seriesInstanceUid: s('x0020000e'),
    patientId: s('x00100020'),
    accessionNumber: s('x00080050'),
    studyDate: s('x00080020'),
    modality: s('x00080060'),
    bodyPart: s('x00180015'),
    stationName: s('x00081010'),
    transferSyntaxUid: s('x00020010'),
  };
  for (const [k, v] of [['SOPInstanceUID', h.sopInstanceUid], ['StudyInstanceUID', h.studyInstanceUid], ['SeriesInstanceUID', h.seriesInstanceUid]] as const) {
    if (!UID.test(v) || v.length > 64) throw new InspectorError('DICOM_INSTANCE_BAD_UID', `The received instance has no valid ${k} ("${v}").`, { attribute: k });
  }
  return h;
}
