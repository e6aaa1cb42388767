// "The numbers printed by `evaluate` reproduce the cards", in full: every shipped pack evaluated by
// `inspector evaluate` on its whole held-out set (training/eval_sets.py: 500 battery CT views, 157
// chest radiographs, 272 BSData photos; the grounding pack's DeepPCB 300 test pairs, 200 CT views
// and 272 photos with the card's prompt and thresholds) and compared, figure by figure, with its
// MODEL_CARD.md table / evaluation.json (tests/support/cards.ts: the rows, the tolerances). Exit 1 if
// any figure is off. A correctness check that takes many minutes, not a timing; the fast test
// (tests/unit/evaluation/cards.test.ts) reproduces the chest card in full and the rest on subsets.
//   npm run bench -- cards                   every pack
//   CARDS=chest-xray-pneumonia,pcb npm run bench -- cards   a selection (pack names or grounding domains pcb/ct/surface)
//   EVAL_SETS=/tmp/eval-sets                 reuse sets written by training/eval_sets.py
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CARD_PACKS, PY, cardsReady, checkTable, compareCard, compareGroundingDomain, evaluateCli, groundingCardArgs, readGroundingCard, type Check } from '../../tests/support/cards';
import { repoRoot } from '../../tests/support/paths';

if (!cardsReady) {
  process.stdout.write('skipped: needs /usr/bin/python3 and ../shared/data (battery-xct, bsdata, chest-xray-nih, deeppcb)\n');
  process.exit(0);
}
const root = mkdtempSync(join(tmpdir(), 'inspector-cards-'));
const sets = process.env['EVAL_SETS'] ?? join(root, 'sets');
const wanted = process.env['CARDS']?.split(',').map((s) => s.trim());
const domains = Object.keys(readGroundingCard().domains);
const jobs = [...CARD_PACKS, ...domains].filter((j) => !wanted || wanted.includes(j));
if (!existsSync(join(sets, 'chest-xray-pneumonia'))) {
  const r = spawnSync(PY, [join(repoRoot, 'training', 'eval_sets.py'), sets], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
const checks: Check[] = [];
try {
  for (const job of jobs) {
    const t0 = performance.now();
    const grounding = domains.includes(job);
    const set = join(sets, grounding ? `defects-grounding-${job}` : job);
    const args = ['--pack', grounding ? 'defects-grounding' : job, '--set', set, '--db', join(root, `${job}.sqlite`), '--bootstrap', '1000', ...(grounding ? groundingCardArgs() : [])];
    const { metrics } = evaluateCli(args, join(root, `${job}-out`));
    const mine = grounding ? compareGroundingDomain(job, metrics) : compareCard(job, metrics);
    checks.push(...mine);
    process.stdout.write(`${checkTable(mine)}\n${job}: ${metrics.set.images} images in ${((performance.now() - t0) / 1000).toFixed(0)} s (load average ${loadavg()[0]!.toFixed(1)})\n\n`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const off = checks.filter((c) => !c.ok);
process.stdout.write(`${checks.length - off.length} of ${checks.length} card figures reproduced${off.length ? `; OFF: ${off.map((c) => `${c.pack} ${c.figure}`).join(', ')}` : ''}\n`);
process.exit(off.length ? 1 : 0);
