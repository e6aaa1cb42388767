/**
 * Hostile packs and YAML, each case in a child process under a deadline from its size (harness.ts):
 * every load / check / resolve ends loaded or with a PACK_* / CONFIG_* / FILE_* code, never a hang
 * (a FIFO named pack.yaml), a crash (a deeply nested manifest once aborted V8) or an uncoded error.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { classifierPack, scratch } from '../engine/support';
import { CaseRunner, deadlineFor, type Outcome } from './harness';

const runner = new CaseRunner();
afterAll(() => runner.close());
/** Per MB of pack files read and hashed (and per 10,000 labels): 2 s, generous for a loaded box. */
const PER_MB_MS = 2000;

let base: Awaited<ReturnType<typeof classifierPack>>;
let manifest: Record<string, unknown>;
const work = scratch('hostile-packs');
const sizeMb = (dir: string) => statSync(join(dir, base.manifest.model)).size / 1e6;
let n = 0;
function variant(edit: (m: Record<string, unknown>, dir: string) => void | string): string {
  const dir = join(work, `p${n++}`);
  cpSync(base.dir, dir, { recursive: true });
  const m = structuredClone(manifest);
  const text = edit(m, dir);
  writeFileSync(join(dir, 'pack.yaml'), typeof text === 'string' ? text : stringify(m));
  return dir;
}
const code = (o: Outcome) => ('code' in o ? o.code : 'ok' in o ? 'LOADED' : `UNCODED ${o.uncoded}: ${o.message}`);
const load = async (dir: string, units = 1) => code(await runner.run('loadPack', { dir }, deadlineFor(units + sizeMb(base.dir), PER_MB_MS)));

beforeAll(async () => {
  base = await classifierPack('resnet-mini');
  manifest = parse(readFileSync(join(base.dir, 'pack.yaml'), 'utf8')) as Record<string, unknown>;
});

describe('hostile packs end with a coded error', () => {
  it('the untouched pack loads (the cases below differ from it by one thing)', async () => {
    expect(await load(variant(() => undefined))).toBe('LOADED');
  });

  it('outputs not matching labels, softmax over one label, duplicate label ids', async () => {
    const labels = () => manifest['labels'] as Record<string, unknown>[];
    expect(await load(variant((m) => void (m['labels'] = labels().slice(0, 2))))).toBe('PACK_LABELS_MISMATCH');
    expect(await load(variant((m) => void (m['labels'] = [...labels(), { ...labels()[0]!, id: 'phantom' }])))).toBe('PACK_LABELS_MISMATCH');
    expect(await load(variant((m) => void (m['labels'] = labels().slice(0, 1))))).toBe('PACK_HEAD_MISMATCH');
    expect(await load(variant((m) => void (m['labels'] = [labels()[0]!, labels()[0]!, labels()[1]!])))).toBe('PACK_LABELS_DUPLICATE');
  });

  it('a huge labels list: 100,000 labels (6.7 MB) refused by size before parsing; 10,000 labels parsed and refused as PACK_LABELS_MISMATCH', async () => {
    const many = (k: number) => variant((m) => void (m['labels'] = Array.from({ length: k }, (_, i) => ({ id: `l${i}`, display: { en: `label ${i}` }, severity: 'low' }))));
    const huge = many(100_000);
    expect(await runner.run('loadPack', { dir: huge }, deadlineFor(sizeMb(base.dir), PER_MB_MS))).toMatchObject({ code: 'PACK_MANIFEST_UNREADABLE', message: expect.stringMatching(/more than 1048576 is refused/) });
    const big = many(10_000);
    // YAML parses at ~4 µs a character under load: 10 s per MB of manifest.
    const yamlMb = statSync(join(big, 'pack.yaml')).size / 1e6;
    expect(code(await runner.run('loadPack', { dir: big }, deadlineFor(sizeMb(base.dir), PER_MB_MS) + yamlMb * 10_000))).toBe('PACK_LABELS_MISMATCH');
  }, 120_000);

  it('model.onnx a link out of the pack, pack.yaml a link out, pack.yaml a FIFO', async () => {
    const outside = join(scratch('hostile-packs-outside'), 'model.onnx');
    cpSync(join(base.dir, base.manifest.model), outside);
    expect(await load(variant((_m, dir) => {
      rmSync(join(dir, base.manifest.model));
      symlinkSync(outside, join(dir, base.manifest.model));
    }))).toBe('PACK_FILE_OUTSIDE');
    const linked = variant(() => undefined);
    cpSync(join(linked, 'pack.yaml'), join(outside, '..', 'pack.yaml'));
    rmSync(join(linked, 'pack.yaml'));
    symlinkSync(join(outside, '..', 'pack.yaml'), join(linked, 'pack.yaml'));
    expect(await load(linked)).toBe('PACK_FILE_OUTSIDE');
    const fifo = variant(() => undefined);
    rmSync(join(fifo, 'pack.yaml'));
    execFileSync('mkfifo', [join(fifo, 'pack.yaml')]);
    expect(await load(fifo)).toBe('PACK_MANIFEST_UNREADABLE');
    // Discovery of the models folder holding it must not block either, and names it.
    const found = await runner.run('discover', { roots: [{ dir: join(fifo, '..'), source: 'user' }] }, deadlineFor(n + sizeMb(base.dir), PER_MB_MS));
    expect((found as { ok: { name: string; code: string | null }[] }).ok.find((p) => p.name === 'p' + fifo.split('/p').pop())?.code).toBe('PACK_MANIFEST_UNREADABLE');
  });

  it('a truncated and a zero-byte model.onnx (hashes updated, so the graph parser meets them): coded at load and at pack check', async () => {
    const { createHash } = await import('node:crypto');
    for (const cut of [0, 0.5]) {
      const dir = variant((m, d) => {
        const bytes = readFileSync(join(d, base.manifest.model));
        const kept = bytes.subarray(0, Math.floor(bytes.length * cut));
        writeFileSync(join(d, base.manifest.model), kept);
        (m['files'] as Record<string, string>)[base.manifest.model] = createHash('sha256').update(kept).digest('hex');
      });
      expect(await load(dir)).toMatch(/^(ONNX|PACK)_/);
      const checked = await runner.run('checkPack', { dir }, deadlineFor(1 + sizeMb(base.dir), PER_MB_MS));
      expect(checked).toMatchObject({ ok: { ok: false, code: expect.stringMatching(/^(ONNX|PACK)_/) } });
    }
  });

  it('pack names `..`, `.`, absolute and with NUL resolve only to installed packs (PACK_NOT_FOUND) or are refused (ACCESS_DENIED)', async () => {
    const roots = [{ dir: work, source: 'user' }];
    const grants = [join(work, 'p0')];
    for (const ref of ['..', '.', '/etc', '/', 'p1\0', '../p1', `${work}/p1\0/x`]) {
      expect(code(await runner.run('resolvePack', { ref, roots, grants }, deadlineFor(n, 50))), ref).toMatch(/^(PACK_NOT_FOUND|ACCESS_DENIED)$/);
    }
    // A real pack folder outside the grants, named by its absolute path: ACCESS_DENIED.
    expect(code(await runner.run('resolvePack', { ref: join(work, 'p1'), roots, grants }, deadlineFor(n, 50)))).toBe('ACCESS_DENIED');
  });
});

