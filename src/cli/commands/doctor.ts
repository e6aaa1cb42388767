import { parseArgs } from 'node:util';
import type { DoctorReport } from '../../shared/contract';
import type { Command } from '../command';
import { withHost } from '../host';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'versions, usable execution providers (tried, not listed) and model packs found',
  help: [
    'Usage: inspector doctor [--json]',
    '',
    'Prints the versions of Node, onnxruntime-node, sharp/libvips and SQLite; tries every execution',
    'provider by running a probe model on it alone and reports which work here and why the others do',
    'not; lists the model packs found in the app and user model folders.',
  ].join('\n'),
  async run(args) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
    const report = await withHost((host) => host.worker.call('doctor'));
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctor(report));
    return report.executionProviders.some((p) => p.available) ? 0 : 1;
  },
};

export function formatDoctor(r: DoctorReport): string {
  const v = r.versions;
  const lines = [
    `Inspector ${v.inspector} on ${r.platform}/${r.arch}, ${r.cpus} CPU threads`,
    '',
    'Versions',
    `  node              ${v.node}${v.electron ? `  (electron ${v.electron})` : ''}`,
    `  onnxruntime-node  ${v.onnxruntime}`,
    `  sharp             ${v.sharp} (libvips ${v.libvips})`,
    `  better-sqlite3    ${v.betterSqlite3} (SQLite ${v.sqlite})`,
    '',
    'Execution providers (tried in preference order, each alone with CPU fallback disabled)',
    ...r.executionProviders.map(
      (p) =>
        `  ${p.available ? 'OK ' : '-- '} ${p.name.padEnd(9)} ${
          p.available ? `usable (probe ${p.ms?.toFixed(0)} ms)` : `unusable: ${p.reason ?? 'unknown'}`
        }`,
    ),
    '',
    `Model packs (${r.packs.length})`,
    ...(r.packs.length === 0
      ? ['  none found']
      : r.packs.map((p) => `  ${p.name}@${p.version} [${p.kind}] ${p.source}: ${p.dir}${p.error ? `  ERROR ${p.error.code}: ${p.error.message}` : ''}`)),
  ];
  return lines.join('\n') + '\n';
}
