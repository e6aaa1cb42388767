/**
 * Auto-inspect rules: which pack inspects an arriving instance. The first rule whose every stated
 * condition holds wins; text attributes compare case-insensitively, SOP classes exactly. Our own
 * kinds of output (SR, SEG, presentation states, key objects) are never inspected, so results a
 * PACS forwards back do not loop.
 */
import type { DicomNodeConfig } from './config';

export interface RoutingAttributes {
  modality: string;
  body_part: string;
  sop_class: string;
  station_name: string;
}

const NEVER_INSPECTED = [/^1\.2\.840\.10008\.5\.1\.4\.1\.1\.88\./, /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.66\./, /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.11\./, /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.104\./];

export function packFor(rules: DicomNodeConfig['auto_inspect'], a: RoutingAttributes): string | null {
  if (NEVER_INSPECTED.some((r) => r.test(a.sop_class))) return null;
  for (const rule of rules) {
    const w = rule.when;
    const same = (want: string | undefined, have: string) => want === undefined || want.trim().toUpperCase() === have.trim().toUpperCase();
    if (same(w.modality, a.modality) && same(w.body_part, a.body_part) && same(w.station_name, a.station_name) && (w.sop_class === undefined || w.sop_class === a.sop_class)) {
      return rule.pack;
    }
  }
  return null;
}
