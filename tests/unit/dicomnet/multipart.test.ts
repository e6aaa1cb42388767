/**
 * The streaming multipart/related splitter behind WADO-RS: parts come out whole whatever the
 * chunking (byte by byte included), a part is handed out only once the next delimiter is in, a
 * cut-off last part never comes out, the preamble is ignored, and a missing boundary is coded.
 */
import { describe, expect, it } from 'vitest';
import { MultipartSplitter, multipartParts } from '../../../src/core/dicomnet/dicomweb';

const TYPE = 'multipart/related; type="application/dicom"; boundary="b0undary-42"';
const part = (body: Buffer) => Buffer.concat([Buffer.from('--b0undary-42\r\nContent-Type: application/dicom\r\n\r\n'), body, Buffer.from('\r\n')]);
// Bodies with CR/LF and dashes inside, as binary DICOM may have.
const bodies = [Buffer.from('DICM\r\n\r\n--b0und-first'), Buffer.alloc(5000, 7), Buffer.from([0, 13, 10, 45, 45, 255])];
const whole = Buffer.concat([Buffer.from('preamble to ignore\r\n'), ...bodies.map(part), Buffer.from('--b0undary-42--\r\n')]);

function feed(chunkSize: number): { parts: Buffer[]; s: MultipartSplitter } {
  const s = new MultipartSplitter(TYPE);
  const parts: Buffer[] = [];
  for (let i = 0; i < whole.length; i += chunkSize) parts.push(...s.push(whole.subarray(i, i + chunkSize)));
  return { parts, s };
}

describe('MultipartSplitter', () => {
  it.each([1, 2, 3, 7, 64, 4999, whole.length])('chunks of %i bytes: the three bodies, byte-identical, and closed', (n) => {
    const { parts, s } = feed(n);
    expect(parts.map((p) => p.toString('hex'))).toEqual(bodies.map((b) => b.toString('hex')));
    expect(s.closed).toBe(true);
    expect(s.pending).toBe(0);
  });

  it('a part is handed out only once the next delimiter has arrived; a cut-off one never', () => {
    const s = new MultipartSplitter(TYPE);
    const first = part(bodies[0]!);
    expect(s.push(first)).toEqual([]); // its end is not known yet
    const second = part(bodies[1]!);
    const got = s.push(second.subarray(0, 100));
    expect(got.map((p) => p.toString('hex'))).toEqual([bodies[0]!.toString('hex')]);
    expect(s.pending).toBe(100 - '--b0undary-42'.length); // after its delimiter
    expect(s.closed).toBe(false);
    // More of the second part, still no delimiter after it: nothing.
    expect(s.push(second.subarray(100, 4000))).toEqual([]);
    expect(s.pending).toBe(4000 - '--b0undary-42'.length);
  });

  it('bytes after the closing delimiter are ignored; the whole-body helper agrees', () => {
    const s = new MultipartSplitter(TYPE);
    expect(s.push(whole)).toHaveLength(3);
    expect(s.push(part(Buffer.from('late')))).toEqual([]);
    expect(multipartParts(whole, TYPE)).toHaveLength(3);
  });

  it('no boundary in the content type: DICOMWEB_BAD_RESPONSE', () => {
    expect(() => new MultipartSplitter('multipart/related; type="application/dicom"')).toThrow(expect.objectContaining({ code: 'DICOMWEB_BAD_RESPONSE' }));
  });
});
