/**
 * Through the real CLI: same-named folders in two runs into one history are two cases (issue 11,
 * item 3); --save-maps keeps the map of x.png and of x.dcm (item 6); a requested execution provider
 * that cannot run here is named in a warning with the one that did, and the result records both,
 * while onnxruntime's own load errors stay out of the user's terminal and go to the log (item 7).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cli, ctDcm, ctPng, scratchDir } from './support';

describe('case identity across runs', () => {
  it('lineA/images/part.png and lineB/images/part.png, inspected in two runs into one history, are two cases', () => {
    const root = scratchDir('identity');
    for (const line of ['lineA', 'lineB']) {
      mkdirSync(join(root, line, 'images'), { recursive: true });
      copyFileSync(ctPng, join(root, line, 'images', 'part.png'));
    }
    const db = join(root, 'history.sqlite');
    // Given as a folder from one directory, as a file from another: neither spelling shapes the key.
    expect(cli(['inspect', 'lineA/images', '--pack', 'battery-ct-porosity', '--db', db], { dataDir: root, cwd: root }).status).toBe(0);
    expect(cli(['inspect', 'images/part.png', '--pack', 'battery-ct-porosity', '--db', db], { dataDir: root, cwd: join(root, 'lineB') }).status).toBe(0);
    expect(cli(['inspect', join(root, 'lineA', 'images', 'part.png'), '--pack', 'battery-ct-porosity', '--db', db], { dataDir: root }).status).toBe(0);
    const h = new Database(db, { readonly: true });
    const cases = h.prepare('SELECT c.case_key AS k, count(r.id) AS n FROM cases c JOIN inference_runs r ON r.case_id = c.id GROUP BY c.id ORDER BY k').all();
    h.close();
    expect(cases).toEqual([
      { k: join(root, 'lineA', 'images'), n: 2 },
      { k: join(root, 'lineB', 'images'), n: 1 },
    ]);
  });
});

describe('--save-maps never overwrites', () => {
  it('x.png and x.dcm (and a same-named file in a subfolder) each keep their map', () => {
    const root = scratchDir('maps');
    const input = join(root, 'in');
    mkdirSync(join(input, 'sub'), { recursive: true });
    copyFileSync(ctPng, join(input, 'x.png'));
    copyFileSync(ctDcm, join(input, 'x.dcm'));
    copyFileSync(ctPng, join(input, 'sub', 'x.png'));
    const out = join(root, 'maps');
    const r = cli(['inspect', input, '--pack', 'battery-ct-porosity', '--save-maps', out, '--no-record'], { dataDir: root });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('saved 3 maps');
    const top = readdirSync(out).sort();
    expect(top).toEqual(['sub', 'x.dcm.battery-ct-porosity.hirescam.json', 'x.dcm.battery-ct-porosity.hirescam.npy', 'x.png.battery-ct-porosity.hirescam.json', 'x.png.battery-ct-porosity.hirescam.npy']);
    expect(readdirSync(join(out, 'sub')).sort()).toEqual(['x.png.battery-ct-porosity.hirescam.json', 'x.png.battery-ct-porosity.hirescam.npy']);
    // Each JSON names the image its map came from.
    expect(JSON.parse(readFileSync(join(out, 'x.dcm.battery-ct-porosity.hirescam.json'), 'utf8')).source).toBe(join(input, 'x.dcm'));
    expect(JSON.parse(readFileSync(join(out, 'x.png.battery-ct-porosity.hirescam.json'), 'utf8')).source).toBe(join(input, 'x.png'));

    // A second run into the same folder adds, never replaces.
    const again = cli(['inspect', join(input, 'x.png'), '--pack', 'battery-ct-porosity', '--save-maps', out, '--no-record'], { dataDir: root });
    expect(again.status).toBe(0);
    expect(existsSync(join(out, 'x.png.battery-ct-porosity.hirescam-2.npy'))).toBe(true);
    expect(readdirSync(out).filter((f) => f.endsWith('.npy'))).toHaveLength(3);
  });
});

describe('execution providers: quiet and honest', () => {
  it('a provider not in this build: a warning naming the one used; the JSON records requested and used', () => {
    const root = scratchDir('providers');
    const r = cli(['inspect', ctPng, '--pack', 'battery-ct-porosity', '--providers', 'dml', '--no-record', '--json'], { dataDir: root });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.providers).toEqual({ requested: ['dml'], used: ['cpu'] });
    expect(report.results[0].provider).toBe('cpu');
    expect(r.stderr).toMatch(/warning: execution provider dml was requested but is not usable \(not compiled into this onnxruntime-node build\); battery-ct-porosity ran on cpu/);
  });

  it('--providers cuda: the provider that ran is stated; onnxruntime\'s load errors go to the log, not the terminal', () => {
    const root = scratchDir('providers-cuda');
    const r = cli(['inspect', ctPng, '--pack', 'battery-ct-porosity', '--providers', 'cuda', '--no-record', '--json'], { dataDir: root });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.providers.requested).toEqual(['cuda']);
    const used = report.results[0].provider;
    expect(report.providers.used).toEqual([used]);
    expect(r.stderr).not.toMatch(/\[E:onnxruntime/);
    expect(r.stderr).not.toContain('\x1b[');
    if (used === 'cuda') {
      expect(r.stderr).not.toContain('warning: execution provider');
    } else {
      const reason = report.results[0].providerAttempts.find((a: { provider: string }) => a.provider === 'cuda').reason;
      expect(r.stderr).toContain(`warning: execution provider cuda was requested but is not usable (${reason}); battery-ct-porosity ran on ${used}`);
      const log = readFileSync(join(root, 'logs', 'worker.log'), 'utf8');
      expect(log).toContain('execution provider cuda failed to initialise');
      expect(log).not.toContain('\x1b[');
    }
  });
});
