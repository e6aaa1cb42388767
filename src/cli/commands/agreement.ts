import { parseArgs } from 'node:util';
import { recordRunsAgreement, systemNameOf } from '../../core/agreement/index';
import { getRun } from '../../core/history/index';
import type { Command } from '../command';
import { usageError, withStore } from '../historyDb';


export const agreementCommand: Command = {
  name: 'agreement',
  summary: "compare recorded runs' boxes on one image (IoU, who found what) and record the figure",
  help: [
    'Usage: inspector agreement RUN_ID RUN_ID [RUN_ID…] [--systems A,B,C] [--match-iou 0.5] [--db FILE] [--json]',
    '',
    'Reads the boxes of the recorded runs (all on the same image) from the history, computes per pair',
    'the IoU of the areas the systems cover and their one-to-one matches at IoU ≥ --match-iou, and per',
    'box which other systems found it; records the result (audited, as the app\'s three-systems card does).',
    '--systems names the runs in order; by default each run is named by what it recorded: its CAM method',
    '(HiResCAM, Grad-CAM, …), Anomaly, or Grounding (a run with a prompt), else run N. See docs/GROUNDING.md.',
  ].join('\n'),
  async run(args) {
    const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { systems: { type: 'string' }, 'match-iou': { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } } });
    const ids = positionals.map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n <= 0) throw usageError(`Run ids are positive integers; got "${p}".`);
      return n;
    });
    if (ids.length < 2) throw usageError('agreement needs at least two run ids.');
    const given = values.systems ? values.systems.split(',').map((s) => s.trim()) : undefined;
    if (given && given.length !== ids.length) throw usageError(`--systems names ${given.length} systems for ${ids.length} runs.`);
    const matchIou = values['match-iou'] !== undefined ? Number(values['match-iou']) : undefined;
    const a = withStore(values.db, (s) => {
      const names = given ?? defaultNames(ids.map((id) => systemNameOf(getRun(s.db, id))));
      return recordRunsAgreement(s, { runs: ids.map((runId, i) => ({ system: names[i]!, runId })), ...(matchIou !== undefined ? { matchIou } : {}) });
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(a, null, 2) + '\n');
      return 0;
    }
    const f = (v: number | null) => (v === null ? '—' : v.toFixed(3));
    const out = [`Case ${a.caseKey}: agreement #${a.agreementId} recorded; mean IoU of covered areas ${f(a.meanIou)}`];
    for (const s of a.systems) out.push(`  ${s.system} (${s.packName}, run ${s.runId}): ${s.boxes === 0 ? `no boxes from ${s.system}` : `${s.boxes} box${s.boxes === 1 ? '' : 'es'}`}`);
    for (const p of a.pairs) out.push(`  ${p.a} ↔ ${p.b}: IoU ${f(p.iou)}, ${p.matched} matched at IoU ≥ ${a.matchIou}`);
    for (const b of a.boxes) out.push(`  ${b.system} #${b.index + 1} ${b.label ?? ''}: ${b.foundBy.length ? `found by ${b.foundBy.join(', ')}` : 'found by no other system'}`);
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  },
};

/** Each run's recorded kind; a run of no known kind, or a second of the same, is `run N`. */
function defaultNames(kinds: (string | undefined)[]): string[] {
  return kinds.map((k, i) => (k && kinds.indexOf(k) === i ? k : `run ${i + 1}`));
}
