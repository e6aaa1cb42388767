/**
 * Packs' class display names (pack.yaml `labels[].display`), fetched once per pack name and kept
 * for the session: the Evaluate room names its matrices' classes with them.
 */
import { useEffect, useState } from 'react';
import { call } from '../api';
import type { LabelDisplay } from './domain';

const cache = new Map<string, Promise<LabelDisplay[]>>();

const labelsOf = (name: string): Promise<LabelDisplay[]> => {
  let p = cache.get(name);
  // A pack no longer installed (a recorded evaluation) names its classes by id: no display, no error.
  if (!p) cache.set(name, (p = call('packs.card', { name }).then((c) => c.labels, () => [])));
  return p;
};

export function usePackLabels(...names: (string | undefined)[]): LabelDisplay[] {
  const [labels, setLabels] = useState<LabelDisplay[]>([]);
  const key = names.filter(Boolean).join('\n');
  useEffect(() => {
    if (!key) return;
    let live = true;
    void Promise.all(key.split('\n').map(labelsOf)).then((all) => live && setLabels(all.flat()));
    return () => {
      live = false;
    };
  }, [key]);
  return labels;
}
