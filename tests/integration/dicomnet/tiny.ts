/**
 * Small, valid Part 10 Secondary Capture files (4×4 pixels), one study each: enough rows for a
 * C-FIND that runs long enough to be cancelled, without megabytes of CT per row.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dcmjs } from '../../../src/core/dicomnet/dimse';

const SC = '1.2.840.10008.5.1.4.1.1.7';

export function tinyStudies(dir: string, n: number, root = '2.25.4711'): string[] {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    const path = join(dir, `${i}.dcm`);
    writeTinySc(path, root, i, { PatientID: `CANCEL-${String(i).padStart(4, '0')}`, PatientName: 'Cancel^Test', StudyDate: '20240101', Modality: 'OT' }, i & 0xff);
    out.push(path);
  }
  return out;
}

/**
 * Writes one tiny Secondary Capture study (one instance, 4×4 pixels all `fill`) to `path`: UIDs
 * `${root}.1|2|3.${i}` (study, series, SOP instance) and the given identity attributes (DICOM
 * keywords: PatientID, PatientName, StudyDate, Modality, …). Returns its StudyInstanceUID.
 */
export function writeTinySc(path: string, root: string, i: number, identity: Record<string, string>, fill: number): string {
  const sop = `${root}.3.${i}`;
  const ds = {
    SOPClassUID: SC,
    SOPInstanceUID: sop,
    StudyInstanceUID: `${root}.1.${i}`,
    SeriesInstanceUID: `${root}.2.${i}`,
    ...identity,
    ConversionType: 'WSD',
    InstanceNumber: 1,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: 4,
    Columns: 4,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [new Uint8Array(16).fill(fill).buffer],
    _vrMap: { PixelData: 'OB' },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SC,
    MediaStorageSOPInstanceUID: sop,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: `${root}.9`,
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  writeFileSync(path, Buffer.from(dict.write()));
  return ds.StudyInstanceUID;
}
