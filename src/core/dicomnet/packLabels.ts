/**
 * The standard codes a run's pack gives its labels (pack.yaml `labels[].code` / `category`), for the
 * SR findings and SEG segments the node sends. Looked up by the pack name and version the run
 * recorded, so a newer pack installed since codes nothing it did not decide; a pack no longer
 * installed (or unreadable) leaves the labels in the private scheme, as before codes existed — the
 * objects stay valid, only less recognisable to a viewer.
 */
import { findPack, type PackRoot } from '../packs/discover';
import { readManifest } from '../packs/load';
import { labelCodings, type LabelCodings } from './objects/common';

export type LabelCodingsOf = (pack: string, version: string) => LabelCodings | undefined;

export function packLabelCodings(roots: readonly PackRoot[]): LabelCodingsOf {
  const cache = new Map<string, LabelCodings | undefined>();
  return (pack, version) => {
    const key = `${pack}@${version}`;
    if (!cache.has(key)) {
      let codings: LabelCodings | undefined;
      try {
        const found = findPack(roots, pack, version);
        const c = found ? labelCodings(readManifest(found.dir).manifest.labels) : {};
        codings = Object.keys(c).length ? c : undefined;
      } catch {
        codings = undefined; // an unreadable manifest: private codes (the pack would not load to inspect either)
      }
      cache.set(key, codings);
    }
    return cache.get(key);
  };
}
