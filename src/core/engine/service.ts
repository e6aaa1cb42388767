/**
 * The engine as the worker process hosts it: one Engine (and so one session cache) for the life of
 * the worker, requests resolved from paths and pack references to a full inspection report.
 */
import type { ExplainMethod } from '../explain';
import { withCamLayers, type CamLayerChoice } from '../explain/override';
import type { GroundingOptions } from '../grounding/inspect';
import type { PackRoot } from '../packs/discover';
import { resolvePacks } from '../packs/resolve';
import { configPacks, loadConfig } from '../verdict/config';
import type { StationCalibration } from './calibration';
import { Engine } from './engine';
import { commonDir, inspect, type FindingsPart, type InspectReport } from './inspect';

export interface InspectParams {
  paths: string[];
  /** Pack folders or names; empty: inspector.yaml's sides, or the only installed pack. */
  packs?: string[];
  method?: ExplainMethod;
  /** This run's explanation layers (`--cam-layer`, `--cam-fuse`; src/core/explain/override.ts). */
  camLayers?: CamLayerChoice;
  /** inspector.yaml path; defaults apply without one. */
  config?: string;
  providers?: string[];
  /** Grounding packs: prompt and thresholds for this run (default: the pack's). */
  grounding?: GroundingOptions;
  /**
   * Folder that case ids are relative to (folder grouping). Defaults to the inputs' common folder,
   * so ids never depend on the process's working directory; a batch that inspects case by case
   * passes its own so ids match a whole-folder run.
   */
  baseDir?: string;
  /**
   * The user's grants (real paths), when the request comes from a renderer: folder walks skip
   * entries whose real path leaves them, and a pack given as a folder (by the request or by
   * inspector.yaml) must lie inside them; a pack name resolves only to an installed pack.
   */
  roots?: string[];
  /** The station's applied threshold versions and evaluated packs, read from the history by the host. */
  calibration?: StationCalibration;
  /** Grounding findings beside the deciding packs: with (default), skip, or only them (see core inspect). */
  findings?: FindingsPart;
  /** `explained`: only the deciding packs that draw a map (the station's map after its decision; see core inspect). */
  deciding?: 'all' | 'explained';
}

// Re-exported: callers that only need the inputs' folder need not load the engine.
export { commonDir };

export class EngineService {
  private engine: Engine | undefined;
  private providersKey = '';

  constructor(private readonly roots: readonly PackRoot[], private readonly log: (line: string) => void = () => {}) {}

  async inspect(p: InspectParams): Promise<InspectReport> {
    const key = (p.providers ?? []).join(',');
    if (!this.engine || key !== this.providersKey) {
      await this.engine?.close();
      this.engine = new Engine({ ...(p.providers ? { providers: p.providers } : {}), log: this.log });
      this.providersKey = key;
    }
    const config = loadConfig(p.config);
    const fromConfig = configPacks(config.config);
    const packs = resolvePacks(p.packs ?? [], this.roots, fromConfig, p.roots ? { grants: p.roots } : {}).map((pk) => withCamLayers(pk, p.camLayers));
    const baseDir = p.baseDir ?? commonDir(p.paths);
    const report = await inspect(this.engine, { paths: p.paths, packs, config, ...(p.method ? { method: p.method } : {}), ...(baseDir ? { baseDir } : {}), ...(p.roots ? { roots: p.roots } : {}), ...(p.grounding ? { grounding: p.grounding } : {}), ...(p.calibration ? { calibration: p.calibration } : {}), ...(p.findings ? { findings: p.findings } : {}), ...(p.deciding ? { deciding: p.deciding } : {}) });
    // Both, so a result says what was asked for and what it really ran on (a CUDA request on a
    // machine without CUDA ran on the CPU).
    const used = [...new Set(report.results.map((r) => r.provider).filter((x) => x))];
    return { ...report, providers: { requested: p.providers ?? null, used } };
  }

  async close(): Promise<void> {
    await this.engine?.close();
    this.engine = undefined;
  }
}
