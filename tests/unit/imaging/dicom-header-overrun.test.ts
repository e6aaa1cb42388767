/**
 * A header element whose declared length runs past the end of the file — here a PN (Patient Name)
 * of length 0xFFFF after the pixel module — is reported as a damaged header element naming the
 * tag, not as truncated pixel data (main said DICOM_TRUNCATED_PIXEL_DATA). A file really cut inside
 * its pixel data keeps that code.
 */
import { describe, expect, it } from 'vitest';
import { loadImageBytes } from '../../../src/core/imaging';

/** Explicit VR little-endian element: 16-bit length for short VRs. */
function el(group: number, element: number, vr: string, value: Uint8Array, declared = value.length): Uint8Array {
  const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
  const head = new Uint8Array(long ? 12 : 8);
  const v = new DataView(head.buffer);
  v.setUint16(0, group, true);
  v.setUint16(2, element, true);
  head[4] = vr.charCodeAt(0);
  head[5] = vr.charCodeAt(1);
  if (long) v.setUint32(8, declared, true);
  else v.setUint16(6, declared, true);
  return concat(head, value);
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const text = (s: string) => new TextEncoder().encode(s.length % 2 ? s + ' ' : s);
const us = (n: number) => new Uint8Array(new Uint16Array([n]).buffer);

function part10(body: Uint8Array): Uint8Array {
  const ts = el(0x0002, 0x0010, 'UI', new TextEncoder().encode('1.2.840.10008.1.2.1\0'));
  const meta = concat(el(0x0002, 0x0001, 'OB', new Uint8Array([0, 1])), el(0x0002, 0x0002, 'UI', text('1.2.840.10008.5.1.4.1.1.7')), ts);
  const groupLength = el(0x0002, 0x0000, 'UL', new Uint8Array(new Uint32Array([meta.length]).buffer));
  return concat(new Uint8Array(128), new TextEncoder().encode('DICM'), groupLength, meta, body);
}

const pixelModule = concat(
  el(0x0028, 0x0002, 'US', us(1)),
  el(0x0028, 0x0004, 'CS', text('MONOCHROME2')),
  el(0x0028, 0x0010, 'US', us(2)),
  el(0x0028, 0x0011, 'US', us(2)),
  el(0x0028, 0x0100, 'US', us(16)),
  el(0x0028, 0x0101, 'US', us(16)),
  el(0x0028, 0x0102, 'US', us(15)),
  el(0x0028, 0x0103, 'US', us(0)),
);

describe('DICOM header element overrun', () => {
  it('a PN of length 0xFFFF: DICOM_ELEMENT_TRUNCATED naming (0040,A123)', async () => {
    const file = part10(concat(pixelModule, el(0x0040, 0xa123, 'PN', text('Doe^John'), 0xffff)));
    await expect(loadImageBytes(file)).rejects.toMatchObject({ code: 'DICOM_ELEMENT_TRUNCATED', details: expect.objectContaining({ tag: '(0040,A123)', vr: 'PN', declared: 0xffff }) });
  });

  it('pixel data cut short keeps DICOM_TRUNCATED_PIXEL_DATA', async () => {
    const file = part10(concat(pixelModule, el(0x7fe0, 0x0010, 'OW', new Uint8Array(4), 8)));
    await expect(loadImageBytes(file)).rejects.toMatchObject({ code: 'DICOM_TRUNCATED_PIXEL_DATA' });
  });
});
