/**
 * `inspector.yaml`: how the internal (X-ray/CT) and external (RGB) results of one part combine into
 * one verdict, and how images are grouped into cases. Validated on load; its SHA-256 travels with
 * every verdict so a result can always be traced to the exact settings that produced it.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InspectorError } from '../../shared/errors';
import { parseYamlBounded, readTextFileSync } from '../files/yaml';

const SideState = z.enum(['defect', 'pass', 'uncertain', 'absent', 'any']);
/**
 * A rule condition on one side: a state, a comparison on its defect score such as ">= 0.7", or on
 * one finding label's best score such as "porosity >= 0.5" (grounding boxes; docs/GROUNDING.md).
 */
const Condition = z.union([SideState, z.string().regex(/^([a-z0-9][a-z0-9 _-]*?\s+)?(>=|<=|>|<)\s*[0-9.]+$/, 'a state or a comparison like ">= 0.7" or "porosity >= 0.5"')]);

/**
 * A side's pack, and optionally a grounding pack run on the same images for findings: its boxes
 * are that side's regions and label scores (rules such as `internal: "porosity >= 0.5"`), while
 * the side's decision stays its own pack's (docs/GROUNDING.md).
 */
const SideConfig = z
  .object({
    pack: z.string(),
    grounding: z.object({ pack: z.string(), prompt: z.string().min(1).optional() }).strict().optional(),
  })
  .strict();

export const VERDICTS = ['PASS', 'INTERNAL_DEFECT', 'EXTERNAL_DEFECT', 'COMBINED_DEFECT', 'UNCERTAIN'] as const;
export type VerdictName = (typeof VERDICTS)[number];
/**
 * Every verdict a case can get: the rule outcomes above plus INCOMPLETE, which no rule can give and
 * no setting can turn into PASS — it only comes from images that could not be read or inspected.
 */
export const CASE_VERDICTS = [...VERDICTS, 'INCOMPLETE'] as const;
export type CaseVerdictName = (typeof CASE_VERDICTS)[number];

/**
 * What a case with a failed image gets (`verdict.incomplete`). Only outcomes at least as strict as
 * "not inspected" exist: INCOMPLETE (the default: re-inspect) or DEFECT (the line rejects the part;
 * `NG`, the line's word for it, is the same).
 * Anything more lenient (PASS, UNCERTAIN) is refused with CONFIG_INCOMPLETE_NOT_STRICTER.
 */
export const INCOMPLETE_OUTCOMES = ['INCOMPLETE', 'DEFECT', 'NG'] as const;

export const InspectorConfig = z
  .object({
    version: z.literal(1).default(1),
    verdict: z
      .object({
        method: z.enum(['weighted_average', 'voting', 'rule_based']).default('weighted_average'),
        weights: z.object({ internal: z.number().nonnegative().default(0.5), external: z.number().nonnegative().default(0.5) }).strict().prefault({}),
        /** weighted_average: combined score < pass → PASS (only if every side passed, else UNCERTAIN); ≥ defect → a defect verdict; between → UNCERTAIN. */
        thresholds: z.object({ pass: z.number().min(0).max(1).default(0.4), defect: z.number().min(0).max(1).default(0.6) }).strict().prefault({}),
        /** voting: a defect verdict needs at least this many sides voting defect. */
        minDefectVotes: z.number().int().min(1).max(2).default(1),
        rules: z
          .array(z.object({ when: z.object({ internal: Condition.optional(), external: Condition.optional() }).strict(), verdict: z.enum(VERDICTS) }).strict())
          .default([]),
        /** rule_based: the verdict when no rule matches. */
        default: z.enum(VERDICTS).default('UNCERTAIN'),
        /** A case with any image that could not be read or inspected (see INCOMPLETE_OUTCOMES). */
        incomplete: z
          .enum(INCOMPLETE_OUTCOMES)
          .default('INCOMPLETE')
          .transform((v): 'INCOMPLETE' | 'DEFECT' => (v === 'NG' ? 'DEFECT' : v)),
      })
      .strict()
      .refine((v) => v.thresholds.pass <= v.thresholds.defect, { message: 'thresholds.pass must not exceed thresholds.defect' })
      .refine((v) => v.method !== 'rule_based' || v.rules.length > 0, { message: 'rule_based needs at least one rule' })
      .prefault({}),
    sides: z
      .object({
        internal: SideConfig.optional(),
        external: SideConfig.optional(),
      })
      .strict()
      .default({}),
    cases: z
      .object({
        groupBy: z.enum(['folder', 'pattern', 'manifest', 'dicom-study']).default('folder'),
        /** e.g. `{serial}_{view}.{ext}`: fields in braces, everything else literal. */
        pattern: z.string().optional(),
        caseField: z.string().default('serial'),
        sideField: z.string().optional(),
        /** Field value → side, e.g. { ct: internal, rgb: external }. */
        sideValues: z.record(z.string(), z.enum(['internal', 'external'])).default({}),
        /** CSV with columns path,case[,side]; paths relative to the CSV. */
        manifest: z.string().optional(),
      })
      .strict()
      .refine((c) => c.groupBy !== 'pattern' || !!c.pattern, { message: 'groupBy: pattern needs a pattern' })
      .refine((c) => c.groupBy !== 'manifest' || !!c.manifest, { message: 'groupBy: manifest needs a manifest path' })
      .prefault({}),
  })
  .strict();
