import { parseArgs } from 'node:util';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from '../command';
import type { FrameReport, ProbeReport } from '../../core/imaging/probe';
import { withHost } from '../host';
import { InspectorError } from '../../shared/errors';
import { walkFiles } from '../../core/files/walk';

export const probeCommand: Command = {
  name: 'probe',
  summary: 'decode images/DICOM and report geometry, type, window and pixel hash per frame, or the coded error',
  help: [
    'Usage: inspector probe <file|dir>... [--json]',
    '',
    'Decodes each file (folders are walked recursively, skipping documents such as .md/.json/.yaml) in the worker process and prints, per frame:',
    'format, transfer syntax, width, height, frames, channels, dtype, photometric interpretation,',
    'rescale, default window, pixel spacing and the SHA-256 of the decoded stored pixel values',
    '(little-endian bytes of the natural typed array, before the modality LUT) — the definition used',
    "by pydicom-based references. A file that cannot be decoded prints its error code and sentence.",
    '',
    'Exit status: 0 when every file decoded, 1 when any failed, 2 on usage errors.',
  ].join('\n'),
  async run(args) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length === 0) throw new InspectorError('USAGE', 'probe needs at least one file or folder.');
    const files: string[] = [];
    for (const p of positionals) files.push(...(await expand(resolve(p))));
    const reports = await withHost(async (host) => {
      const out: ProbeReport[] = [];
      for (const path of files) {
        const r = await host.worker.call('probeImage', { path });
        if (!values.json) process.stdout.write(formatReport(r));
        out.push(r);
      }
      for (const r of unusable) {
        if (!values.json) process.stdout.write(formatReport(r));
        out.push(r);
      }
      return out;
    });
    const failed = reports.filter((r) => !r.ok).length;
    if (values.json) process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
    else process.stdout.write(`\n${reports.length} file(s), ${reports.length - failed} decoded, ${failed} failed${skipped ? `; ${skipped} non-image file(s) in folders skipped (README, labels, configs)` : ''}\n`);
    return failed > 0 ? 1 : 0;
  },
};

/** Folder entries the walker could not use (FIFO, dangling link, loop): reported like a failed decode. */
const unusable: ProbeReport[] = [];

async function expand(path: string): Promise<string[]> {
  let s;
  try {
    s = await stat(path);
  } catch {
    return [path]; // the worker reports it as unreadable, with its code
  }
  if (!s.isDirectory()) return [path];
  // Inside a folder, documents and sidecars (README, labels, configs) are not images. DICOM files
  // often have no extension at all, so only known non-image extensions are skipped; a file named
  // on the command line is always probed.
  const walked = walkFiles([path], {
    compare: new Intl.Collator('en', { numeric: true }).compare,
    accept: (name) => {
      const keep = !NOT_IMAGES.test(name);
      if (!keep) skipped++;
      return keep;
    },
  });
  for (const k of walked.skipped) unusable.push({ path: k.path, ok: false, error: { code: k.code, message: k.message }, ms: 0 });
  return walked.files;
}

const NOT_IMAGES = /\.(md|txt|json|ya?ml|csv|xml|html?|pdf|py|ts|js|sh|npz|npy|onnx)$/i;
let skipped = 0;

const n = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, ''));

function frameLine(f: FrameReport): string {
  const rescale = 'slope' in f.rescale ? `${n(f.rescale.slope)}/${n(f.rescale.intercept)}` : `LUT(${f.rescale.lut.entries})`;
  const spacing = f.pixelSpacing ? `${n(f.pixelSpacing.row)}×${n(f.pixelSpacing.column)} mm${f.pixelSpacing.source === 'ImagerPixelSpacing' ? ' (detector)' : ''}` : 'none';
  return (
    `  frame ${f.index}: ${f.width}×${f.height}×${f.channels} ${f.dtype} (${f.bitsStored} bits) ${f.photometric}${f.invert ? ' inverted' : ''}` +
    ` rescale ${rescale} window C${n(f.window.center)}/W${n(f.window.width)} ${f.window.function}` +
    ` range ${n(f.min)}…${n(f.max)} spacing ${spacing}\n    sha256 ${f.sha256}\n`
  );
}

export function formatReport(r: ProbeReport): string {
  if (!r.ok) return `${r.path}\n  ERROR ${r.error?.code}: ${r.error?.message}\n`;
  const ts = r.transferSyntax ? ` ${r.transferSyntax.uid} (${r.transferSyntax.name})` : '';
  const head = `${r.path}\n  ${r.format}${ts}, ${r.frames!.length} frame(s)${r.sourcePhotometric ? `, stored as ${r.sourcePhotometric}` : ''}, ${r.ms.toFixed(0)} ms\n`;
  const frames = r.frames!;
  // Long cine loops: first and last frame plus a count, the full list is in --json.
  const shown = frames.length > 6 ? [...frames.slice(0, 3), ...frames.slice(-2)] : frames;
  return head + shown.map(frameLine).join('') + (frames.length > 6 ? `  … ${frames.length - 5} more frame(s), see --json\n` : '');
}
