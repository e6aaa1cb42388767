/**
 * Secondary Capture (PS3.3 A.8.1) for viewers that show nothing else: the source image windowed
 * as the viewer shows it, the heatmap blended over it, the region boxes outlined, and a banner
 * "NOT FOR DIAGNOSTIC USE" burned into the pixels (Burned In Annotation YES). It goes into a new
 * series of the source's study and names its source in Source Image Sequence.
 */
import sharp, { type OverlayOptions } from 'sharp';
import type { RunDetail } from '../../history/index';
import { loadImage, toRgb8 } from '../../imaging/index';
import { InspectorError } from '../../../shared/errors';
import { newUid } from '../uid';
import { dicomDate, dicomTime, equipment, patientAndStudy, type Naturalized } from './common';
import type { SourceRef } from './sr';

export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const NOT_FOR_DIAGNOSIS = 'NOT FOR DIAGNOSTIC USE';

export interface HeatmapInput {
  width: number;
  height: number;
  values: Float32Array;
  low: number;
  high: number;
}

export interface ScInput {
  detail: RunDetail;
  source: Naturalized;
  sourcePath: string;
  ref: SourceRef;
  heatmap?: HeatmapInput | undefined;
  uidRoot: string;
  softwareVersion: string;
  now?: Date;
  seriesInstanceUid?: string;
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Heatmap → RGBA on its own grid: warm colour, opacity growing with the normalised value, clear below 0.2. */
function heatRgba(h: HeatmapInput): Buffer {
  const out = Buffer.alloc(h.width * h.height * 4);
  const span = h.high - h.low;
  for (let i = 0; i < h.values.length; i++) {
    const v = h.values[i]!;
    const n = span > 0 ? Math.max(0, Math.min(1, (v - h.low) / span)) : 0;
    if (!(n >= 0.2)) continue;
    out[i * 4] = 255;
    out[i * 4 + 1] = Math.round(200 * (1 - n));
    out[i * 4 + 2] = 0;
    out[i * 4 + 3] = Math.round(40 + 120 * n);
  }
  return out;
}

/** The burned-in picture: RGB 8-bit, same size as the source frame. */
export async function renderOverlay(input: ScInput): Promise<{ rgb: Buffer; width: number; height: number }> {
  const file = await loadImage(input.sourcePath);
  const frame = file.frames[0];
  if (!frame) throw new InspectorError('DICOM_SOURCE_UNREADABLE', `${input.sourcePath} has no frame to draw on.`);
  const { width, height } = frame;
  const base = Buffer.from(toRgb8(frame));
  const layers: OverlayOptions[] = [];
  if (input.heatmap && input.heatmap.width > 0) {
    const heat = await sharp(heatRgba(input.heatmap), { raw: { width: input.heatmap.width, height: input.heatmap.height, channels: 4 } })
      // Packs resize by stretching (docs/PACKS.md), so the map covers the whole image.
      .resize(width, height, { fit: 'fill', kernel: 'cubic' })
      .png()
      .toBuffer();
    layers.push({ input: heat, blend: 'over' });
  }
  const run = input.detail.run;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const font = Math.max(14, Math.round(width / 40));
  const boxes = run.regions
    .map((g) => `<rect x="${g.box[0]}" y="${g.box[1]}" width="${g.box[2]}" height="${g.box[3]}" fill="none" stroke="#ffd400" stroke-width="${stroke}"/>`)
    .join('');
  const probability = run.probabilities[run.verdict];
  const line2 = `AI: ${run.packName} ${run.packVersion} - ${run.verdict}${probability !== undefined ? ` ${(probability * 100).toFixed(1)}%` : ''} - run ${run.id}`;
  const band = Math.round(font * 2.9);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${boxes}
    <rect x="0" y="0" width="${width}" height="${band}" fill="#000" fill-opacity="0.75"/>
    <text x="${font / 2}" y="${font * 1.2}" font-family="DejaVu Sans, Noto Sans, sans-serif" font-weight="bold" font-size="${font}" fill="#ff4040">${NOT_FOR_DIAGNOSIS}</text>
    <text x="${font / 2}" y="${font * 2.45}" font-family="DejaVu Sans, Noto Sans, sans-serif" font-size="${Math.round(font * 0.8)}" fill="#ffffff">${esc(line2)}</text></svg>`;
  layers.push({ input: Buffer.from(svg), top: 0, left: 0 });
  const rgb = await sharp(base, { raw: { width, height, channels: 3 } }).composite(layers).removeAlpha().raw().toBuffer();
  if (rgb.length !== width * height * 3) throw new InspectorError('DICOM_RENDER_FAILED', `The overlay came out ${rgb.length} bytes, expected ${width * height * 3}.`);
  return { rgb, width, height };
}

export async function buildSc(input: ScInput): Promise<Naturalized> {
  const now = input.now ?? new Date();
  const { rgb, width, height } = await renderOverlay(input);
  const src = input.source;
  const run = input.detail.run;
  return {
    ...patientAndStudy(src),
    SOPClassUID: SECONDARY_CAPTURE,
    SOPInstanceUID: newUid(input.uidRoot),
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    Modality: 'OT',
    SeriesInstanceUID: input.seriesInstanceUid ?? newUid(input.uidRoot),
    SeriesNumber: 9902,
    // Type 2C: laterality of a paired body part; copied when the source states it, else empty (unknown).
    // dciodvfy: absent for an unpaired body part, empty only when the body part is unknown.
    ...(src['Laterality'] ? { Laterality: src['Laterality'] } : src['BodyPartExamined'] ? {} : { Laterality: '' }),
    ...(src['BodyPartExamined'] ? { BodyPartExamined: src['BodyPartExamined'] } : {}),
    SeriesDescription: `AI overlay ${run.packName} - not for diagnostic use`.slice(0, 64),
    ...equipment(input.softwareVersion),
    ConversionType: 'WSD',
    InstanceNumber: 1,
    PatientOrientation: (src['PatientOrientation'] as string | string[] | undefined) ?? '',
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
    ImageType: ['DERIVED', 'SECONDARY'],
    BurnedInAnnotation: 'YES',
    ...(src['LossyImageCompression'] === '01' ? { LossyImageCompression: '01' } : {}),
    DerivationDescription: `Inspector ${run.packName} ${run.packVersion}: heatmap and regions burned in; ${NOT_FOR_DIAGNOSIS}`.slice(0, 1024),
    SourceImageSequence: [{ ReferencedSOPClassUID: input.ref.sopClassUid, ReferencedSOPInstanceUID: input.ref.sopInstanceUid }],
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: height,
    Columns: width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [rgb.buffer.slice(rgb.byteOffset, rgb.byteOffset + rgb.byteLength)],
    _vrMap: { PixelData: 'OB' },
  };
}
