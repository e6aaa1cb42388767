// The demo grounding pack's model card, reproduced on its full CT and surface held-out sets (200
// battery CT views, 272 BSData photos) with the app's engine: AP@0.5 per class against
// evaluation.json (computed in PyTorch by training/grounding/build.py), within 0.01, exit 1
// otherwise. Also prints the every-3rd subset's figures that tests/unit/grounding/heldout.test.ts
// pins, so the pins can be re-derived here when the pack is retrained. Moved out of the unit tests
// because it takes minutes on a loaded box (472 images at 640²); a correctness check, not a timing.
import { Engine } from '../../src/core/engine/engine';
import { heldoutAp, heldoutReady, readCard } from '../../tests/support/groundingHeldout';

if (!heldoutReady) {
  process.stdout.write('skipped: needs /usr/bin/python3 and ../shared/data (battery-xct, bsdata)\n');
  process.exit(0);
}
const card = readCard();
const engine = new Engine();
const t0 = performance.now();
const full = await heldoutAp(engine, 1);
const fullS = (performance.now() - t0) / 1000;
const t1 = performance.now();
const subset = await heldoutAp(engine, 3);
const subS = (performance.now() - t1) / 1000;
await engine.close();
let bad = 0;
process.stdout.write('domain   class      images  boxes  card AP@0.5  ours (full)  |diff|   subset every 3rd: images boxes AP@0.5\n');
for (const domain of ['ct', 'surface'] as const) {
  for (const [label, c] of Object.entries(card.domains[domain]!.per_class)) {
    const ours = full[domain].per_class[label]!;
    const sub = subset[domain].per_class[label]!;
    const diff = Math.abs(ours.ap50 - c.ap50);
    const ok = diff < 0.01 && ours.n_gt === c.n_gt && full[domain].n_images === card.domains[domain]!.n_images && full[domain].errors.length === 0;
    if (!ok) bad++;
    process.stdout.write(
      `${domain.padEnd(8)} ${label.padEnd(10)} ${String(full[domain].n_images).padStart(6)} ${String(ours.n_gt).padStart(6)}  ${c.ap50.toFixed(4).padStart(11)}  ${ours.ap50.toFixed(4).padStart(11)}  ${diff.toFixed(4)} ${ok ? 'ok ' : 'OFF'}  ${String(subset[domain].n_images).padStart(6)} ${String(sub.n_gt).padStart(5)} ${sub.ap50.toFixed(6)}\n`,
    );
  }
}
const [load1] = (await import('node:os')).loadavg();
process.stdout.write(`full sets ${fullS.toFixed(1)} s, every-3rd subset ${subS.toFixed(1)} s (ratio ${(fullS / subS).toFixed(2)}), load average ${load1!.toFixed(1)}\n`);
process.exit(bad ? 1 : 0);
