/**
 * `--providers cuda` on a machine where CUDA cannot load still inspects (on the next provider that
 * works); the user must hear that plainly, with the provider that really ran, not find it in a log.
 */
import type { InspectReport } from '../core/engine/inspect';

export function providerWarnings(report: Pick<InspectReport, 'results' | 'providers'>): string[] {
  const requested = report.providers?.requested;
  if (!requested?.length) return [];
  const wanted = requested[0]!.toLowerCase();
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of report.results) {
    if (!r.provider || r.provider === wanted) continue;
    const key = `${r.pack.name}:${r.provider}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const why = r.providerAttempts.find((a) => a.provider === wanted && !a.ok)?.reason ?? 'not usable here';
    out.push(`warning: execution provider ${wanted} was requested but is not usable (${why}); ${r.pack.name} ran on ${r.provider} instead (see: inspector doctor)`);
  }
  return out;
}
