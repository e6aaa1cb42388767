/**
 * The CLI as a line script or a station service calls it: whole processes, start to exit.
 * `inspector --version`, `inspector doctor` and `inspector inspect` of one sample image (recorded
 * into a scratch history, as a default call is), each run from the install-time build (out/cli) and
 * from the TypeScript sources under tsx (the old way), against the reference measured in the same
 * run: a bare `node -e 0` on the same Node. Medians of INSPECTOR_BENCH_CLI_RUNS runs (default 7),
 * interleaved so machine load falls on all alike. Targets (issue 11): --version ≤ 0.3 s, one-image
 * inspect ≤ 1.5 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'inspector.js');
const node = process.execPath;
const RUNS = Number(process.env['INSPECTOR_BENCH_CLI_RUNS'] ?? 7);
const sample = join(root, 'resources', 'samples', 'chest-xray-pneumonia', 'normal_00001299_000.jpg');
const scratch = mkdtempSync(join(os.tmpdir(), 'inspector-bench-cli-'));

const build = spawnSync(node, [join(root, 'scripts', 'build-cli.js')], { encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build:cli failed: ${build.stderr}`);
process.stdout.write(build.stdout);

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
  target?: number;
}

const commands: Omit<Case, 'env'>[] = [
  { name: '--version', args: [bin, '--version'], target: 0.3 },
  { name: 'doctor', args: [bin, 'doctor'] },
  { name: 'inspect 1 image', args: [bin, 'inspect', sample, '--pack', 'chest-xray-pneumonia', '--db', join(scratch, 'h.sqlite')], target: 1.5 },
];
const cases: Case[] = [
  { name: 'node -e 0 (reference)', args: ['-e', '0'] },
  ...commands.map((c) => ({ ...c, name: `${c.name} [build]` })),
  ...commands.map((c) => ({ ...c, name: `${c.name} [source, tsx]`, env: { INSPECTOR_CLI_FROM_SOURCE: '1' }, target: undefined })),
];

function once(c: Case): number {
  const t0 = performance.now();
  const r = spawnSync(node, c.args, { cwd: root, encoding: 'utf8', env: { ...process.env, INSPECTOR_DATA_DIR: scratch, ...c.env } });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  return s;
}

// One warm-up each (file cache, model pages), then interleaved rounds.
for (const c of cases) once(c);
const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let i = 0; i < RUNS; i++) for (const c of cases) times.get(c.name)!.push(once(c));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ref = median(times.get(cases[0]!.name)!);
const w = Math.max(...cases.map((c) => c.name.length));
process.stdout.write(`\nNode ${process.versions.node}, ${os.cpus().length} CPU threads, load ${os.loadavg()[0]!.toFixed(1)}; ${RUNS} runs each, median (min-max)\n`);
process.stdout.write(`${'command'.padEnd(w)}  median s   min-max s      × node -e 0  target\n`);
for (const c of cases) {
  const xs = times.get(c.name)!;
  const m = median(xs);
  const verdict = c.target === undefined ? '' : m <= c.target ? `≤ ${c.target} s: met` : `≤ ${c.target} s: MISSED`;
  process.stdout.write(
    `${c.name.padEnd(w)}  ${m.toFixed(3).padStart(8)}  ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`.padEnd(w + 27) +
      `${(m / ref).toFixed(1).padStart(8)}×  ${verdict}\n`,
  );
}
rmSync(scratch, { recursive: true, force: true });