describe('hostile YAML (pack.yaml, inspector.yaml, station.yaml, DICOM config, settings.yaml)', () => {
  const dir = scratch('hostile-yaml');
  const bomb = (() => {
    let t = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    let prev = 'a';
    for (let i = 0; i < 9; i++) {
      t += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
      prev = `b${i}`;
    }
    return t;
  })();
  const deepFlow = (d: number) => 'version: 1\nx: ' + '['.repeat(d) + ']'.repeat(d) + '\n';
  const deepBlock = (d: number) => Array.from({ length: d }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + '\n';
  const texts: [string, string][] = [
    ['alias-bomb', bomb],
    ['flow-1000', deepFlow(1000)],
    // After a first stack overflow, this one aborted the process inside V8 (exit 134) on the old code.
    ['flow-10000', deepFlow(10_000)],
    ['block-2000', deepBlock(2000)],
    ['map-5000', 'x: ' + '{a: '.repeat(5000) + '1' + '}'.repeat(5000) + '\n'],
  ];
  const loaders: [string, string, RegExp][] = [
    ['loadConfig', 'inspector.yaml', /^CONFIG_(UNREADABLE|INVALID)$/],
    ['loadStationConfig', 'station.yaml', /^STATION_CONFIG_/],
    ['loadDicomConfig', 'dicom.yaml', /^DICOM_CONFIG_/],
  ];

  it('alias bombs and deep nesting: coded, and the same process keeps answering', async () => {
    for (const [name, text] of texts) {
      // YAML parses at ~4 µs a character under load: 10 s per MB, in PER_MB_MS units.
      const units = (text.length / 1e6) * 5;
      for (const [op, file, want] of loaders) {
        const path = join(dir, `${name}-${file}`);
        writeFileSync(path, text);
        expect(code(await runner.run(op, { path }, deadlineFor(units, PER_MB_MS))), `${op} ${name}`).toMatch(want);
      }
      const data = join(dir, `settings-${name}`);
      mkdirSync(data, { recursive: true });
      writeFileSync(join(data, 'settings.yaml'), text);
      expect(code(await runner.run('loadSettings', { dir: data }, deadlineFor(units, PER_MB_MS))), `settings ${name}`).toBe('SETTINGS_BAD_FILE');
      const pack = variant(() => text);
      expect(await load(pack, units), `pack.yaml ${name}`).toMatch(/^PACK_MANIFEST_(UNREADABLE|INVALID)$/);
    }
  }, 120_000);

  it('a FIFO named inspector.yaml is FILE_NOT_REGULAR, not a hang', async () => {
    const path = join(dir, 'fifo-inspector.yaml');
    execFileSync('mkfifo', [path]);
    expect(code(await runner.run('loadConfig', { path }, deadlineFor(0, 0)))).toBe('FILE_NOT_REGULAR');
  });
});
