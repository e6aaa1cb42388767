/**
 * The `--pdfa` audit report checked structurally against what PDF/A-2b (ISO 19005-2, level B)
 * requires and can be seen without veraPDF (which is not available offline): poppler's `pdfinfo` /
 * `pdffonts` and the file's own objects. This is not a conformance validation — docs/REPORTS.md
 * says what it does and does not cover.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, samples, scratchDir } from '../cli/support';

const tool = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
/** pdfinfo's "Key: value" lines. */
const infoOf = (text: string) => Object.fromEntries(text.split('\n').filter((l) => /^[A-Za-z ]+:/.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
/** An indirect object's dictionary text and raw stream bytes (pdfkit writes no object streams). */
function object(pdf: Buffer, ref: number): { dict: string; stream?: Buffer } {
  const start = pdf.indexOf(`\n${ref} 0 obj\n`);
  if (start < 0) throw new Error(`object ${ref} not found`);
  const end = pdf.indexOf('\nendobj', start);
  const body = pdf.subarray(start, end);
  const s = body.indexOf('stream\n');
  if (s < 0) return { dict: body.toString('latin1') };
  const dict = body.subarray(0, s).toString('latin1');
  const length = Number(/\/Length (\d+)/.exec(dict)![1]);
  return { dict, stream: body.subarray(s + 7, s + 7 + length) };
}

describe('the --pdfa audit report, structurally', () => {
  let pdf: Buffer;
  let file: string;
  beforeAll(() => {
    const root = scratchDir('pdfa');
    const input = join(root, 'in');
    mkdirSync(join(input, 'part-1'), { recursive: true });
    mkdirSync(join(input, 'part-2'), { recursive: true });
    copyFileSync(join(samples, 'battery-ct-porosity', 'ct_slice2_porosity_1.png'), join(input, 'part-1', 'a.png'));
    copyFileSync(join(samples, 'battery-ct-porosity', 'ct_slice2_normal_1.png'), join(input, 'part-2', 'a.png'));
    writeFileSync(join(input, 'part-2', 'b.png'), readFileSync(join(samples, 'battery-ct-porosity', 'ct_slice2_normal_1.png')).subarray(0, 200));
    const run = (...args: string[]) => {
      const r = cli(args, { dataDir: root });
      if (r.status !== 0 && !(args[0] === 'batch' && r.status === 1)) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    };
    run('operator', 'create', 'kim.j', '--name', 'Kim Jiwoo', '--role', 'supervisor', '--select');
    run('settings', 'set', 'station.id', 'ST07');
    run('batch', input, '--pack', 'battery-ct-porosity');
    file = join(root, 'report.pdf');
    run('audit', 'report', '--out', file, '--pdfa');
    pdf = readFileSync(file);
  });

  it('PDF 1.7 with the binary comment line, not encrypted, no JavaScript, a file ID', () => {
    const info = infoOf(tool('pdfinfo', [file]));
    expect(info['PDF version']).toBe('1.7');
    expect(info['Encrypted']).toBe('no');
    expect(info['JavaScript']).toBe('no');
    expect(Number(info['Pages'])).toBeGreaterThanOrEqual(1);
    expect(pdf.subarray(0, 9).toString('latin1')).toBe('%PDF-1.7\n');
    // ISO 19005-2 6.1.2: the header is followed by a comment of at least four bytes > 127.
    const second = pdf.subarray(9, pdf.indexOf('\n', 9));
    expect(second[0]).toBe(0x25);
    expect([...second.subarray(1)].filter((x) => x > 127).length).toBeGreaterThanOrEqual(4);
    expect(pdf.includes('/Encrypt')).toBe(false);
    const trailer = pdf.subarray(pdf.lastIndexOf('trailer')).toString('latin1');
    expect(trailer).toMatch(/\/ID \[<[0-9a-f]{32}> <[0-9a-f]{32}>\]/);
  });

  it('every font embedded (pdffonts)', () => {
    const rows = tool('pdffonts', [file]).trim().split('\n').slice(2);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.split(/\s+/).at(-5), row).toBe('yes');
  });

  it('XMP identifies PDF/A-2b and agrees with the Info dictionary; unfiltered metadata stream', () => {
    const xmp = tool('pdfinfo', ['-meta', file]);
    expect(xmp).toMatch(/<pdfaid:part>2<\/pdfaid:part>/);
    expect(xmp).toMatch(/<pdfaid:conformance>B<\/pdfaid:conformance>/);
    const info = infoOf(tool('pdfinfo', [file]));
    // 6.6.2.3: Info entries that are present have their XMP equivalents, with the same values.
    expect(/<dc:title>[\s\S]*?<rdf:li[^>]*>([^<]*)<\/rdf:li>/.exec(xmp)![1]).toBe(info['Title']);
    expect(/<dc:creator>[\s\S]*?<rdf:li>([^<]*)<\/rdf:li>/.exec(xmp)![1]).toBe(info['Author']);
    expect(/<dc:description>[\s\S]*?<rdf:li[^>]*>([^<]*)<\/rdf:li>/.exec(xmp)![1]).toBe(info['Subject']);
    expect(/<pdf:Producer>([^<]*)</.exec(xmp)![1]).toBe(info['Producer']);
    expect(/<xmp:CreatorTool>([^<]*)</.exec(xmp)![1]).toBe(info['Creator']);
    const created = /<xmp:CreateDate>([^<]*)</.exec(xmp)![1]!;
    expect(new Date(created).getTime()).toBe(new Date(info['CreationDate']!.replace(/ UTC$/, ' GMT')).getTime());
    expect(info['Author']).toBe('Kim Jiwoo (kim.j)');
    const catalogRef = Number(/\/Root (\d+) 0 R/.exec(pdf.subarray(pdf.lastIndexOf('trailer')).toString('latin1'))![1]);
    const catalog = object(pdf, catalogRef).dict;
    const meta = object(pdf, Number(/\/Metadata (\d+) 0 R/.exec(catalog)![1]));
    expect(meta.dict).toMatch(/\/Type \/Metadata/);
    expect(meta.dict).toMatch(/\/Subtype \/XML/);
    expect(meta.dict).not.toMatch(/\/Filter/);
    expect(meta.stream!.toString('utf8')).toContain('<pdfaid:part>2</pdfaid:part>');
  });

  it('an OutputIntent GTS_PDFA1 whose profile is a real RGB display ICC profile (3 components)', () => {
    const catalogRef = Number(/\/Root (\d+) 0 R/.exec(pdf.subarray(pdf.lastIndexOf('trailer')).toString('latin1'))![1]);
    const intents = /\/OutputIntents \[([^\]]*)\]/.exec(object(pdf, catalogRef).dict)![1]!.trim().split(/\s+0 R\s*/).filter(Boolean).map(Number);
    expect(intents).toHaveLength(1);
    const intent = object(pdf, intents[0]!).dict;
    expect(intent).toMatch(/\/Type \/OutputIntent/);
    expect(intent).toMatch(/\/S \/GTS_PDFA1/);
    expect(intent).toMatch(/\/OutputConditionIdentifier \(sRGB IEC61966-2\.1\)/);
    const profile = object(pdf, Number(/\/DestOutputProfile (\d+) 0 R/.exec(intent)![1]));
    expect(profile.dict).toMatch(/\/N 3/);
    const icc = /\/Filter \/FlateDecode/.test(profile.dict) ? inflateSync(profile.stream!) : profile.stream!;
    // ICC.1 header: size, 'mntr' display class, 'RGB ' colour space, 'XYZ ' PCS, 'acsp' signature.
    expect(icc.readUInt32BE(0)).toBe(icc.length);
    expect(icc.subarray(12, 16).toString('latin1')).toBe('mntr');
    expect(icc.subarray(16, 20).toString('latin1')).toBe('RGB ');
    expect(icc.subarray(20, 24).toString('latin1')).toBe('XYZ ');
    expect(icc.subarray(36, 40).toString('latin1')).toBe('acsp');
    // The major version: PDF/A-2 accepts ICC profiles up to v4.
    expect(icc[8]).toBeGreaterThanOrEqual(2);
    expect(icc[8]).toBeLessThanOrEqual(4);
  });
});
