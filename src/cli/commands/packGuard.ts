/**
 * `inspector pack guard DIR --calibrate VAL_DIR [--own TEST_DIR] [--foreign NAME=PATH ...] [--write]`:
 * fits the input guard of a pack on its validation images, compares the candidate statistics on
 * held-out own images and foreign sets, and with --write records the chosen envelope and its
 * measured rates in the pack (pack.yaml `guard`, guard.json).
 */
import { parseArgs } from 'node:util';
import { studyGuard, writeGuard } from '../../core/guard';
import { writeGuardCard } from '../../core/guard/card';
import { FEATURES, type Feature } from '../../core/guard/calibrate';
import { loadPack } from '../../core/packs/load';
import { InspectorError } from '../../shared/errors';

export const GUARD_HELP = [
  '  inspector pack guard <dir> --calibrate DIR_OF_VALIDATION_IMAGES [--own DIR_OF_HELD_OUT_IMAGES]',
  '                        [--foreign NAME=PATH ...] [--limit 200] [--dicom-modality ct,xray]',
  '                        [--feature embedding|layers|histogram|max-probability|energy] [--quantile 0.99]',
  '                        [--size-margin 4] [--shrinkage 0.1] [--write] [--json]',
  '  (several training domains: --calibrate NAME=DIR and --own NAME=DIR once per domain; the envelope',
  '   is the union of the per-domain envelopes — the grounding pack)',
  'guard: fits the input guard (out-of-distribution detection, docs/PACKS.md) on validation images,',
  '  prints for each candidate statistic the share of held-out own images flagged (false alarms) and',
  '  of each foreign set (detection), chooses the best one meeting ≤ 2 % false alarms (or --feature),',
  '  and with --write stores it in pack.yaml `guard` + guard.json with the measured rates.',
];

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '—');

export async function guardCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      calibrate: { type: 'string', multiple: true },
      own: { type: 'string', multiple: true },
      foreign: { type: 'string', multiple: true },
      limit: { type: 'string' },
      'dicom-modality': { type: 'string' },
      feature: { type: 'string' },
      quantile: { type: 'string' },
      'size-margin': { type: 'string' },
      shrinkage: { type: 'string' },
      write: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1 || !v.calibrate?.length) throw new InspectorError('USAGE', 'pack guard takes one pack folder and --calibrate DIR');
  if (v.feature && !FEATURES.includes(v.feature as Feature)) throw new InspectorError('USAGE', `--feature ${v.feature} is not one of ${FEATURES.join(', ')}`);
  const foreign = (v.foreign ?? []).map((f) => {
    const i = f.indexOf('=');
    if (i <= 0) throw new InspectorError('USAGE', `--foreign ${f} is not NAME=PATH`);
    return { name: f.slice(0, i), path: f.slice(i + 1) };
  });
  // One folder, or NAME=DIR per training domain (repeated): the envelope is then their union.
  const domainsOf = (flag: string, list: string[]): string | { name: string; path: string }[] => {
    if (list.length === 1 && !/^[A-Za-z][\w-]*=/.test(list[0]!)) return list[0]!;
    return list.map((f) => {
      const i = f.indexOf('=');
      if (i <= 0) throw new InspectorError('USAGE', `--${flag} ${f}: with several folders, each is NAME=DIR`);
      return { name: f.slice(0, i), path: f.slice(i + 1) };
    });
  };
  const reference = domainsOf('calibrate', v.calibrate);
  const own = v.own?.length ? domainsOf('own', v.own) : undefined;
  const dir = positionals[0]!;
  const pack = loadPack(dir);
  const modalities = v['dicom-modality'] ? (v['dicom-modality'].split(',').map((s) => s.trim()) as ('ct' | 'xray')[]) : [];
  const study = await studyGuard(
    pack,
    { reference, ...(own ? { own } : {}), foreign, ...(v.limit ? { limit: Number(v.limit) } : {}) },
    {
      dicomModalities: modalities,
      ...(v.feature ? { feature: v.feature as Feature } : {}),
      ...(v.quantile ? { quantile: Number(v.quantile) } : {}),
      ...(v['size-margin'] ? { sizeMargin: Number(v['size-margin']) } : {}),
      ...(v.shrinkage ? { shrinkage: Number(v.shrinkage) } : {}),
    },
  );
  const carded = v.write ? (writeGuard(dir, study.guard, study.file), writeGuardCard(dir, study)) : false;
  if (v.json) {
    process.stdout.write(JSON.stringify({ ...study, file: undefined, written: Boolean(v.write) }, null, 2) + '\n');
    return 0;
  }
  const out = (s: string) => process.stdout.write(s + '\n');
  out(
    study.domains
      ? `${pack.manifest.name}: ${study.referenceCount} reference images in ${study.domains.length} domains (${study.domains.map((d) => `${d.name} ${d.n}`).join(', ')}); image statistics, no model run`
      : `${pack.manifest.name}: ${study.referenceCount} reference images, embedding ${study.tensor}; layers ${study.layers.join(', ')}`,
  );
  const names = study.candidates[0]?.sets.map((s) => s.name) ?? [];
  out(['statistic'.padEnd(16), 'false alarms'.padEnd(13), 'detection'.padEnd(10), ...names.map((n) => n.slice(0, 18).padEnd(19))].join(' '));
  for (const c of study.candidates) {
    out([(c.variant ? `${c.feature} ${c.variant.replace(' of per-domain', '').replace(',', '')}` : c.feature).padEnd(16), pct(c.falseAlarm).padEnd(13), pct(c.detection).padEnd(10), ...c.sets.map((s) => `${s.flagged}/${s.n} (stat ${s.byStatistic})`.padEnd(19))].join(' '));
  }
  out(`chosen: ${study.chosen}${study.chosenVariant ? ` (${study.chosenVariant})` : ''}, threshold ${study.guard.statistic?.threshold.toPrecision(4)} (${study.guard.statistic?.derivation.method})`);
  const a = study.guard.accepts;
  out(`envelope: ${a.colour}, ${a.width.join('–')} × ${a.height.join('–')} px, DICOM modalities ${a.dicomModalities.join(', ') || 'none'}`);
  if (v.write) out(`wrote the guard into ${dir}/pack.yaml and guard.json${carded ? ', and its section of MODEL_CARD.md' : ''}`);
  return 0;
}
