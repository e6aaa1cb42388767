/**
 * The grounding commands as a user runs them (bin/inspector.js): `pack create --hf --kind
 * grounding`, `pack check`, and `inspect IMG --pack --prompt --box-threshold --json`, whose result
 * per image carries `detections: [{label, score, x, y, width, height}]` in image pixels.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAYOUT_FILES } from '../../../src/core/grounding/folder';
import { repoRoot } from '../../support/paths';

const shipped = join(repoRoot, 'models', 'defects-grounding');
const samples = join(repoRoot, 'resources', 'samples', 'pcb-grounding');
const tmp = mkdtempSync(join(tmpdir(), 'inspector-grounding-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), ...args], { encoding: 'utf8', env: { ...process.env, INSPECTOR_DATA_DIR: tmp } });
}

describe('inspector pack create/check and inspect with a grounding pack', () => {
  const hf = join(tmp, 'export');
  const pack = join(tmp, 'pack');

  it('creates and checks a pack from an export folder', () => {
    mkdirSync(join(hf, 'onnx'), { recursive: true });
    for (const f of LAYOUT_FILES) copyFileSync(join(shipped, f), join(hf, f));
    copyFileSync(join(shipped, 'onnx', 'model.onnx'), join(hf, 'onnx', 'model.onnx'));
    const c = cli('pack', 'create', '--hf', hf, '--kind', 'grounding', '--prompt', 'short . spur . pin hole .', '--box-threshold', '0.3', '--text-threshold', '0.25', '--out', pack);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(c.stdout).toMatch(/\[grounding\]/);
    expect(c.stdout).toMatch(/HF\/onnx-community contract/);
    const k = cli('pack', 'check', pack);
    expect(k.status, k.stdout + k.stderr).toBe(0);
    expect(k.stdout).toMatch(/^OK/);
  });

  it('inspect --json gives detections in image pixels with the prompt used', () => {
    const boxes = readFileSync(join(samples, '20085291_boxes.txt'), 'utf8').trim().split('\n').length;
    const r = cli('inspect', join(samples, '20085291_test.jpg'), '--pack', pack, '--prompt', 'Short . Spur . Pin hole . Open circuit . Mouse bite . Spurious copper', '--box-threshold', '0.2', '--json', '--no-record');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { results: { detections: { label: string; score: number; x: number; y: number; width: number; height: number }[]; grounding: { prompt: string; boxThreshold: number; textThreshold: number }; image: { width: number; height: number } }[] };
    const res = report.results[0]!;
    expect(res.grounding.prompt).toBe('short . spur . pin hole . open circuit . mouse bite . spurious copper .');
    expect(res.grounding.boxThreshold).toBe(0.2);
    expect(res.grounding.textThreshold).toBe(0.25);
    expect(res.detections.length).toBeGreaterThan(0);
    expect(boxes).toBeGreaterThan(0);
    for (const d of res.detections) {
      expect(['short', 'spur', 'pin hole', 'open circuit', 'mouse bite', 'spurious copper']).toContain(d.label);
      expect(d.score).toBeGreaterThan(0.25);
      expect(d.x).toBeGreaterThanOrEqual(0);
      expect(d.y).toBeGreaterThanOrEqual(0);
      expect(d.x + d.width).toBeLessThanOrEqual(res.image.width);
      expect(d.y + d.height).toBeLessThanOrEqual(res.image.height);
      expect(d.width).toBeGreaterThan(0);
    }
  });

  it('a prompt over 256 tokens is an error for the image, not a silent pass', () => {
    const long = Array.from({ length: 140 }, (_, i) => `defect${i}`).join(' . ');
    const r = cli('inspect', join(samples, '20085291_test.jpg'), '--pack', pack, '--prompt', long, '--json', '--no-record');
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { results: { decision: string; error?: { code: string } }[] };
    expect(report.results[0]!.decision).toBe('error');
    expect(report.results[0]!.error!.code).toBe('GROUNDING_PROMPT_TOO_LONG');
  });

  it('rejects a bad --box-threshold as a usage error', () => {
    const r = cli('inspect', join(samples, '20085291_test.jpg'), '--pack', pack, '--box-threshold', '1.5', '--json', '--no-record');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/box-threshold/);
  });

  it('pack create --alias keeps an old name; inspect --pack by the shipped alias runs and reports the true name', () => {
    const renamed = join(tmp, 'renamed');
    const c = cli('pack', 'create', '--hf', hf, '--kind', 'grounding', '--prompt', 'short .', '--name', 'board-grounding', '--alias', 'old-board, older-board', '--out', renamed, '--json');
    expect(c.status, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ name: 'board-grounding', aliases: ['old-board', 'older-board'] });
    const r = cli('inspect', join(samples, '20085291_test.jpg'), '--pack', 'pcb-defects-grounding', '--json', '--no-record');
    expect(r.status, r.stderr).toBe(0);
    const res = (JSON.parse(r.stdout) as { results: { pack: { name: string; dir: string } }[] }).results[0]!;
    expect(res.pack.name).toBe('defects-grounding');
    expect(res.pack.dir).toBe(shipped);
  });
});