export type InspectorConfig = z.infer<typeof InspectorConfig>;

/** Every pack inspector.yaml names: the sides' packs, then their grounding packs. */
export function configPacks(config: InspectorConfig): string[] {
  const s = config.sides;
  const refs = [s.internal?.pack, s.external?.pack, s.internal?.grounding?.pack, s.external?.grounding?.pack].filter((x): x is string => !!x);
  return refs.filter((r, i) => refs.indexOf(r) === i);
}

export interface LoadedConfig {
  config: InspectorConfig;
  /** SHA-256 of the file as written (or of the canonical defaults when there is no file). */
  sha256: string;
  path?: string;
}

/** A setting that would let an uninspected part through is refused by name, not as a schema slip. */
function refuseLenientIncomplete(doc: unknown, path: string | undefined): void {
  const v = (doc as { verdict?: { incomplete?: unknown } } | null)?.verdict?.incomplete;
  if (v === undefined || (INCOMPLETE_OUTCOMES as readonly unknown[]).includes(v)) return;
  throw new InspectorError(
    'CONFIG_INCOMPLETE_NOT_STRICTER',
    `${path ?? 'inspector.yaml'}: verdict.incomplete may only be ${INCOMPLETE_OUTCOMES.join(' or ')} (a case with an image that was not inspected is never ${String(v)}).`,
    { path, value: v, allowed: [...INCOMPLETE_OUTCOMES] },
  );
}

export function parseConfig(text: string, path?: string): LoadedConfig {
  let doc: unknown;
  try {
    doc = parseYamlBounded(text) ?? {};
  } catch (err) {
    throw new InspectorError('CONFIG_UNREADABLE', `${path ?? 'inspector.yaml'} is not valid YAML: ${(err as Error).message}`, { path });
  }
  refuseLenientIncomplete(doc, path);
  const r = InspectorConfig.safeParse(doc);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InspectorError('CONFIG_INVALID', `${path ?? 'inspector.yaml'} is invalid: ${issues.join('; ')}`, { path, issues });
  }
  return { config: r.data, sha256: createHash('sha256').update(text).digest('hex'), ...(path ? { path } : {}) };
}

export function loadConfig(path: string | undefined): LoadedConfig {
  if (!path) return parseConfig('');
  let text: string;
  try {
    text = readTextFileSync(path);
  } catch (e) {
    // A FIFO or an oversized file is named as such (FILE_NOT_REGULAR / FILE_TOO_LARGE), not as missing.
    if (e instanceof InspectorError) throw e;
    throw new InspectorError('CONFIG_NOT_FOUND', `No such configuration file: ${path}`, { path });
  }
  return parseConfig(text, path);
}
