/**
 * `packs.card`: what the review panel shows about a pack — its title and class names in English
 * and Korean, provenance and the model card text — read from the installed pack's own files.
 * Display only: nothing here is used to decide anything.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { InspectorError } from '../shared/errors';
import type { Output } from '../shared/contract';
import { answersTo } from '../core/packs/discover';
import { readManifest } from '../core/packs/load';
import type { WorkerClient } from './workerClient';

const CARD_FILE = 'MODEL_CARD.md';
/** The Korean model card, when the pack's authors wrote one. */
const CARD_FILE_KO = 'MODEL_CARD.ko.md';
const MAX_CARD = 20_000;

export async function packCard(worker: WorkerClient, name: string): Promise<Output<'packs.card'>> {
  const packs = await worker.call('listPacks');
  // A user pack of the same name overrides the app's, as the engine resolves it.
  const userFirst = (a: { source: string }, b: { source: string }) => (a.source === 'user' ? -1 : b.source === 'user' ? 1 : 0);
  // Its own name first; an old name kept as an alias (a renamed pack) otherwise, as --pack resolves it.
  const found = packs.filter((p) => p.name === name && !p.error).sort(userFirst)[0] ?? packs.filter((p) => answersTo(p, name) && !p.error).sort(userFirst)[0];
  if (!found) throw new InspectorError('PACK_NOT_FOUND', `No installed pack is named ${name}.`, { name });
  const { manifest: m } = readManifest(found.dir);
  const cardPath = join(found.dir, CARD_FILE);
  // Contained on its real path, like every pack file: a card linked out of the pack is not shown.
  const contained = (p: string) => existsSync(p) && realpathSync(p).startsWith(realpathSync(found.dir) + sep) && statSync(p).isFile();
  const card = contained(cardPath) ? readFileSync(cardPath, 'utf8').slice(0, MAX_CARD) : undefined;
  const koPath = join(found.dir, CARD_FILE_KO);
  const cardKo = contained(koPath) ? readFileSync(koPath, 'utf8').slice(0, MAX_CARD) : undefined;
  const explanation = m.kind === 'classifier' ? await worker.call('explainLayers', { dir: found.dir }).catch(() => null) : null;
  return {
    ...(explanation ? { explanation } : {}),
    name: m.name,
    version: m.version,
    kind: m.kind,
    ...(m.title ? { title: m.title } : {}),
    ...(m.description ? { description: m.description } : {}),
    labels: m.labels.map((l) => ({ id: l.id, display: l.display, severity: l.severity })),
    provenance: {
      ...(m.provenance.trainingData ? { trainingData: m.provenance.trainingData } : {}),
      ...(m.provenance.licence ? { licence: m.provenance.licence } : {}),
      ...(m.provenance.metrics ? { metrics: m.provenance.metrics } : {}),
    },
    ...(card ? { modelCard: card } : {}),
    ...(cardKo ? { modelCardKo: cardKo } : {}),
  };
}
